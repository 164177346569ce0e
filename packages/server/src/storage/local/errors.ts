/** Errors of the local storage engine. */
export { StorageOverloadedError } from '../types.js';

/** A checksum or structure check failed: the bytes on disk are not what Freshet wrote. */
export class StorageCorruptionError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`corrupt storage file ${file}: ${message}`);
    this.name = 'StorageCorruptionError';
  }
}

/**
 * A write or sync failed, so the append was refused and nothing of it is stored. `code` is the
 * errno code of the cause (ENOSPC, EDQUOT, EIO...), if any. The log itself recovers: the next
 * append tries again.
 */
export class StorageFailedError extends Error {
  readonly code: string | undefined;
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StorageFailedError';
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }

  /** True when the file system is out of space or quota. */
  get storeFull(): boolean {
    return this.code === 'ENOSPC' || this.code === 'EDQUOT';
  }
}

/** The error an append gets when its write or sync failed: plain about a full store. */
export function storageFailure(operation: 'write' | 'sync', cause: unknown): StorageFailedError {
  if (cause instanceof StorageFailedError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const what = code === 'ENOSPC' ? 'no space left on the device' : 'disk quota exceeded';
    return new StorageFailedError(`the store is full (${code}: ${what}); the records were not stored`, cause);
  }
  return new StorageFailedError(`stream log ${operation} failed (${detail}); the records were not stored`, cause);
}

/** Thrown when an invariant of the engine does not hold: a bug, never a user error. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`storage invariant violated: ${message}`);
}
