/**
 * Opening a log after a clean close or a crash. Only the active (last) segment is scanned;
 * sealed segments are trusted through their index files (header and directory only), and an
 * index that is missing or fails its checks is rebuilt by scanning its segment.
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { assert, StorageCorruptionError } from './errors.js';
import { ensureDir, fsyncDir, readFully, TEMP_SUFFIX, writeFileAtomic } from './files.js';
import { indexFileName, INDEX_SUFFIX, parseBase, scanSegment, Segment, SEGMENT_SUFFIX, segmentFileName } from './segment.js';
import { decodeDirectory, encodeIndexFile, INDEX_HEADER_BYTES, parseIndexHeader, type SegmentIndex, ShardDirectory } from './shardIndex.js';

export interface RecoveredLog {
  /** In position order; the last one is active and holds its index and write handle. */
  segments: Segment[];
  writeHandle: fs.FileHandle;
  /** Sealed indexes rebuilt during recovery (already in memory, worth caching). */
  rebuilt: Array<{ segment: Segment; index: SegmentIndex }>;
}

export async function recoverLog(dir: string, sync: boolean, warn: (message: string) => void): Promise<RecoveredLog> {
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
      const index = await rebuildSealedIndex(segment, newestArrival, sync, warn);
      rebuilt.push({ segment, index });
    } else {
      segment.directory = loaded;
    }
    newestArrival = Math.max(newestArrival, segment.maxArrival);
    segments.push(segment);
  }
  const { segment: active, handle } = await recoverActive(dir, bases[bases.length - 1]!, newestArrival, sync, warn);
  segments.push(active);
  return { segments, writeHandle: handle, rebuilt };
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
 * Scans a sealed segment and writes its index file again. A corrupt chunk inside a sealed segment
 * is reported and the rest of that segment is left unindexed (never truncated: it may be
 * evidence, and later segments do not depend on it).
 */
export async function rebuildSealedIndex(
  segment: Segment,
  minArrivalMs: number,
  sync: boolean,
  warn: (message: string) => void,
): Promise<SegmentIndex> {
  assert(segment.sealed, 'only sealed segments have index files');
  const handle = await fs.open(segment.logPath, 'r');
  let index: SegmentIndex;
  try {
    const scan = await scanSegment(handle, segment.base, segment.size, minArrivalMs);
    if (scan.problem) {
      warn(
        `sealed segment ${segment.logPath} is corrupt at byte ${scan.validBytes} (${scan.problem}); ` +
          `its records after that point are not readable`,
      );
    }
    index = scan.index;
  } finally {
    await handle.close();
  }
  await writeFileAtomic(segment.indexPath, encodeIndexFile(segment.base, segment.end, index), sync);
  segment.directory = ShardDirectory.fromIndex(index);
  return index;
}

/** Scans the active segment, truncates a torn or corrupt tail, and indexes what remains. */
async function recoverActive(
  dir: string,
  base: number,
  minArrivalMs: number,
  sync: boolean,
  warn: (message: string) => void,
): Promise<{ segment: Segment; handle: fs.FileHandle }> {
  const handle = await fs.open(path.join(dir, segmentFileName(base)), 'r+');
  try {
    const fileBytes = (await handle.stat()).size;
    const scan = await scanSegment(handle, base, fileBytes, minArrivalMs);
    if (scan.validBytes < fileBytes) {
      // Only the tail of the last flush can be torn by a crash; it was never acknowledged.
      warn(`truncating ${segmentFileName(base)} from ${fileBytes} to ${scan.validBytes} bytes: ${scan.problem}`);
      await handle.truncate(scan.validBytes);
      if (sync) await handle.sync();
    }
    const segment = new Segment(dir, base, base + scan.validBytes, false);
    segment.index = scan.index;
    segment.adoptHandle(handle);
    return { segment, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
