/**
 * Opening a log after a clean close or a crash. Only the active (last) segment is scanned;
 * sealed segments are trusted through their index files (header and directory only), and an
 * index that is missing or fails its checks is rebuilt by scanning its segment.
 *
 * Damage is confined: a scan resynchronises on the next valid chunk after bad bytes, so only
 * those bytes are lost. Synced data is never truncated: only a torn tail (no valid chunk after the
 * bad bytes up to the end of the file) is cut, after a copy of it is kept in `damaged/`. The log
 * then continues in a new segment at or after max(end of the file, reserved position), so no
 * cursor is ever issued twice.
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { assert, StorageCorruptionError } from './errors.js';
import { ensureDir, fsyncDir, readFully, TEMP_SUFFIX, writeFileAtomic } from './files.js';
import { RESERVE_STEP_BYTES, SCAN_BLOCK_BYTES } from './limits.js';
import { readReservedPosition, RESERVED_POSITION_FILE } from './reservedPosition.js';
import { indexFileName, INDEX_SUFFIX, parseBase, scanSegment, Segment, SEGMENT_SUFFIX, segmentFileName } from './segment.js';
import {
  decodeDirectory,
  decodeIndexFile,
  encodeIndexFile,
  INDEX_HEADER_BYTES,
  parseIndexHeader,
  SegmentIndex,
  ShardDirectory,
} from './shardIndex.js';

/** Bytes that failed their checks; `file` and `quarantined` are absolute paths. */
export interface Damage {
  file: string;
  from: number;
  to: number;
  reason: string;
  quarantined?: string;
  /** Already reported as a warning (a torn tail: the expected outcome of a crash). */
  warned?: boolean;
}

export type DamageSink = (damage: Damage) => void;

/** Where recovery keeps a copy of the bytes it cuts, inside the stream's directory. */
export const DAMAGED_DIR = 'damaged';

export interface RecoveredLog {
  /** In position order; the last one is active and holds its index and write handle. */
  segments: Segment[];
  writeHandle: fs.FileHandle;
  /** Sealed indexes rebuilt during recovery (already in memory, worth caching). */
  rebuilt: Array<{ segment: Segment; index: SegmentIndex }>;
  /** The durable high-water mark of positions as found (the log may not issue below it). */
  reserved: number;
}

export async function recoverLog(dir: string, sync: boolean, warn: (message: string) => void, onDamage: DamageSink): Promise<RecoveredLog> {
  await ensureDir(dir, sync);
  const bases = await listSegments(dir);
  if (bases.length === 0) {
    await (await fs.open(path.join(dir, segmentFileName(0)), 'wx')).close();
    if (sync) await fsyncDir(dir);
    bases.push(0);
  }
  const segments: Segment[] = [];
  const rebuilt: RecoveredLog['rebuilt'] = [];
  let newestArrival = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < bases.length - 1; k++) {
    const segment = await openSealed(dir, bases[k]!, bases[k + 1]!);
    const loaded = await loadDirectory(segment);
    if (typeof loaded === 'string') {
      warn(`rebuilding index ${segment.indexPath}: ${loaded}`);
      const index = await rebuildSealedIndex(segment, newestArrival, sync, onDamage);
      rebuilt.push({ segment, index });
    } else {
      segment.directory = loaded;
    }
    newestArrival = Math.max(newestArrival, segment.maxArrival);
    segments.push(segment);
  }
  const recovered = await recoverActive(dir, bases[bases.length - 1]!, newestArrival, sync, warn, onDamage);
  if (recovered.sealed) {
    segments.push(recovered.sealed.segment);
    rebuilt.push(recovered.sealed);
  }
  segments.push(recovered.segment);
  return { segments, writeHandle: recovered.handle, rebuilt, reserved: recovered.reserved };
}

/** Segment bases in order; deletes temp files, orphan indexes and the active segment's index. */
async function listSegments(dir: string): Promise<number[]> {
  const names = await fs.readdir(dir);
  const bases: number[] = [];
  const indexBases: number[] = [];
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) {
      await fs.rm(path.join(dir, name), { force: true });
      continue;
    }
    const base = parseBase(name, SEGMENT_SUFFIX);
    if (base !== undefined) bases.push(base);
    const indexBase = parseBase(name, INDEX_SUFFIX);
    if (indexBase !== undefined) indexBases.push(indexBase);
  }
  bases.sort((a, b) => a - b);
  const sealed = new Set(bases.slice(0, -1));
  for (const base of indexBases) {
    // An index without its segment is left over from a trim; the active segment's index is stale
    // (written by a roll that crashed before the next segment existed): it is rewritten when rolled.
    if (!sealed.has(base)) await fs.rm(path.join(dir, indexFileName(base)), { force: true });
  }
  return bases;
}

async function openSealed(dir: string, base: number, nextBase: number): Promise<Segment> {
  const stat = await fs.stat(path.join(dir, segmentFileName(base)));
  const end = base + stat.size;
  if (end > nextBase) {
    const problem = `segment overlaps the next one (ends at ${end}, next starts at ${nextBase})`;
    throw new StorageCorruptionError(segmentFileName(base), problem);
  }
  return new Segment(dir, base, end, true);
}

/** Reads and verifies the header and directory of a sealed index; a reason string if unusable. */
async function loadDirectory(segment: Segment): Promise<ShardDirectory | string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(segment.indexPath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'index file missing';
    throw error;
  }
  try {
    const fileBytes = (await handle.stat()).size;
    const header = Buffer.alloc(INDEX_HEADER_BYTES);
    await readFully(handle, header, header.length, 0);
    const head = parseIndexHeader(header, segment.base, segment.end, fileBytes);
    if (typeof head === 'string') return head;
    const headBytes = Buffer.alloc(head.headBytes);
    await readFully(handle, headBytes, headBytes.length, 0);
    return decodeDirectory(headBytes, head);
  } finally {
    await handle.close();
  }
}

/**
 * Scans a sealed segment and writes its index file again. Damaged bytes inside a sealed segment
 * are reported and skipped: the chunks after them are indexed. A sealed segment is never
 * truncated (later segments do not depend on it, and the bytes may be evidence).
 */
export async function rebuildSealedIndex(
  segment: Segment,
  minArrivalMs: number,
  sync: boolean,
  onDamage: DamageSink,
): Promise<SegmentIndex> {
  assert(segment.sealed, 'only sealed segments have index files');
  const handle = await fs.open(segment.logPath, 'r');
  let index: SegmentIndex;
  try {
    const scan = await scanSegment(handle, segment.base, segment.size, minArrivalMs);
    for (const bad of scan.damaged) {
      onDamage({ file: segment.logPath, from: segment.base + bad.from, to: segment.base + bad.to, reason: bad.reason });
    }
    if (scan.problem) {
      const reason = `${scan.problem} (no valid chunk up to the end of the sealed segment)`;
      onDamage({ file: segment.logPath, from: segment.base + scan.validBytes, to: segment.end, reason });
    }
    index = scan.index;
  } finally {
    await handle.close();
  }
  await writeFileAtomic(segment.indexPath, encodeIndexFile(segment.base, segment.end, index), sync);
  segment.directory = ShardDirectory.fromIndex(index);
  return index;
}

interface RecoveredActive {
  segment: Segment;
  handle: fs.FileHandle;
  /** The previous active segment, sealed because the log moves on past it. */
  sealed?: { segment: Segment; index: SegmentIndex };
  reserved: number;
}

/**
 * Scans the active segment and indexes its valid chunks (past any damaged range). A torn tail is
 * copied to `damaged/` and cut. If the log was not closed cleanly (the reserved position is past
 * the end of the file), or anything was damaged or cut, the segment is sealed and the log
 * continues in a new segment at or after max(end of the file before the cut, reserved position):
 * every position that may ever have been issued stays behind.
 */
async function recoverActive(
  dir: string,
  base: number,
  minArrivalMs: number,
  sync: boolean,
  warn: (message: string) => void,
  onDamage: DamageSink,
): Promise<RecoveredActive> {
  const file = path.join(dir, segmentFileName(base));
  let handle = await fs.open(file, 'r+');
  try {
    const fileBytes = (await handle.stat()).size;
    const scan = await scanSegment(handle, base, fileBytes, minArrivalMs);
    for (const bad of scan.damaged) onDamage({ file, from: base + bad.from, to: base + bad.to, reason: bad.reason });
    if (scan.validBytes < fileBytes) {
      // Only the tail of the last flush can be torn by a crash, and it was never acknowledged;
      // still, its bytes are kept aside before the cut, in case they are something else.
      const quarantined = await quarantine(dir, handle, base, scan.validBytes, fileBytes, sync);
      warn(`truncating ${segmentFileName(base)} from ${fileBytes} to ${scan.validBytes} bytes: ${scan.problem} (copy in ${quarantined})`);
      const reason = `torn tail: ${scan.problem}`;
      onDamage({ file, from: base + scan.validBytes, to: base + fileBytes, reason, quarantined, warned: true });
      await handle.truncate(scan.validBytes);
      if (sync) await handle.sync();
    }
    const found = await readReservedPosition(dir);
    let reserved: number;
    if (typeof found === 'number') {
      reserved = found;
    } else if (found === undefined && fileBytes === 0 && base === 0) {
      reserved = 0; // a new log
    } else {
      // Without the mark, the positions issued before are unknown past the file's end: skip far.
      // A missing mark is a log written before it existed (a warning); a corrupt one is damage.
      const skip = `the log continues ${RESERVE_STEP_BYTES} bytes past its end`;
      if (found === undefined) {
        warn(`${path.join(dir, RESERVED_POSITION_FILE)} is missing; ${skip}`);
      } else {
        const reason = `${RESERVED_POSITION_FILE}: ${found.problem}; ${skip}`;
        onDamage({ file: path.join(dir, RESERVED_POSITION_FILE), from: base + fileBytes, to: base + fileBytes, reason });
      }
      reserved = base + fileBytes + RESERVE_STEP_BYTES;
    }
    const nextBase = Math.max(base + fileBytes, reserved);
    const validEnd = base + scan.validBytes;
    if (nextBase === validEnd && scan.damaged.length === 0) {
      const segment = new Segment(dir, base, validEnd, false);
      segment.index = scan.index;
      segment.adoptHandle(handle);
      return { segment, handle, reserved };
    }
    // Move on: the new segment is created before the old one is sealed or removed, so a crash in
    // between never leaves the log without its highest segment.
    const next = new Segment(dir, nextBase, nextBase, false);
    const nextHandle = await fs.open(next.logPath, 'wx+');
    let sealed: RecoveredActive['sealed'];
    if (scan.validBytes === 0) {
      await handle.close();
      await fs.rm(file);
    } else {
      await writeFileAtomic(path.join(dir, indexFileName(base)), encodeIndexFile(base, validEnd, scan.index), sync);
      const segment = new Segment(dir, base, validEnd, true);
      segment.directory = ShardDirectory.fromIndex(scan.index);
      await handle.close();
      sealed = { segment, index: scan.index };
    }
    if (sync) await fsyncDir(dir);
    handle = nextHandle;
    next.index = new SegmentIndex();
    next.adoptHandle(nextHandle);
    return { segment: next, handle: nextHandle, sealed, reserved };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** Copies file bytes [from, to) of a segment to `damaged/<segment name>@<from>` before a cut. */
async function quarantine(dir: string, handle: fs.FileHandle, base: number, from: number, to: number, sync: boolean): Promise<string> {
  const damagedDir = path.join(dir, DAMAGED_DIR);
  await ensureDir(damagedDir, sync);
  const target = path.join(damagedDir, `${segmentFileName(base)}@${from}`);
  const temp = target + TEMP_SUFFIX;
  const out = await fs.open(temp, 'w');
  try {
    // In blocks: a torn tail can be as large as a segment.
    const block = Buffer.allocUnsafe(Math.min(SCAN_BLOCK_BYTES, Math.max(1, to - from)));
    for (let at = from; at < to;) {
      const got = await readFully(handle, block, Math.min(block.length, to - at), at);
      if (got === 0) break;
      await out.write(block, 0, got, at - from);
      at += got;
    }
    if (sync) await out.datasync();
  } finally {
    await out.close();
  }
  await fs.rename(temp, target);
  if (sync) await fsyncDir(damagedDir);
  return target;
}

/**
 * Checks every segment and index of a log without changing anything (`freshet check`).
 * `committedEnd` is given when the log is open: its active segment is checked only up to it (the
 * bytes after it are being written).
 */
export async function verifyLog(dir: string, committedEnd?: number): Promise<Damage[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const bases = names.flatMap((name) => parseBase(name, SEGMENT_SUFFIX) ?? []).sort((a, b) => a - b);
  const found: Damage[] = [];
  let newestArrival = Number.NEGATIVE_INFINITY;
  let logEnd = 0;
  for (let k = 0; k < bases.length; k++) {
    const base = bases[k]!;
    const isLast = k === bases.length - 1;
    const file = path.join(dir, segmentFileName(base));
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // trimmed meanwhile
      throw error;
    }
    let size: number;
    let index: SegmentIndex;
    try {
      size = (await handle.stat()).size;
      const scanBytes = isLast && committedEnd !== undefined ? Math.max(0, Math.min(size, committedEnd - base)) : size;
      const scan = await scanSegment(handle, base, scanBytes, newestArrival);
      for (const bad of scan.damaged) found.push({ file, from: base + bad.from, to: base + bad.to, reason: bad.reason });
      if (scan.problem) {
        const what = isLast ? 'torn tail, cut at the next open' : 'no valid chunk up to the end of the sealed segment';
        found.push({ file, from: base + scan.validBytes, to: base + scanBytes, reason: `${scan.problem} (${what})` });
      }
      index = scan.index;
    } finally {
      await handle.close();
    }
    newestArrival = Math.max(newestArrival, index.maxArrival);
    logEnd = base + size;
    if (isLast) continue;
    const nextBase = bases[k + 1]!;
    if (base + size > nextBase) {
      found.push({ file, from: nextBase, to: base + size, reason: `segment overlaps the next one (starts at ${nextBase})` });
      continue;
    }
    const indexPath = path.join(dir, indexFileName(base));
    let stored: Buffer;
    try {
      stored = await fs.readFile(indexPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      found.push({ file: indexPath, from: base, to: base + size, reason: 'index file missing (rebuilt when needed)' });
      continue;
    }
    const decoded = decodeIndexFile(stored, base, base + size);
    if (typeof decoded === 'string') {
      found.push({ file: indexPath, from: base, to: base + size, reason: `index: ${decoded} (rebuilt when needed)` });
    } else if (!encodeIndexFile(base, base + size, index).equals(stored)) {
      found.push({ file: indexPath, from: base, to: base + size, reason: 'index does not match the chunks of its segment' });
    }
  }
  const reserved = await readReservedPosition(dir);
  const reservedPath = path.join(dir, RESERVED_POSITION_FILE);
  // A missing mark is not damage: a log written before it existed has none until it is opened.
  if (typeof reserved === 'object') {
    found.push({ file: reservedPath, from: logEnd, to: logEnd, reason: `${RESERVED_POSITION_FILE}: ${reserved.problem}` });
  }
  return found;
}
