/**
 * The defaults of the connection and memory limits that depend on the machine: how many file
 * descriptors and how much memory the process may use.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

const MIB = 1024 * 1024;

/** Connections allowed where the descriptor limit cannot be read (not Linux). */
const FALLBACK_MAX_CONNECTIONS = 1_000;
/** However many descriptors there are: each connection costs memory too (buffers, parser, session). */
const MAX_DEFAULT_CONNECTIONS = 10_000;

/**
 * Half the process's open-file limit, up to 10,000: the other half stays for what the store opens
 * (segment files, indexes, the lock) and the process itself, so that clients alone can never take
 * the descriptors storage needs, nor the one the listener needs to accept and close the next
 * connection. Node raises the soft limit to the hard one at start-up, so the soft limit read here
 * is the one that applies.
 */
export function defaultMaxConnections(): number {
  const limit = openFileLimit();
  if (limit === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(1, Math.min(MAX_DEFAULT_CONNECTIONS, Math.floor(limit / 2)));
}

function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const parsed = Number(soft);
    return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * 256 MiB, or a quarter of the memory the process may use if that is less (a cgroup's limit in a
 * container, the machine's otherwise), but never less than one body of the largest size allowed.
 * 256 MiB is 16 bodies of the 16 MiB maximum, or about 38 full PutRecords (6.7 MiB of JSON each):
 * more than the event loop and two decode threads can work on at once, so a client refused for
 * want of budget would only have waited in a queue otherwise. A quarter leaves the rest for the
 * heap, the decoded records and the buffer pools.
 */
export function defaultBodyBudgetBytes(maxBodyBytes: number): number {
  const constrained = process.constrainedMemory();
  const memory = constrained > 0 && constrained < totalmem() ? constrained : totalmem();
  return Math.max(maxBodyBytes, Math.min(256 * MIB, Math.floor(memory / 4)));
}
