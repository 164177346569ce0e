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

/** A write or sync failed; the log refuses further appends (its durable state is unknown). */
export class StorageFailedError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StorageFailedError';
  }
}

/** Thrown when an invariant of the engine does not hold: a bug, never a user error. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`storage invariant violated: ${message}`);
}
