/**
 * One process per data directory: two writers on one log would interleave chunks.
 *
 * The lock is a kernel lock on `<dataDir>/LOCK` (an open-file-description lock on Linux, flock on
 * macOS, LockFileEx on Windows, through fs-native-extensions), so the kernel releases it when the
 * process dies, however it dies. A pid check cannot do that: in a container the server is PID 1
 * at every start, so after kill -9 the stale file named "a live process" (ourselves) and the
 * restart was refused. The file still holds the owner's pid, for humans and for the message a
 * second process gets; the pid decides nothing.
 *
 * The file is never deleted: a process that opened it just before an unlink would lock the
 * deleted inode while a third locks the new file, and both would think they own the directory.
 */
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** The native part: a lock held by the open file description, tried without waiting. */
interface NativeLocks {
  /** True when the exclusive lock was taken; false when another open file description holds it. */
  tryLock(fd: number): boolean;
}
const native = createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;

export const LOCK_FILE = 'LOCK';

/** The directories this process holds: a second open here gets its own message. */
const heldHere = new Set<string>();

export interface DirectoryLock {
  release(): Promise<void>;
}

/** A data directory is held by another process, or already by this one. */
export class DirectoryInUseError extends Error {
  constructor(
    readonly dataDir: string,
    /** 'this process', or the holder's pid as its LOCK file says (undefined when unreadable). */
    readonly owner: 'this process' | number | undefined,
  ) {
    super(
      owner === 'this process'
        ? `${dataDir} is already open in this process`
        : `${dataDir} is in use by ${owner === undefined ? 'another process' : `process ${owner}`}`,
    );
    this.name = 'DirectoryInUseError';
  }
}

/** Takes the data directory's lock, or throws DirectoryInUseError at once (never waits). */
export async function acquireDirectoryLock(dataDir: string): Promise<DirectoryLock> {
  const file = path.join(dataDir, LOCK_FILE);
  if (heldHere.has(file)) throw new DirectoryInUseError(dataDir, 'this process');
  // Read-write without truncating: the holder's pid must survive until we know we hold the lock.
  const handle = await fs.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  let locked: boolean;
  try {
    locked = native.tryLock(handle.fd);
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (!locked) {
    const owner = Number((await handle.readFile('utf8').catch(() => '')).trim());
    await handle.close();
    throw new DirectoryInUseError(dataDir, Number.isSafeInteger(owner) && owner > 0 ? owner : undefined);
  }
  heldHere.add(file);
  try {
    await handle.truncate(0);
    await handle.write(`${process.pid}\n`, 0);
  } catch (error) {
    heldHere.delete(file);
    await handle.close();
    throw error;
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      heldHere.delete(file);
      await handle.close(); // closing the file description releases the kernel lock
    },
  };
}
