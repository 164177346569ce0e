/**
 * Little-endian u64 fields holding JS numbers. Positions and times are integers below 2^53, so
 * a number holds them exactly and avoids a BigInt allocation on every header.
 */

const TWO_32 = 2 ** 32;
/** The high word of an integer below 2^53 is below 2^21. */
const MAX_HIGH_WORD = 2 ** 21 - 1;

export function writeU64(buf: Buffer, offset: number, value: number): void {
  // `>>> 0` is ToUint32, i.e. value modulo 2^32, exact for integers below 2^53.
  buf.writeUInt32LE(value >>> 0, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

/** Returns NaN when the field does not hold an integer below 2^53 (callers treat it as corrupt). */
export function readU64(buf: Buffer, offset: number): number {
  const low = buf.readUInt32LE(offset);
  const high = buf.readUInt32LE(offset + 4);
  if (high > MAX_HIGH_WORD) return Number.NaN;
  return high * TWO_32 + low;
}
