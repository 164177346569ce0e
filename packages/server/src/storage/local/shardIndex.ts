/**
 * Per-shard chunk indexes. Every chunk is indexed (chunks are already batches, so the index is
 * small: 24 bytes a chunk). Columns live in typed arrays, not objects, to keep memory compact and
 * the garbage collector idle.
 *
 * Sealed index file `<base>.idx` (little endian), written when a segment is rolled:
 *
 *   header, 48 bytes
 *     0  u32  magic 0x58495246 ("FRIX")
 *     4  u16  version 1
 *     6  u16  reserved, 0
 *     8  u32  CRC-32 of bytes [12, 48 + 32 * shardCount): header rest and directory
 *    12  u32  CRC-32 of the entries
 *    16  u32  shardCount
 *    20  u32  entryCount
 *    24  u64  base position of the segment
 *    32  u64  end position of the segment (base + file size)
 *    40  u64  reserved, 0
 *   directory, shardCount x 32 bytes, by ascending shard
 *     0  u32  shard
 *     4  u32  first entry of the shard
 *     8  u32  entry count of the shard
 *    12  u32  reserved, 0
 *    16  u64  arrival ms of the shard's first chunk in the segment
 *    24  u64  arrival ms of the shard's last chunk in the segment
 *   entries, entryCount x 24 bytes, sorted by shard then position
 *     0  u64  chunk position
 *     8  u32  chunk length
 *    12  u32  record count
 *    16  u64  arrival ms
 *
 * Start-up reads only the header and directory (two CRCs, so it can); the entries are loaded
 * lazily when a read needs the segment, and verified then.
 */

import { crc32 } from 'node:zlib';
import { readU64, writeU64 } from './binary.js';
import { assert } from './errors.js';

export const INDEX_MAGIC = 0x58495246;
export const INDEX_VERSION = 1;
export const INDEX_HEADER_BYTES = 48;
export const INDEX_DIRECTORY_ENTRY_BYTES = 32;
export const INDEX_ENTRY_BYTES = 24;

export interface ChunkColumns {
  positions: Float64Array;
  lengths: Uint32Array;
  counts: Uint32Array;
  arrivals: Float64Array;
}

/** The chunks of one shard within one segment, in position order (so arrival order too). */
export class ChunkList {
  positions: Float64Array;
  lengths: Uint32Array;
  counts: Uint32Array;
  arrivals: Float64Array;
  size: number;
  private readonly frozen: boolean;

  constructor(capacity = 8, columns?: ChunkColumns) {
    if (columns) {
      this.positions = columns.positions;
      this.lengths = columns.lengths;
      this.counts = columns.counts;
      this.arrivals = columns.arrivals;
      this.size = columns.positions.length;
      this.frozen = true;
    } else {
      this.positions = new Float64Array(capacity);
      this.lengths = new Uint32Array(capacity);
      this.counts = new Uint32Array(capacity);
      this.arrivals = new Float64Array(capacity);
      this.size = 0;
      this.frozen = false;
    }
  }

  push(position: number, length: number, count: number, arrivalMs: number): void {
    assert(!this.frozen, 'sealed chunk lists are read-only');
    if (this.size > 0) {
      assert(position > this.positions[this.size - 1]!, 'chunk positions increase within a shard');
      assert(arrivalMs >= this.arrivals[this.size - 1]!, 'arrival times never decrease');
    }
    if (this.size === this.positions.length) this.grow();
    this.positions[this.size] = position;
    this.lengths[this.size] = length;
    this.counts[this.size] = count;
    this.arrivals[this.size] = arrivalMs;
    this.size++;
  }

  /** Index of the first chunk at or after position (size if none). */
  firstAtOrAfter(position: number): number {
    return lowerBound(this.positions, this.size, position);
  }

  /** Index of the first chunk that arrived at or after timeMs (size if none). */
  firstArrivedAtOrAfter(timeMs: number): number {
    return lowerBound(this.arrivals, this.size, timeMs);
  }

  get firstArrival(): number {
    return this.arrivals[0]!;
  }

  get lastArrival(): number {
    return this.arrivals[this.size - 1]!;
  }

  get memoryBytes(): number {
    return this.positions.length * INDEX_ENTRY_BYTES + 128;
  }

  private grow(): void {
    const capacity = this.positions.length * 2;
    this.positions = copyInto(new Float64Array(capacity), this.positions);
    this.lengths = copyInto(new Uint32Array(capacity), this.lengths);
    this.counts = copyInto(new Uint32Array(capacity), this.counts);
    this.arrivals = copyInto(new Float64Array(capacity), this.arrivals);
  }
}

function copyInto<T extends Float64Array | Uint32Array>(target: T, source: T): T {
  target.set(source as never);
  return target;
}

/** First index i < size with values[i] >= value (values ascending). */
function lowerBound(values: Float64Array, size: number, value: number): number {
  let low = 0;
  let high = size;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The chunk index of one segment: a ChunkList per shard. */
export class SegmentIndex {
  readonly shards = new Map<number, ChunkList>();
  chunkCount = 0;
  minArrival = Number.POSITIVE_INFINITY;
  maxArrival = Number.NEGATIVE_INFINITY;

  add(shard: number, position: number, length: number, count: number, arrivalMs: number): void {
    let list = this.shards.get(shard);
    if (!list) {
      list = new ChunkList();
      this.shards.set(shard, list);
    }
    list.push(position, length, count, arrivalMs);
    this.chunkCount++;
    if (arrivalMs < this.minArrival) this.minArrival = arrivalMs;
    if (arrivalMs > this.maxArrival) this.maxArrival = arrivalMs;
  }

  get memoryBytes(): number {
    let bytes = 256;
    for (const list of this.shards.values()) bytes += list.memoryBytes;
    return bytes;
  }
}

/**
 * What start-up knows about a sealed segment without loading its entries: which shards it holds
 * and their first and last arrival times (for lastArrivalMs, cursorAtTime and skipping segments
 * that hold nothing of a shard). 20 bytes a shard.
 */
export class ShardDirectory {
  /** Oldest and newest arrival in the segment (+/-Infinity when it holds no chunk). */
  readonly minArrival: number;
  readonly maxArrival: number;

  constructor(
    readonly shards: Uint32Array,
    readonly firstArrivals: Float64Array,
    readonly lastArrivals: Float64Array,
  ) {
    this.minArrival = firstArrivals.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
    this.maxArrival = lastArrivals.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  }

  static fromIndex(index: SegmentIndex): ShardDirectory {
    const shards = Uint32Array.from([...index.shards.keys()].sort((a, b) => a - b));
    const first = new Float64Array(shards.length);
    const last = new Float64Array(shards.length);
    shards.forEach((shard, i) => {
      const list = index.shards.get(shard)!;
      first[i] = list.firstArrival;
      last[i] = list.lastArrival;
    });
    return new ShardDirectory(shards, first, last);
  }

  /** Slot of shard in the directory, or -1. */
  find(shard: number): number {
    let low = 0;
    let high = this.shards.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.shards[mid]! < shard) low = mid + 1;
      else high = mid;
    }
    return low < this.shards.length && this.shards[low] === shard ? low : -1;
  }
}

export function encodeIndexFile(base: number, end: number, index: SegmentIndex): Buffer {
  const shards = [...index.shards.keys()].sort((a, b) => a - b);
  const directoryBytes = shards.length * INDEX_DIRECTORY_ENTRY_BYTES;
  const entriesAt = INDEX_HEADER_BYTES + directoryBytes;
  const buf = Buffer.alloc(entriesAt + index.chunkCount * INDEX_ENTRY_BYTES);
  let entry = 0;
  shards.forEach((shard, slot) => {
    const list = index.shards.get(shard)!;
    const at = INDEX_HEADER_BYTES + slot * INDEX_DIRECTORY_ENTRY_BYTES;
    buf.writeUInt32LE(shard, at);
    buf.writeUInt32LE(entry, at + 4);
    buf.writeUInt32LE(list.size, at + 8);
    writeU64(buf, at + 16, list.firstArrival);
    writeU64(buf, at + 24, list.lastArrival);
    for (let i = 0; i < list.size; i++, entry++) {
      const e = entriesAt + entry * INDEX_ENTRY_BYTES;
      writeU64(buf, e, list.positions[i]!);
      buf.writeUInt32LE(list.lengths[i]!, e + 8);
      buf.writeUInt32LE(list.counts[i]!, e + 12);
      writeU64(buf, e + 16, list.arrivals[i]!);
    }
  });
  assert(entry === index.chunkCount, 'every chunk is written to the index');
  buf.writeUInt32LE(INDEX_MAGIC, 0);
  buf.writeUInt16LE(INDEX_VERSION, 4);
  buf.writeUInt32LE(shards.length, 16);
  buf.writeUInt32LE(index.chunkCount, 20);
  writeU64(buf, 24, base);
  writeU64(buf, 32, end);
  buf.writeUInt32LE(crc32(buf.subarray(entriesAt)), 12);
  buf.writeUInt32LE(crc32(buf.subarray(12, entriesAt)), 8);
  return buf;
}

export interface IndexHead {
  shardCount: number;
  entryCount: number;
  entriesCrc: number;
  /** Byte length of header plus directory. */
  headBytes: number;
}

/** Parses the fixed header; returns a reason string if it is not a valid header for this segment. */
export function parseIndexHeader(buf: Buffer, base: number, end: number, fileBytes: number): IndexHead | string {
  if (buf.length < INDEX_HEADER_BYTES) return 'index header torn';
  if (buf.readUInt32LE(0) !== INDEX_MAGIC) return 'bad index magic';
  if (buf.readUInt16LE(4) !== INDEX_VERSION) return 'unknown index version';
  if (buf.readUInt16LE(6) !== 0) return 'reserved index header bytes are not zero'; // not under a CRC
  const shardCount = buf.readUInt32LE(16);
  const entryCount = buf.readUInt32LE(20);
  if (readU64(buf, 24) !== base) return 'index names another base position';
  if (readU64(buf, 32) !== end) return 'index end differs from the segment size';
  const headBytes = INDEX_HEADER_BYTES + shardCount * INDEX_DIRECTORY_ENTRY_BYTES;
  if (headBytes + entryCount * INDEX_ENTRY_BYTES !== fileBytes) return 'index file size is inconsistent';
  return { shardCount, entryCount, entriesCrc: buf.readUInt32LE(12), headBytes };
}

/** Parses and verifies the directory (buf holds header and directory, head.headBytes long). */
export function decodeDirectory(buf: Buffer, head: IndexHead): ShardDirectory | string {
  if (crc32(buf.subarray(12, head.headBytes)) !== buf.readUInt32LE(8)) return 'index directory checksum mismatch';
  const shards = new Uint32Array(head.shardCount);
  const first = new Float64Array(head.shardCount);
  const last = new Float64Array(head.shardCount);
  let expectedEntry = 0;
  for (let slot = 0; slot < head.shardCount; slot++) {
    const at = INDEX_HEADER_BYTES + slot * INDEX_DIRECTORY_ENTRY_BYTES;
    shards[slot] = buf.readUInt32LE(at);
    if (slot > 0 && shards[slot]! <= shards[slot - 1]!) return 'index directory not sorted';
    if (buf.readUInt32LE(at + 4) !== expectedEntry) return 'index directory ranges not contiguous';
    const count = buf.readUInt32LE(at + 8);
    if (count === 0) return 'index directory has an empty shard';
    expectedEntry += count;
    first[slot] = readU64(buf, at + 16);
    last[slot] = readU64(buf, at + 24);
    if (!(first[slot]! <= last[slot]!)) return 'index directory arrival range invalid';
  }
  if (expectedEntry !== head.entryCount) return 'index directory does not cover every entry';
  return new ShardDirectory(shards, first, last);
}

/** Decodes and verifies a whole index file into a SegmentIndex whose lists view four columns. */
export function decodeIndexFile(buf: Buffer, base: number, end: number): SegmentIndex | string {
  const head = parseIndexHeader(buf, base, end, buf.length);
  if (typeof head === 'string') return head;
  const directory = decodeDirectory(buf, head);
  if (typeof directory === 'string') return directory;
  if (crc32(buf.subarray(head.headBytes)) !== head.entriesCrc) return 'index entries checksum mismatch';
  const n = head.entryCount;
  const positions = new Float64Array(n);
  const lengths = new Uint32Array(n);
  const counts = new Uint32Array(n);
  const arrivals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = head.headBytes + i * INDEX_ENTRY_BYTES;
    positions[i] = readU64(buf, e);
    lengths[i] = buf.readUInt32LE(e + 8);
    counts[i] = buf.readUInt32LE(e + 12);
    arrivals[i] = readU64(buf, e + 16);
    if (!(positions[i]! >= base && positions[i]! + lengths[i]! <= end)) return 'index entry outside its segment';
  }
  const index = new SegmentIndex();
  let from = 0;
  for (let slot = 0; slot < head.shardCount; slot++) {
    const count = buf.readUInt32LE(INDEX_HEADER_BYTES + slot * INDEX_DIRECTORY_ENTRY_BYTES + 8);
    const to = from + count;
    for (let i = from + 1; i < to; i++) {
      if (!(positions[i]! > positions[i - 1]! && arrivals[i]! >= arrivals[i - 1]!)) return 'index entries out of order';
    }
    const list = new ChunkList(0, {
      positions: positions.subarray(from, to),
      lengths: lengths.subarray(from, to),
      counts: counts.subarray(from, to),
      arrivals: arrivals.subarray(from, to),
    });
    index.shards.set(directory.shards[slot]!, list);
    index.chunkCount += count;
    index.minArrival = Math.min(index.minArrival, list.firstArrival);
    index.maxArrival = Math.max(index.maxArrival, list.lastArrival);
    from = to;
  }
  return index;
}
