/**
 * The durable high-water mark of a log's positions: `<stream dir>/reserved-position`, holding a
 * position R that no chunk written so far reaches. It is advanced (and synced) before a write
 * would pass it, in large steps, so it costs an extra sync only once per RESERVE_STEP_BYTES of
 * log; a clean close lowers it to the committed end. Recovery starts the log again at or after
 * max(end of file, R), so a cursor (hence a sequence number) is never issued twice, whatever
 * happened to the segment files (a torn tail cut, a file truncated, acknowledged data lost with
 * fsync 'never').
 *
 * Format, 24 bytes, little-endian: u32 magic `FHWM`, u16 version 1, u16 reserved 0, u32 CRC-32 of
 * bytes [12, 24), u32 reserved 0, u64 R.
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { readU64, writeU64 } from './binary.js';
import { writeFileAtomic } from './files.js';

export const RESERVED_POSITION_FILE = 'reserved-position';
const MAGIC = 0x4d574846;
const VERSION = 1;
const FILE_BYTES = 24;

/** The reserved position R, `undefined` if the file does not exist, or why it is unreadable. */
export async function readReservedPosition(dir: string): Promise<number | undefined | { problem: string }> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(path.join(dir, RESERVED_POSITION_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (buf.length !== FILE_BYTES) return { problem: `${buf.length} bytes where ${FILE_BYTES} were expected` };
  if (buf.readUInt32LE(0) !== MAGIC || buf.readUInt16LE(4) !== VERSION || buf.readUInt16LE(6) !== 0) {
    return { problem: 'bad magic or version' };
  }
  if (crc32(buf.subarray(12)) !== buf.readUInt32LE(8)) return { problem: 'checksum mismatch' };
  const position = readU64(buf, 16);
  return Number.isNaN(position) ? { problem: 'position out of range' } : position;
}

/**
 * Replaces the file atomically and durably. Synced even with fsync 'never': it is written once
 * per RESERVE_STEP_BYTES, and it is what keeps sequence numbers unique after a power loss.
 */
export async function writeReservedPosition(dir: string, position: number): Promise<void> {
  const buf = Buffer.alloc(FILE_BYTES);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt16LE(VERSION, 4);
  writeU64(buf, 16, position);
  buf.writeUInt32LE(crc32(buf.subarray(12)), 8);
  await writeFileAtomic(path.join(dir, RESERVED_POSITION_FILE), buf, true);
}
