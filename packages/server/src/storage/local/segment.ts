/**
 * Segments: the files a stream's log is split into. `<base>.log` holds the chunks whose positions
 * start at base (20 decimal digits, zero-padded, so names sort by position); `<base>.idx` is its
 * sealed index, written when the segment is rolled. Only the last segment (the active one) is
 * ever written.
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { checksumMatches, parseChunkHeader, recordsFitChunk, CHUNK_HEADER_BYTES, CHUNK_MAGIC, type ChunkHeader } from './chunk.js';
import { assert } from './errors.js';
import { readFully } from './files.js';
import { SCAN_BLOCK_BYTES } from './limits.js';
import { SegmentIndex, type ShardDirectory } from './shardIndex.js';

const NAME_DIGITS = 20;
export const SEGMENT_SUFFIX = '.log';
export const INDEX_SUFFIX = '.idx';

export function segmentFileName(base: number): string {
  return String(base).padStart(NAME_DIGITS, '0') + SEGMENT_SUFFIX;
}

export function indexFileName(base: number): string {
  return String(base).padStart(NAME_DIGITS, '0') + INDEX_SUFFIX;
}

/** Parses `<20 digits><suffix>`; undefined for any other name. */
export function parseBase(fileName: string, suffix: string): number | undefined {
  if (fileName.length !== NAME_DIGITS + suffix.length || !fileName.endsWith(suffix)) return undefined;
  const digits = fileName.slice(0, NAME_DIGITS);
  if (!/^\d+$/.test(digits)) return undefined;
  const base = Number(digits);
  return Number.isSafeInteger(base) ? base : undefined;
}

/**
 * One segment file. `index` is its chunk index when in memory: always for the active segment,
 * while cached for a sealed one. `directory` summarizes a sealed segment without its entries.
 * The read handle is reference counted so that neither the LRU of open files nor deletion closes
 * a handle under a read in flight.
 */
export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  end: number;
  sealed: boolean;
  index: SegmentIndex | undefined;
  directory: ShardDirectory | undefined;
  /** Set while the sealed index is being loaded, so concurrent reads share one load. */
  loading: Promise<SegmentIndex> | undefined;
  deleted = false;
  private handle: Promise<fs.FileHandle> | undefined;
  private refs = 0;
  private closeRequested = false;

  constructor(
    dir: string,
    readonly base: number,
    end: number,
    sealed: boolean,
  ) {
    assert(end >= base, 'segment end at or after its base');
    this.logPath = path.join(dir, segmentFileName(base));
    this.indexPath = path.join(dir, indexFileName(base));
    this.end = end;
    this.sealed = sealed;
  }

  get size(): number {
    return this.end - this.base;
  }

  get isEmpty(): boolean {
    return this.end === this.base;
  }

  /** Newest arrival time in the segment (-Infinity when empty or unknown). */
  get maxArrival(): number {
    if (this.index) return this.index.maxArrival;
    return this.directory ? this.directory.maxArrival : Number.NEGATIVE_INFINITY;
  }

  /** Adopts an already open handle (the active segment's write handle). */
  adoptHandle(handle: fs.FileHandle): void {
    assert(this.handle === undefined, 'segment has no handle yet');
    this.handle = Promise.resolve(handle);
  }

  get hasHandle(): boolean {
    return this.handle !== undefined;
  }

  /** A handle for reading, or undefined if the segment was deleted (trimmed). Pair with release(). */
  async acquire(): Promise<fs.FileHandle | undefined> {
    if (this.deleted) return undefined;
    this.refs++;
    this.closeRequested = false;
    try {
      this.handle ??= fs.open(this.logPath, 'r');
      return await this.handle;
    } catch (error) {
      this.refs--;
      this.handle = undefined;
      throw error;
    }
  }

  release(): void {
    assert(this.refs > 0, 'release matches an acquire');
    this.refs--;
    if (this.refs === 0 && this.closeRequested) void this.closeNow();
  }

  /** Closes the handle now if idle, else when the last reader releases it. */
  requestClose(): Promise<void> {
    this.closeRequested = true;
    return this.refs === 0 ? this.closeNow() : Promise.resolve();
  }

  private async closeNow(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.closeRequested = false;
    if (handle) await handle.then((h) => h.close()).catch(() => undefined);
  }
}

/** Bytes of a segment file that failed the chunk checks, as offsets in the file. */
export interface ScanDamage {
  from: number;
  to: number;
  reason: string;
}

export interface ScanResult {
  index: SegmentIndex;
  /** Bad byte ranges followed by a valid chunk: confined, the chunks after them are indexed. */
  damaged: ScanDamage[];
  /** End of the last valid chunk. Bytes after it (if < size) hold no valid chunk: a torn tail. */
  validBytes: number;
  /** Why the bytes after validBytes are not chunks (undefined when the file ends with a chunk). */
  problem: string | undefined;
}

/**
 * Reads a segment file from the start, verifying every chunk (header, position, checksum, record
 * structure, arrival order), and indexes the valid ones. At a chunk that fails, the scan
 * resynchronises on the next valid chunk: a chunk header names its own position, so a candidate
 * found by searching for the magic byte must sit exactly where it says, and pass its checksum,
 * before it is trusted. Only the bytes in between become a damaged range; if no valid chunk follows
 * up to the end of the file, those bytes are the torn tail (validBytes, problem).
 * minArrivalMs is the newest arrival of earlier segments: times never go backwards in a log.
 */
export async function scanSegment(handle: fs.FileHandle, base: number, fileBytes: number, minArrivalMs: number): Promise<ScanResult> {
  const index = new SegmentIndex();
  const damaged: ScanDamage[] = [];
  let block = Buffer.allocUnsafe(Math.min(SCAN_BLOCK_BYTES, Math.max(fileBytes, CHUNK_HEADER_BYTES)));
  let blockStart = 0;
  let blockBytes = 0;
  let lastArrival = minArrivalMs;

  /** Makes file bytes [at, at + length) available in block; false at end of file. */
  const ensure = async (at: number, length: number): Promise<boolean> => {
    if (at >= blockStart && at + length <= blockStart + blockBytes) return true;
    if (length > block.length) block = Buffer.allocUnsafe(length);
    blockStart = at;
    blockBytes = await readFully(handle, block, Math.min(block.length, fileBytes - at), at);
    return at + length <= blockStart + blockBytes;
  };

  /** The valid chunk starting at file offset `at`, or why there is none. */
  const chunkAt = async (at: number): Promise<ChunkHeader | string> => {
    if (!(await ensure(at, Math.min(CHUNK_HEADER_BYTES, fileBytes - at)))) return 'short read';
    const header = parseChunkHeader(block, at - blockStart, fileBytes - at);
    if (typeof header === 'string') return header;
    if (header.position !== base + at) return 'chunk names another position';
    if (header.arrivalMs < lastArrival) return 'arrival time goes backwards';
    if (!(await ensure(at, header.length))) return 'short read';
    const offset = at - blockStart;
    if (!checksumMatches(block, offset, header.length)) return 'chunk checksum mismatch';
    if (!recordsFitChunk(block, offset, header)) return 'records do not fill the chunk';
    return header;
  };

  /** The offset of the next valid chunk after a bad one at `from`, or -1 if none to the end. */
  const resync = async (from: number): Promise<number> => {
    let at = from + 1;
    while (at + CHUNK_HEADER_BYTES <= fileBytes) {
      if (!(await ensure(at, CHUNK_HEADER_BYTES))) return -1;
      const found = block.subarray(0, blockBytes).indexOf(CHUNK_MAGIC, at - blockStart);
      if (found < 0) {
        // No candidate in this block; the next block starts where this one ends.
        at = blockStart + blockBytes;
        continue;
      }
      at = blockStart + found;
      if (at + CHUNK_HEADER_BYTES > fileBytes) return -1;
      if (typeof (await chunkAt(at)) !== 'string') return at;
      at++;
    }
    return -1;
  };

  let at = 0;
  while (at < fileBytes) {
    const header = await chunkAt(at);
    if (typeof header === 'string') {
      const next = await resync(at);
      if (next < 0) return { index, damaged, validBytes: at, problem: header };
      damaged.push({ from: at, to: next, reason: header });
      at = next;
      continue;
    }
    addChunk(index, header);
    lastArrival = header.arrivalMs;
    at += header.length;
  }
  return { index, damaged, validBytes: at, problem: undefined };
}

function addChunk(index: SegmentIndex, header: ChunkHeader): void {
  index.add(header.shard, header.position, header.length, header.recordCount, header.arrivalMs);
}
