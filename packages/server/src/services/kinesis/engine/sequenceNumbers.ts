/**
 * Sequence numbers fold a shard index and a storage cursor into one decimal integer:
 *
 *   sequence = 4 * 10^50 + shardIndex * 10^26 + cursor        (51 digits)
 *
 * Within a shard they are strictly increasing (cursors are), they compare correctly as big
 * integers (what KCL does), and decoding one tells the shard and the exact place in the log
 * without any lookup. Cursors are below 10^26 (the local engine's are below 2^84).
 */
export const CURSOR_LIMIT = 10n ** 26n;
const VERSION_BASE = 4n * 10n ** 50n;
const VERSION_END = 5n * 10n ** 50n;
const SEQUENCE_PATTERN = /^(0|[1-9]\d{0,128})$/;

export interface SequencePosition {
  shardIndex: number;
  cursor: bigint;
}

export function encodeSequenceNumber(shardIndex: number, cursor: bigint): string {
  return (VERSION_BASE + BigInt(shardIndex) * CURSOR_LIMIT + cursor).toString();
}

const LOW_DIGITS = 9;
const LOW_LIMIT = 10 ** LOW_DIGITS;

/**
 * Encodes `count` consecutive sequence numbers starting at firstCursor. This runs for every
 * record written, so it builds the decimal text from fixed-width parts (the layout above is
 * '4' + 24 digits of shard index + 26 digits of cursor) with one BigInt division per run, not
 * one BigInt per record.
 */
export function encodeSequenceRun(shardIndex: number, firstCursor: bigint, count: number): string[] {
  const head = '4' + String(shardIndex).padStart(24, '0') + (firstCursor / BigInt(LOW_LIMIT)).toString().padStart(26 - LOW_DIGITS, '0');
  const low = Number(firstCursor % BigInt(LOW_LIMIT));
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    out[i] =
      low + i < LOW_LIMIT ? head + String(low + i).padStart(LOW_DIGITS, '0') : encodeSequenceNumber(shardIndex, firstCursor + BigInt(i));
  }
  return out;
}

/**
 * The sequence numbers of records read back, in order. Reads return runs of consecutive cursors
 * (the records of one chunk), so this encodes run by run, as appends do.
 */
export function encodeSequenceNumbers(shardIndex: number, cursors: readonly bigint[]): string[] {
  const out: string[] = [];
  for (let start = 0; start < cursors.length;) {
    let end = start + 1;
    while (end < cursors.length && cursors[end] === cursors[end - 1]! + 1n) end++;
    for (const sequence of encodeSequenceRun(shardIndex, cursors[start]!, end - start)) out.push(sequence);
    start = end;
  }
  return out;
}

/** Decodes a sequence number Freshet issued; undefined for anything else. */
export function decodeSequenceNumber(sequence: string): SequencePosition | undefined {
  if (!SEQUENCE_PATTERN.test(sequence)) return undefined;
  const value = BigInt(sequence);
  if (value < VERSION_BASE || value >= VERSION_END) return undefined;
  const offset = value - VERSION_BASE;
  const shardIndex = offset / CURSOR_LIMIT;
  if (shardIndex > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { shardIndex: Number(shardIndex), cursor: offset % CURSOR_LIMIT };
}
