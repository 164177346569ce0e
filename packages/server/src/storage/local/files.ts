/** File-system helpers: positional I/O loops, atomic replacement, directory syncs, safe names. */

import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MAX_ENCODED_NAME_BYTES } from './limits.js';

/** Suffix of temporary files. Never produced by encodeName, so a temp file is never a real name. */
export const TEMP_SUFFIX = '.~tmp';

/** pwrite until every byte is written (write(2) may write less than asked). */
export async function writeFully(handle: fs.FileHandle, buf: Buffer, filePosition: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, filePosition + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

/**
 * Writes up to this many bytes with a synchronous pwrite on the event loop: copying a few KiB into
 * the page cache takes microseconds, less than the two thread hand-offs of an asynchronous write
 * through libuv's pool, which on an idle machine cost ~0.1-0.2 ms of latency per PutRecord.
 * Larger writes go through the pool, so the loop never stalls on a big copy.
 */
export const SYNC_WRITE_MAX_BYTES = 64 * 1024;

/** writeFully, done synchronously when the buffer is small (SYNC_WRITE_MAX_BYTES). */
export async function writeFullySmallSync(handle: fs.FileHandle, buf: Buffer, filePosition: number): Promise<void> {
  if (buf.length > SYNC_WRITE_MAX_BYTES) return writeFully(handle, buf, filePosition);
  let done = 0;
  while (done < buf.length) {
    const bytesWritten = writeSync(handle.fd, buf, done, buf.length - done, filePosition + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

/** pread until `length` bytes are read; returns fewer only at end of file. */
export async function readFully(handle: fs.FileHandle, buf: Buffer, length: number, filePosition: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, filePosition + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Makes the directory's entries (created, renamed, deleted files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `data` atomically: write a temp file, sync it, rename it over the target,
 * sync the directory. A crash leaves either the old file or the new one, never a mix.
 * With sync false the steps are the same without the syncs (atomic against a process crash only).
 */
export async function writeFileAtomic(file: string, data: Buffer, sync: boolean): Promise<void> {
  const temp = file + TEMP_SUFFIX;
  const handle = await fs.open(temp, 'w');
  try {
    await writeFully(handle, data, 0);
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  if (sync) await fsyncDir(path.dirname(file));
}

/** Creates a directory (and parents) and makes its entry durable in its parent. */
export async function ensureDir(dir: string, sync: boolean): Promise<void> {
  const created = await fs.mkdir(dir, { recursive: true });
  if (created !== undefined && sync) {
    // mkdir -p may create several levels; sync each created level's parent.
    let current = dir;
    while (current.length >= created.length) {
      await fsyncDir(path.dirname(current));
      current = path.dirname(current);
    }
  }
}

const NAME_SAFE = /^[a-z0-9_.-]$/;

/**
 * Encodes any string into a safe, readable file name: [a-z0-9_.-] stay (except a leading dot),
 * every other UTF-8 byte becomes %XX. Upper-case letters are escaped too, so two names that
 * differ only in case stay distinct on case-insensitive file systems (macOS). A name longer than
 * MAX_ENCODED_NAME_BYTES becomes `~` + sha256 (the encoder never emits `~` otherwise).
 */
export function encodeName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const char = String.fromCharCode(byte);
    const keep = byte < 0x80 && NAME_SAFE.test(char) && !(out.length === 0 && char === '.');
    out += keep ? char : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  if (out.length === 0) return '%';
  if (out.length > MAX_ENCODED_NAME_BYTES) {
    return '~' + createHash('sha256').update(name, 'utf8').digest('hex');
  }
  return out;
}
