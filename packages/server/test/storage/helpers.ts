/** Shared helpers for the storage tests. */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalStorage, type LocalStorage, type LocalStorageOptions } from '../../src/storage/local/index.js';
import type { RecordInput, StoredRecord, StreamLog } from '../../src/storage/types.js';

export const NO_EXPIRY = { notBeforeMs: 0 };
export const BIG_LIMITS = { maxRecords: 100_000, maxBytes: 1 << 30, notBeforeMs: 0 };

export function tempDir(label = 'freshet-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), label));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Opens a store in a fresh temp dir; warnings are collected instead of printed. */
export async function openTemp(
  options: Partial<LocalStorageOptions> = {},
): Promise<{ storage: LocalStorage; dataDir: string; warnings: string[] }> {
  const dataDir = options.dataDir ?? tempDir();
  const warnings: string[] = [];
  const storage = await openLocalStorage({ fsync: 'never', warn: (m) => warnings.push(m), ...options, dataDir });
  return { storage, dataDir, warnings };
}

export function record(partitionKey: string, data: string | Buffer): RecordInput {
  return { partitionKey, data: typeof data === 'string' ? Buffer.from(data) : data };
}

/** Reads a shard from `from` to its tip, in reads of maxRecords. */
export async function readAll(log: StreamLog, shard: number, from = 0n, maxRecords = 1000, notBeforeMs = 0): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let cursor = from;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const result = await log.read(shard, cursor, { maxRecords, maxBytes: 1 << 30, notBeforeMs });
    out.push(...result.records);
    if (result.nextCursor < cursor) throw new Error('nextCursor went backwards');
    cursor = result.nextCursor;
    if (result.atTip) return out;
    if (result.records.length === 0) throw new Error('a read that is not at the tip returned nothing');
  }
  throw new Error('readAll did not reach the tip');
}

/** The files of a stream's directory (there is exactly one stream directory in these tests). */
export function streamDir(dataDir: string): string {
  const root = path.join(dataDir, 'streams');
  const dirs = fs.readdirSync(root).filter((name) => !name.startsWith('.'));
  if (dirs.length !== 1) throw new Error(`expected one stream directory, found ${dirs.join(', ')}`);
  return path.join(root, dirs[0]!);
}

export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort();
}

export function indexFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.idx'))
    .sort();
}

export const text = (r: StoredRecord) => r.data.toString();

/**
 * Replaces a method of node's FileHandle class (found through a handle of our own) until the
 * returned restore function is called: how tests make the log's writes or syncs fail.
 */
export async function patchFileHandle(method: 'write' | 'datasync', impl: (...args: unknown[]) => Promise<unknown>): Promise<() => void> {
  const probe = await fs.promises.open(os.tmpdir(), 'r');
  const proto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  await probe.close();
  const real = proto[method];
  proto[method] = impl;
  return () => {
    proto[method] = real;
  };
}

/** An EIO, as a failing disk reports it. */
export function ioError(call: string): Error {
  return Object.assign(new Error(`EIO: i/o error, ${call}`), { code: 'EIO' });
}

type FileHandleMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * Like patchFileHandle, but the replacement gets the real method (bound to the handle) and the
 * call's arguments, so a test can let some calls through, or fail one half-way.
 */
export async function wrapFileHandle(
  method: 'write' | 'datasync' | 'truncate',
  impl: (real: FileHandleMethod, args: unknown[]) => Promise<unknown>,
): Promise<() => void> {
  const probe = await fs.promises.open(os.tmpdir(), 'r');
  const proto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  await probe.close();
  const real = proto[method] as FileHandleMethod;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    return impl((...realArgs: unknown[]) => real.apply(this, realArgs), args);
  };
  return () => {
    proto[method] = real;
  };
}

/** An errno error as node reports it (ENOSPC, EDQUOT, EIO...). */
export function errnoError(code: string, call: string): Error {
  return Object.assign(new Error(`${code}: ${call} failed`), { code });
}

/** Flips every bit of one byte of a file. */
export function flipByte(file: string, at: number): void {
  const handle = fs.openSync(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    fs.readSync(handle, byte, 0, 1, at);
    byte[0] ^= 0xff;
    fs.writeSync(handle, byte, 0, 1, at);
  } finally {
    fs.closeSync(handle);
  }
}
