/**
 * The 128-bit hash key space. A partition key maps to MD5(utf8 key) read as a big-endian
 * unsigned 128-bit integer; the shard whose [StartingHashKey, EndingHashKey] holds it takes the
 * record. Hash keys travel as 16-byte big-endian Buffers on the hot path (Buffer.compare is a
 * native memcmp) and as decimal strings on the wire.
 */
import { md5Utf8 } from '../../../util/md5.js';

export const HASH_KEY_BYTES = 16;
export const HASH_SPACE = 1n << 128n;
export const MAX_HASH_KEY = HASH_SPACE - 1n;

export function partitionKeyHash(partitionKey: string): Buffer {
  return md5Utf8(partitionKey);
}

export function hashKeyToBuffer(value: bigint): Buffer {
  if (value < 0n || value > MAX_HASH_KEY) throw new RangeError(`hash key out of range: ${value}`);
  const out = Buffer.allocUnsafe(HASH_KEY_BYTES);
  out.writeBigUInt64BE(value >> 64n, 0);
  out.writeBigUInt64BE(value & 0xffffffffffffffffn, 8);
  return out;
}

export function hashKeyFromBuffer(key: Buffer): bigint {
  return (key.readBigUInt64BE(0) << 64n) | key.readBigUInt64BE(8);
}

/** AWS's even split: each of n shards gets floor(2^128 / n) keys, the last one the remainder. */
export function evenHashRanges(count: number): Array<{ start: bigint; end: bigint }> {
  const width = HASH_SPACE / BigInt(count);
  const ranges = [];
  for (let i = 0; i < count; i++) {
    const start = width * BigInt(i);
    const end = i === count - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n;
    ranges.push({ start, end });
  }
  return ranges;
}
