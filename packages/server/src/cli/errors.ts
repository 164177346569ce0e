/**
 * What the CLI says when a node cannot start: one line naming the cause and what to do, for the
 * failures a user meets (port taken, data directory in use or not writable); undefined for the
 * others, which are bugs and are reported with their stack.
 */
import * as path from 'node:path';

interface ErrnoLike {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The error or the first of its causes that carries a system error code. */
function errnoOf(error: unknown): (ErrnoLike & { code: string }) | undefined {
  for (let e = error as ErrnoLike | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as ErrnoLike, depth++) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e as ErrnoLike & { code: string };
  }
  return undefined;
}

const FILE_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'it exists and is not a directory',
  EISDIR: 'a file Freshet writes is a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links in the path',
  EMFILE: 'too many open files (raise ulimit -n)',
};

export function describeListenError(error: unknown, host: string, port: number): string | undefined {
  const errno = errnoOf(error);
  if (errno && typeof errno.path === 'string') return undefined; // a file's error, not the socket's
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (errno?.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is in use by another program (--port <n> picks another, --port 0 a free one)`;
    case 'EACCES':
    case 'EPERM':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges; --port <n> picks another)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: ${host} is not an address of this machine (--host)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return `cannot listen on ${where}: cannot resolve the host '${host}' (--host)`;
    default:
      return undefined;
  }
}

export function describeStartError(error: unknown, dataDir: string, host: string, port: number): string | undefined {
  const listen = describeListenError(error, host, port);
  if (listen) return listen;
  const dir = path.resolve(dataDir);
  const errno = errnoOf(error);
  if (errno && FILE_REASONS[errno.code]) {
    const file = typeof errno.path === 'string' && path.resolve(errno.path) !== dir ? ` (${errno.path})` : '';
    return `cannot use the data directory ${dir}: ${FILE_REASONS[errno.code]}${file}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  // The storage's lock: one process per data directory.
  const owner = /in use by process (\d+)/.exec(message);
  if (owner || /\bin use\b|already open|could not lock/i.test(message)) {
    const who = owner ? `another Freshet (process ${owner[1]})` : 'another Freshet';
    return `cannot use the data directory ${dir}: it is in use by ${who}; stop it or pick another --data-dir`;
  }
  if (error instanceof Error && error.name === 'StorageCorruptionError') return `cannot open the data directory ${dir}: ${message}`;
  // A directory written by another format or version of the storage.
  if (/freshet-storage\.json/.test(message)) return `cannot use the data directory ${dir}: ${message}`;
  return undefined;
}
