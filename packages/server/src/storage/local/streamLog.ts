/**
 * The log of one Kinesis stream: every shard's records in one append-only sequence of chunks,
 * split into segment files. See docs/storage.md for the format and the reasons.
 *
 * Writes go through group commit: appends collected during one event-loop turn are laid out in
 * one buffer, written with one pwrite and made durable with one fdatasync; only then are they
 * indexed (visible to readers) and acknowledged. Appends that arrive while a flush is in flight
 * form the next one, so batches grow with load; the write of the next batch overlaps the sync of
 * the previous one, and batches commit strictly in order.
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  CHUNK_HEADER_BYTES,
  decodeRecords,
  decodeRecordsIn,
  decryptRecords,
  encodeChunk,
  envelopeBytes,
  recordBytes,
  verifyChunk,
  type DecodeBudget,
} from './chunk.js';
import { DataKeys, type WriteKey } from '../encryption.js';
import { Mutex, nextTurn, Queue } from './concurrency.js';
import { assert, storageFailure, StorageFailedError, StorageOverloadedError } from './errors.js';
import { fsyncDir, readFully, writeFileAtomic, writeFullySmallSync } from './files.js';
import type { BufferPool } from '../../util/bufferPool.js';
import type { IndexCache } from './indexCache.js';
import {
  CURSOR_INDEX_BITS,
  CURSOR_INDEX_MASK,
  MAX_APPEND_BYTES,
  MAX_APPEND_RECORDS,
  MAX_BATCH_APPENDS,
  MAX_BATCH_BYTES,
  MAX_CHUNKS_PER_READ,
  MAX_OPEN_SEALED_FILES,
  MAX_PARTITION_KEY_BYTES,
  MAX_PENDING_BYTES,
  MAX_POSITION,
  MAX_READ_RECORDS,
  MAX_RECORDS_PER_CHUNK,
  MAX_SHARD,
  MAX_SPAN_BYTES,
  READ_GAP_BYTES,
  RESERVE_STEP_BYTES,
  SOFT_CHUNK_BYTES,
} from './limits.js';
import { rebuildSealedIndex, recoverLog, type Damage } from './recovery.js';
import { writeReservedPosition } from './reservedPosition.js';
import { Segment } from './segment.js';
import { decodeIndexFile, encodeIndexFile, SegmentIndex, ShardDirectory, type ChunkList } from './shardIndex.js';
import type {
  AppendOptions,
  AppendPart,
  AppendResult,
  DamagedRange,
  DataKeySource,
  ReadLimits,
  ReadResult,
  RecordInput,
  StoredRecord,
  StreamLog,
} from '../types.js';

export interface StreamLogConfig {
  dir: string;
  /** The log's id (RecordStore.open's argument), named in damage reports. */
  id: string;
  /** Damage reports name files relative to this directory. */
  dataDir: string;
  fsync: 'always' | 'never';
  segmentBytes: number;
  maxChunksPerSegment: number;
  now: () => number;
  warn: (message: string) => void;
  /** Reports damage (bytes failing their checks), once each. Default: warn. */
  error?: (message: string) => void;
  indexCache: IndexCache;
  /** Where a flush's batch buffer comes from, shared by every log of the store. */
  batchBuffers: BufferPool;
  /** Called once the log is closed (the record store forgets it). */
  onClosed: () => void;
  /** Data keys for appends asked to be encrypted, and for reading encrypted chunks. */
  keys?: DataKeySource;
}

/**
 * The parts of one append or appendMany call, acknowledged together. Parts are queued, batched
 * and committed one by one (a group may span two flushes); the group is settled once, without a
 * promise per part.
 */
interface AppendGroup {
  results: AppendResult[];
  /** Parts not committed yet; -1 once the group is rejected. */
  remaining: number;
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

/** One part of a group: one shard's records, a unit of layout. */
interface PendingAppend {
  shard: number;
  records: readonly RecordInput[];
  /** Encoded size of the records (chunk header not included). */
  bytes: number;
  group: AppendGroup;
  /** Where this part's result goes in group.results. */
  slot: number;
  /** The data key its records are sealed with; absent: stored in the clear. */
  key: WriteKey | undefined;
}

/** A batch written but not yet committed (waiting for its sync). */
interface WrittenBatch {
  batch: PendingAppend[];
  chunks: WriteChunk[];
  segment: Segment;
  handle: fs.FileHandle;
  start: number;
  end: number;
  arrivalMs: number;
}

/** One chunk of a flush: appends[start, end) of one shard. */
interface WriteChunk {
  shard: number;
  appends: PendingAppend[];
  start: number;
  end: number;
  payloadBytes: number;
  key: WriteKey | undefined;
  position: number;
  length: number;
}

interface ReadChunk {
  segment: Segment;
  shard: number;
  position: number;
  length: number;
  count: number;
  /** First record of the chunk to return (non-zero only for the chunk the read starts in). */
  startIndex: number;
}

interface ReadPlan {
  chunks: ReadChunk[];
  /** True when no chunk of the shard follows the planned ones. */
  exhausted: boolean;
  /** The committed end of the log when exhaustion was observed (same synchronous step). */
  tip: number;
}

interface ReadSpan {
  segment: Segment;
  position: number;
  end: number;
  chunks: ReadChunk[];
}

export class LocalStreamLog implements StreamLog {
  /** Copy-on-write, so a read walking it never sees it change under it; the last is active. */
  private segments: readonly Segment[];
  private active: Segment;
  private writeHandle: fs.FileHandle;
  /** End of the durable, indexed log: readers see exactly the chunks before it. */
  private committedEnd: number;
  /** End of the bytes written (>= committedEnd while a sync is in flight). */
  private writtenEnd: number;
  /** Chunks written to the active segment (committed or not): bounds its index. */
  private activeChunksWritten: number;
  /** Newest arrival time in the log; arrival times never go backwards, even if the clock does. */
  private newestArrival: number;
  private readonly lastArrivalByShard = new Map<number, number>();
  private readonly pending = new Queue<PendingAppend>();
  private pendingBytes = 0;
  /** The running flush loop, if any. */
  private loop: Promise<void> | undefined;
  /** Held by the flush loop, rolls and close. */
  private readonly mutex = new Mutex();
  /** Held by trim (which takes no write lock for deleting sealed segments) and close. */
  private readonly trimMutex = new Mutex();
  /** Sealed segments with an open read handle, least recently used first. */
  private readonly openSealed = new Set<Segment>();
  /** A broken invariant (a bug): the log refuses appends until reopened. */
  private failure: StorageFailedError | undefined;
  /**
   * Set when a write or sync failed: the bytes after committedEnd are in doubt. The flush loop
   * cuts them (or moves to a new segment past them) before the next write; no restart needed.
   */
  private repairNeeded: StorageFailedError | undefined;
  /** Batches refused by a failed write or sync, answered once the repair has run. */
  private readonly awaitingRepair: Array<{ batch: PendingAppend[]; error: StorageFailedError }> = [];
  /** The highest position a write may have reached (failed writes included). */
  private attemptedEnd: number;
  /** The durable high-water mark: no chunk is written at or past it before it is advanced. */
  private reserved: number;
  private readonly damaged: DamagedRange[] = [];
  /** Positions of chunks found damaged by reads: later reads skip them. */
  private readonly damagedChunks = new Set<number>();
  /** The data keys of this log: one per master key and segment for writing, cached ones for reading. */
  private readonly dataKeys: DataKeys;
  private closing = false;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly config: StreamLogConfig,
    segments: Segment[],
    writeHandle: fs.FileHandle,
    reserved: number,
    recoveryDamage: Damage[],
  ) {
    this.segments = segments;
    this.dataKeys = new DataKeys(config.keys);
    this.reserved = reserved;
    this.active = segments[segments.length - 1]!;
    this.writeHandle = writeHandle;
    this.committedEnd = this.active.end;
    this.writtenEnd = this.active.end;
    this.attemptedEnd = this.active.end;
    this.activeChunksWritten = this.active.index!.chunkCount;
    this.newestArrival = Number.NEGATIVE_INFINITY;
    this.recomputeArrivals();
    for (const damage of recoveryDamage) this.noteDamage(damage);
  }

  static async open(config: StreamLogConfig): Promise<LocalStreamLog> {
    const found: Damage[] = [];
    const recovered = await recoverLog(config.dir, config.fsync === 'always', config.warn, (damage) => found.push(damage));
    for (const { segment, index } of recovered.rebuilt) config.indexCache.add(segment, index);
    return new LocalStreamLog(config, recovered.segments, recovered.writeHandle, recovered.reserved, found);
  }

  // ---------------------------------------------------------------------------------------------
  // Damage

  damage(): DamagedRange[] {
    return this.damaged.map((range) => ({ ...range }));
  }

  /** The committed end, for a verify of the open log (the bytes after it are being written). */
  get committedPosition(): number {
    return this.committedEnd;
  }

  /** Records a damaged range and reports it once, at error level (torn tails were warned). */
  private noteDamage(damage: Damage): void {
    const relative = (file: string) => path.relative(this.config.dataDir, file);
    const range: DamagedRange = {
      log: this.config.id,
      file: relative(damage.file),
      from: damage.from,
      to: damage.to,
      reason: damage.reason,
      ...(damage.quarantined ? { quarantined: relative(damage.quarantined) } : {}),
    };
    this.damaged.push(range);
    if (damage.warned) return;
    const report = this.config.error ?? this.config.warn;
    const kept = range.quarantined ? `; a copy is in ${range.quarantined}` : '';
    report(
      `stream log ${range.log}: bytes [${range.from}, ${range.to}) of ${range.file} are damaged (${range.reason}); ` +
        `their records are skipped, the others stay readable${kept}`,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Appending

  append(shard: number, records: RecordInput[], options?: AppendOptions): Promise<AppendResult> {
    return new Promise((resolve, reject) => this.enqueue([{ shard, records }], options, (results) => resolve(results[0]!), reject));
  }

  appendMany(parts: ReadonlyArray<AppendPart>, options?: AppendOptions): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => this.enqueue(parts, options, resolve, reject));
  }

  /**
   * The one way into the queue: measures and checks every part first, then queues all of them
   * as one group (or rejects, queuing none). Parts are queued in order, so the layout keeps call
   * order across appends and groups.
   */
  private enqueue(
    parts: ReadonlyArray<AppendPart>,
    options: AppendOptions | undefined,
    resolve: AppendGroup['resolve'],
    reject: AppendGroup['reject'],
  ): void {
    if (this.closing) return reject(new Error('stream log is closed'));
    if (this.failure) return reject(this.failure);
    if (!Array.isArray(parts)) return reject(new TypeError('appendMany takes an array of parts'));
    const group: AppendGroup = { results: new Array<AppendResult>(parts.length), remaining: parts.length, resolve, reject };
    const queued = new Array<PendingAppend>(parts.length);
    let key: WriteKey | undefined;
    if (options?.encryptWith !== undefined) {
      try {
        // Chosen now, synchronously: a key that cannot be used refuses the call with nothing queued.
        key = this.dataKeys.forWrite(options.encryptWith, this.active.base);
      } catch (error) {
        return reject(error);
      }
    }
    let total = 0;
    for (let slot = 0; slot < parts.length; slot++) {
      const { shard, records } = parts[slot]!;
      const bytes = measureAppend(shard, records);
      if (typeof bytes !== 'number') return reject(bytes);
      // A copy of the array (not of the data): a caller changing its array cannot break a flush.
      // The data must not change until the append resolves; it is copied once, into the flush.
      queued[slot] = { shard, records: records.slice(), bytes, group, slot, key };
      total += bytes;
    }
    // A group that could never fit is a caller's error, not a reason to retry.
    if (total > MAX_PENDING_BYTES) return reject(new RangeError(`appendMany larger than ${MAX_PENDING_BYTES} bytes`));
    if (this.pendingBytes + total > MAX_PENDING_BYTES) {
      return reject(new StorageOverloadedError(`more than ${MAX_PENDING_BYTES} bytes are waiting for the disk`));
    }
    if (queued.length === 0) return resolve(group.results);
    for (const part of queued) this.pending.push(part);
    this.pendingBytes += total;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.loop === undefined) this.loop = this.runFlushLoop();
  }

  /**
   * Flushes until nothing is pending, holding the write mutex throughout. With fsync 'always'
   * the write of batch N+1 overlaps the fdatasync of batch N (the disk never idles while the next
   * batch is copied to the page cache); batch N is committed when its sync returns, always before
   * N+1. Clears `loop` in the same synchronous step that sees the queue empty.
   *
   * A failed write or sync refuses its batch (and a batch written after a failed sync), then the
   * bytes in doubt are cut before the next write (repair): the log keeps working, and a refused
   * batch leaves nothing behind.
   */
  private async runFlushLoop(): Promise<void> {
    await nextTurn(); // collect every append issued in this event-loop turn
    const release = await this.mutex.lock();
    let syncing: Promise<void> | undefined; // the sync (then commit) of the previous batch
    const drain = async () => {
      if (syncing) await syncing;
      syncing = undefined;
    };
    try {
      for (;;) {
        if (this.failure) this.rejectPending(this.failure);
        if (this.repairNeeded) {
          // Cut the bytes in doubt first, then answer their appends: a refused append has left
          // nothing behind by the time its caller hears of it.
          await drain();
          const unrepaired = await this.repair();
          for (const { batch, error } of this.awaitingRepair.splice(0)) for (const part of batch) refuse(part, error);
          if (unrepaired && this.pending.length > 0) {
            // The bytes in doubt could not be cut: refuse this batch, try again with the next.
            for (const part of this.takeBatch()) refuse(part, unrepaired);
            await nextTurn();
            continue;
          }
        }
        if (this.pending.length === 0) {
          if (syncing) {
            await drain();
            continue; // appends may have arrived during the sync
          }
          this.loop = undefined;
          return;
        }
        const batch = this.takeBatch();
        let written: WrittenBatch;
        try {
          written = await this.writeBatch(batch, drain);
        } catch (error) {
          this.refuseAfterRepair(batch, storageFailure('write', error));
          continue;
        }
        if (this.config.fsync === 'never') {
          this.commit(written);
        } else {
          await drain();
          if (this.repairNeeded) {
            // The previous batch's sync failed: this one sits after bytes in doubt; it is cut too.
            this.refuseAfterRepair(batch, this.repairNeeded);
            continue;
          }
          syncing = this.syncAndCommit(written);
        }
        await nextTurn();
      }
    } catch (error) {
      // Only a broken invariant gets here: fail the log rather than leave its appends hanging.
      this.fail(error);
      for (const { batch } of this.awaitingRepair.splice(0)) for (const part of batch) refuse(part, this.failure!);
      this.rejectPending(this.failure!);
      this.loop = undefined;
    } finally {
      release();
    }
  }

  private refuseAfterRepair(batch: PendingAppend[], error: StorageFailedError): void {
    this.repairNeeded ??= error;
    this.awaitingRepair.push({ batch, error });
  }

  /**
   * After a failed write or sync: cuts the active segment back to the committed end (everything
   * before it is durable) and syncs that. If the cut fails, the segment is sealed as it is (its
   * index holds only committed chunks) and the log continues in a new segment past every byte a
   * write may have reached, so the bytes in doubt are never indexed nor their positions issued.
   * Returns the error to refuse appends with if neither worked (tried again on the next batch).
   */
  private async repair(): Promise<StorageFailedError | undefined> {
    const failure = this.repairNeeded!;
    const sync = this.config.fsync === 'always';
    try {
      await this.writeHandle.truncate(this.committedEnd - this.active.base);
      if (sync) await this.writeHandle.datasync();
    } catch (cutError) {
      try {
        await this.abandonActive();
      } catch (error) {
        this.config.warn(`stream log ${this.config.id}: cannot repair after a failed write (${String(cutError)}; ${String(error)})`);
        return failure;
      }
    }
    this.writtenEnd = this.committedEnd;
    this.attemptedEnd = this.committedEnd;
    this.activeChunksWritten = this.active.index!.chunkCount;
    this.repairNeeded = undefined;
    return undefined;
  }

  /**
   * The oldest pending appends, bounded in count and bytes, in whole groups: a PutRecords request
   * is written with one write and made durable with one sync, so it is stored wholly or not at
   * all. At least one group (which may alone exceed the bounds).
   */
  private takeBatch(): PendingAppend[] {
    let bytes = 0;
    let n = 0;
    while (n < this.pending.length) {
      // A group's parts are queued together; measure the whole group at n.
      const group = this.pending.at(n).group;
      let end = n;
      let groupBytes = 0;
      while (end < this.pending.length && this.pending.at(end).group === group) {
        groupBytes += this.pending.at(end).bytes + CHUNK_HEADER_BYTES;
        end++;
      }
      if (n > 0 && (bytes + groupBytes > MAX_BATCH_BYTES || end > MAX_BATCH_APPENDS)) break;
      bytes += groupBytes;
      n = end;
    }
    const batch = this.pending.take(n);
    for (const append of batch) this.pendingBytes -= append.bytes;
    return batch;
  }

  /**
   * Lays a batch out in one buffer (one chunk per shard, more if large) and writes it at the
   * written end with one pwrite. Rolls the segment first if the batch would overfill it (after
   * draining the sync in flight: a segment is sealed only once all of it is committed).
   */
  private async writeBatch(batch: PendingAppend[], drain: () => Promise<void>): Promise<WrittenBatch> {
    const chunks = layoutChunks(batch);
    const totalBytes = chunks.reduce((sum, chunk) => sum + CHUNK_HEADER_BYTES + envelopeBytes(chunk.key) + chunk.payloadBytes, 0);
    if (this.activeIsFull(totalBytes, chunks.length)) {
      await drain();
      if (this.failure) throw this.failure;
      await this.roll();
    }
    const segment = this.active;
    const start = this.writtenEnd;
    assert(start + totalBytes <= MAX_POSITION, 'log positions stay below 2^53');
    if (start + totalBytes > this.reserved) {
      // Rare (every RESERVE_STEP_BYTES): positions up to the new mark may be issued from now on.
      const reserved = start + totalBytes + RESERVE_STEP_BYTES;
      await writeReservedPosition(this.config.dir, reserved);
      this.reserved = reserved;
    }
    const arrivalMs = this.nextArrivalMs();
    // A batch of megabytes in fresh memory takes a page fault per 4 KiB as it is filled; the
    // buffer is the flush's alone and is given back as soon as the write has copied it.
    const buf = this.config.batchBuffers.take(totalBytes);
    let offset = 0;
    for (const chunk of chunks) {
      chunk.position = start + offset;
      const header = { shard: chunk.shard, position: chunk.position, arrivalMs };
      chunk.length = encodeChunk(buf, offset, header, chunk.appends, chunk.start, chunk.end, chunk.payloadBytes, chunk.key);
      offset += chunk.length;
    }
    assert(offset === totalBytes, 'the batch buffer is filled exactly');
    this.attemptedEnd = Math.max(this.attemptedEnd, start + totalBytes);
    try {
      await writeFullySmallSync(this.writeHandle, buf, start - segment.base);
    } finally {
      this.config.batchBuffers.give(buf);
    }
    this.writtenEnd = start + totalBytes;
    this.activeChunksWritten += chunks.length;
    return { batch, chunks, segment, handle: this.writeHandle, start, end: this.writtenEnd, arrivalMs };
  }

  private activeIsFull(incomingBytes: number, incomingChunks: number): boolean {
    const size = this.writtenEnd - this.active.base;
    if (size === 0) return false; // a segment always takes at least one batch
    const fullBytes = size + incomingBytes > this.config.segmentBytes;
    return fullBytes || this.activeChunksWritten + incomingChunks > this.config.maxChunksPerSegment;
  }

  /** Never rejects: a failed sync refuses the batch and asks for a repair before the next write. */
  private async syncAndCommit(written: WrittenBatch): Promise<void> {
    try {
      await written.handle.datasync();
    } catch (error) {
      this.refuseAfterRepair(written.batch, storageFailure('sync', error));
      return;
    }
    this.commit(written);
  }

  /** Makes a durable batch visible to readers, then acknowledges its parts. */
  private commit(written: WrittenBatch): void {
    const { segment, chunks, arrivalMs } = written;
    assert(written.start === this.committedEnd && segment === this.active, 'batches commit in order, in the active segment');
    const index = segment.index!;
    for (const chunk of chunks) {
      index.add(chunk.shard, chunk.position, chunk.length, countRecords(chunk), arrivalMs);
      this.lastArrivalByShard.set(chunk.shard, arrivalMs);
    }
    segment.end = written.end;
    this.committedEnd = written.end;
    for (const chunk of chunks) {
      let cursor = BigInt(chunk.position) << CURSOR_INDEX_BITS;
      for (let a = chunk.start; a < chunk.end; a++) {
        const part = chunk.appends[a]!;
        acknowledge(part, { firstCursor: cursor, arrivalMs });
        cursor += BigInt(part.records.length);
      }
    }
  }

  private nextArrivalMs(): number {
    const now = Math.floor(this.config.now());
    assert(Number.isSafeInteger(now) && now >= 0, 'the clock returns epoch milliseconds');
    this.newestArrival = Math.max(this.newestArrival, now);
    return this.newestArrival;
  }

  /** A broken invariant: refuse appends until the log is reopened (recovery starts afresh). */
  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failure ??= new StorageFailedError(`stream log failed (${message}); reopen the log to recover`, error);
  }

  private rejectPending(error: Error): void {
    const all = this.pending.take(this.pending.length);
    this.pendingBytes = 0;
    for (const part of all) refuse(part, error);
  }

  // ---------------------------------------------------------------------------------------------
  // Segments

  /**
   * Seals the active segment (writes its index file) and starts a new one at the committed end.
   * The caller holds the mutex, and every written batch is committed. A crash between the steps
   * is harmless: a missing index is rebuilt, an index beside the last segment is discarded.
   */
  private async roll(): Promise<void> {
    const sealing = this.active;
    const committed = sealing.end === this.committedEnd && this.writtenEnd === this.committedEnd;
    assert(!sealing.isEmpty && committed, 'roll a non-empty, fully committed segment');
    await this.sealAndStart(sealing.end, this.committedEnd);
  }

  /**
   * When bytes after the committed end could not be cut: seals the active segment as it is on
   * disk (the index covers the whole file, so it is not rebuilt at open, and names only the
   * committed chunks), and continues past every byte a write may have reached.
   */
  private async abandonActive(): Promise<void> {
    const sealing = this.active;
    const fileEnd = sealing.base + (await this.writeHandle.stat()).size;
    const nextBase = Math.max(this.attemptedEnd, fileEnd, this.committedEnd);
    this.config.warn(
      `stream log ${this.config.id}: cannot cut ${sealing.logPath} back to its committed end; ` +
        `sealed as it is, the log continues at position ${nextBase}`,
    );
    await this.sealAndStart(Math.max(fileEnd, this.committedEnd), nextBase);
  }

  private async sealAndStart(sealedEnd: number, nextBase: number): Promise<void> {
    const sealing = this.active;
    const index = sealing.index!;
    const sync = this.config.fsync === 'always';
    await writeFileAtomic(sealing.indexPath, encodeIndexFile(sealing.base, sealedEnd, index), sync);
    const next = new Segment(this.config.dir, nextBase, nextBase, false);
    const handle = await fs.open(next.logPath, 'wx+');
    if (sync) await fsyncDir(this.config.dir);
    next.index = new SegmentIndex();
    next.adoptHandle(handle);
    sealing.end = sealedEnd;
    sealing.sealed = true;
    sealing.directory = ShardDirectory.fromIndex(index);
    this.config.indexCache.add(sealing, index);
    this.segments = [...this.segments, next];
    this.active = next;
    this.writeHandle = handle;
    this.committedEnd = nextBase;
    this.writtenEnd = nextBase;
    this.attemptedEnd = Math.max(this.attemptedEnd, nextBase);
    this.activeChunksWritten = 0;
    this.noteOpenSealed(sealing); // its write handle stays open as a read handle
  }

  /** The segment holding position, or the first segment if position was trimmed away. */
  private segmentFor(position: number): Segment {
    const segments = this.segments;
    let low = 0;
    let high = segments.length; // find the first segment with base > position
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (segments[mid]!.base <= position) low = mid + 1;
      else high = mid;
    }
    return segments[Math.max(0, low - 1)]!;
  }

  /** The live segment after `segment` (by base, so it works even if `segment` was trimmed). */
  private segmentAfter(segment: Segment): Segment | undefined {
    const segments = this.segments;
    let low = 0;
    let high = segments.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (segments[mid]!.base <= segment.base) low = mid + 1;
      else high = mid;
    }
    return segments[low];
  }

  /** The chunks of shard in segment, loading a sealed index if needed; undefined if none. */
  private async chunksOf(segment: Segment, shard: number): Promise<ChunkList | undefined> {
    if (!segment.sealed) return segment.index!.shards.get(shard);
    if (segment.deleted || (segment.directory && segment.directory.find(shard) < 0)) return undefined;
    try {
      return (await this.indexOf(segment)).shards.get(shard);
    } catch (error) {
      if (segment.deleted) return undefined; // trimmed while loading: its records are gone
      throw error;
    }
  }

  private indexOf(segment: Segment): Promise<SegmentIndex> {
    if (segment.index) {
      this.config.indexCache.touch(segment);
      return Promise.resolve(segment.index);
    }
    segment.loading ??= this.loadSealedIndex(segment).finally(() => {
      segment.loading = undefined;
    });
    return segment.loading;
  }

  private async loadSealedIndex(segment: Segment): Promise<SegmentIndex> {
    let reason: string;
    try {
      const decoded = decodeIndexFile(await fs.readFile(segment.indexPath), segment.base, segment.end);
      if (typeof decoded !== 'string') {
        this.config.indexCache.add(segment, decoded);
        return decoded;
      }
      reason = decoded;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || segment.deleted) throw error;
      reason = 'index file missing';
    }
    this.config.warn(`rebuilding index ${segment.indexPath}: ${reason}`);
    const sync = this.config.fsync === 'always';
    const index = await rebuildSealedIndex(segment, Number.NEGATIVE_INFINITY, sync, (damage) => this.noteDamage(damage));
    this.config.indexCache.add(segment, index);
    return index;
  }

  private noteOpenSealed(segment: Segment): void {
    this.openSealed.delete(segment);
    this.openSealed.add(segment);
    if (this.openSealed.size <= MAX_OPEN_SEALED_FILES) return;
    const [oldest] = this.openSealed;
    this.openSealed.delete(oldest!);
    void oldest!.requestClose();
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  async read(shard: number, from: bigint, limits: ReadLimits): Promise<ReadResult> {
    this.assertOpen();
    checkShard(shard);
    checkCursor(from);
    checkLimits(limits);
    const fromPosition = Number(from >> CURSOR_INDEX_BITS);
    const fromIndex = Number(from & CURSOR_INDEX_MASK);
    if (fromPosition > MAX_POSITION) return { records: [], nextCursor: from, atTip: true };
    const plan = await this.planRead(shard, fromPosition, fromIndex, limits);
    const records: StoredRecord[] = [];
    const consumedAll = await this.readChunks(plan.chunks, records, limits);
    let nextCursor: bigint;
    if (records.length > 0) {
      nextCursor = records[records.length - 1]!.cursor + 1n;
    } else if (plan.exhausted) {
      nextCursor = maxBigInt(from, BigInt(plan.tip) << CURSOR_INDEX_BITS);
    } else {
      // Only when the planned chunks were trimmed under the read: continue after them.
      const last = plan.chunks[plan.chunks.length - 1]!;
      nextCursor = maxBigInt(from, (BigInt(last.position) << CURSOR_INDEX_BITS) + BigInt(last.count));
    }
    return { records, nextCursor, atTip: plan.exhausted && consumedAll };
  }

  /**
   * Picks the chunks a read needs from the indexes, without touching segment data: from the
   * chunk holding fromPosition (or the next), skipping expired chunks, until the limits are met.
   */
  private async planRead(shard: number, fromPosition: number, fromIndex: number, limits: ReadLimits): Promise<ReadPlan> {
    const chunks: ReadChunk[] = [];
    let records = 0;
    let bytes = 0;
    let segment: Segment | undefined = this.segmentFor(fromPosition);
    while (segment) {
      const list = await this.chunksOf(segment, shard);
      if (list) {
        let i = Math.max(list.firstAtOrAfter(fromPosition), list.firstArrivedAtOrAfter(limits.notBeforeMs));
        for (; i < list.size; i++) {
          if (records >= limits.maxRecords || bytes >= limits.maxBytes || chunks.length >= MAX_CHUNKS_PER_READ) {
            return { chunks, exhausted: false, tip: 0 };
          }
          const position = list.positions[i]!;
          if (this.damagedChunks.size > 0 && this.damagedChunks.has(position)) continue;
          const count = list.counts[i]!;
          const startIndex = position === fromPosition ? fromIndex : 0;
          if (startIndex >= count) continue;
          chunks.push({ segment, shard, position, length: list.lengths[i]!, count, startIndex });
          records += count - startIndex;
          bytes += list.lengths[i]!;
        }
      }
      segment = this.segmentAfter(segment);
    }
    // No await since the last index check: the committed end matches what the indexes showed.
    return { chunks, exhausted: true, tip: this.committedEnd };
  }

  /** Reads the planned chunks (adjacent ones with one pread), verifies and decodes them. */
  private async readChunks(chunks: ReadChunk[], out: StoredRecord[], limits: ReadLimits): Promise<boolean> {
    const spans = groupSpans(chunks);
    const buffers = await Promise.all(spans.map((span) => this.readSpan(span)));
    const budget: DecodeBudget = { records: limits.maxRecords, bytes: limits.maxBytes };
    for (let s = 0; s < spans.length; s++) {
      const span = spans[s]!;
      const buf = buffers[s];
      if (buf === undefined) continue; // the segment was trimmed under the read: its records are gone
      for (const chunk of span.chunks) {
        const header = verifyChunk(buf, chunk.position - span.position, chunk);
        if (typeof header === 'string') {
          // Damaged since it was indexed (a bit flipped on disk): skip it, as AWS skips trimmed
          // records, and report it once; never return its bytes.
          this.noteReadDamage(span.segment, chunk, header);
          continue;
        }
        assert(header.recordCount === chunk.count, 'chunk record count matches the index');
        const offset = chunk.position - span.position;
        let stoppedAt: number;
        if (header.encrypted) {
          // Throws KeyUnavailableError when the key cannot be used: the read fails, nothing is skipped.
          const records = decryptRecords(buf, offset, header, this.dataKeys);
          if (typeof records === 'string') {
            this.noteReadDamage(span.segment, chunk, records);
            continue;
          }
          stoppedAt = decodeRecordsIn(records, 0, records.length, header, chunk.startIndex, out, budget);
        } else {
          stoppedAt = decodeRecords(buf, offset, header, chunk.startIndex, out, budget);
        }
        if (stoppedAt < header.recordCount) return false;
      }
    }
    return true;
  }

  private noteReadDamage(segment: Segment, chunk: ReadChunk, reason: string): void {
    if (this.damagedChunks.has(chunk.position)) return; // two reads in flight found it
    this.damagedChunks.add(chunk.position);
    this.noteDamage({ file: segment.logPath, from: chunk.position, to: chunk.position + chunk.length, reason: `read: ${reason}` });
  }

  private async readSpan(span: ReadSpan): Promise<Buffer | undefined> {
    const segment = span.segment;
    const handle = await segment.acquire();
    if (handle === undefined) return undefined;
    try {
      if (segment.sealed) this.noteOpenSealed(segment);
      const buf = Buffer.allocUnsafe(span.end - span.position);
      const got = await readFully(handle, buf, buf.length, span.position - segment.base);
      return got === buf.length ? buf : buf.subarray(0, got);
    } finally {
      segment.release();
    }
  }

  async tipCursor(shard: number): Promise<bigint> {
    checkShard(shard);
    return this.issuedCursorBound();
  }

  issuedCursorBound(): bigint {
    return BigInt(this.committedEnd) << CURSOR_INDEX_BITS;
  }

  async cursorAtTime(shard: number, timeMs: number): Promise<bigint> {
    this.assertOpen();
    checkShard(shard);
    if (Number.isNaN(timeMs)) throw new RangeError('timeMs must be a number');
    for (let segment: Segment | undefined = this.segments[0]; segment; segment = this.segmentAfter(segment)) {
      if (segment.sealed && !mayHoldArrivalAfter(segment, shard, timeMs)) continue;
      const list = await this.chunksOf(segment, shard);
      if (!list) continue;
      const i = list.firstArrivedAtOrAfter(timeMs);
      if (i < list.size) return BigInt(list.positions[i]!) << CURSOR_INDEX_BITS;
    }
    return BigInt(this.committedEnd) << CURSOR_INDEX_BITS;
  }

  lastArrivalMs(shard: number): number | undefined {
    return this.lastArrivalByShard.get(shard);
  }

  // ---------------------------------------------------------------------------------------------
  // Retention and lifecycle

  /**
   * Deletes the oldest segments whose newest record arrived before notBeforeMs. Sealed segments
   * are immutable, so deleting them needs no lock (trim never waits behind a busy flush loop);
   * an expired active segment (no append for the whole retention period) is rolled first.
   */
  async trim(notBeforeMs: number): Promise<void> {
    this.assertOpen();
    if (Number.isNaN(notBeforeMs)) throw new RangeError('notBeforeMs must be a number');
    // Trims run one at a time, and close() waits for the one in flight: once a log is closed,
    // nothing touches its files (it may be opened again at once).
    const release = await this.trimMutex.lock();
    try {
      if (this.closing) return;
      if (!this.active.isEmpty && this.active.maxArrival < notBeforeMs) await this.rollExpiredActive(notBeforeMs);
      const doomed: Segment[] = [];
      for (const segment of this.segments) {
        if (segment === this.active || !(segment.maxArrival < notBeforeMs)) break;
        doomed.push(segment);
      }
      if (doomed.length === 0) return;
      this.segments = this.segments.slice(doomed.length); // same synchronous step as the scan above
      this.recomputeArrivals();
      for (const segment of doomed) await this.deleteSegment(segment);
      if (this.config.fsync === 'always') await fsyncDir(this.config.dir);
    } finally {
      release();
    }
  }

  private async rollExpiredActive(notBeforeMs: number): Promise<void> {
    const release = await this.mutex.lock();
    try {
      // Checked again under the lock: appends may have landed while waiting for it.
      if (this.failure || this.repairNeeded || this.closing || this.active.isEmpty) return;
      if (!(this.active.maxArrival < notBeforeMs)) return;
      // A failed roll changes nothing in memory (a stray index beside the last segment is removed at open).
      await this.roll();
    } finally {
      release();
    }
  }

  private async deleteSegment(segment: Segment): Promise<void> {
    segment.deleted = true;
    this.config.indexCache.remove(segment);
    this.openSealed.delete(segment);
    await segment.requestClose(); // readers in flight keep their handle until they release it
    await fs.rm(segment.logPath, { force: true });
    await fs.rm(segment.indexPath, { force: true });
  }

  /** Rebuilds the per-shard newest arrival times from the segments' summaries. */
  private recomputeArrivals(): void {
    this.lastArrivalByShard.clear();
    for (const segment of this.segments) {
      if (segment.index) {
        for (const [shard, list] of segment.index.shards) this.lastArrivalByShard.set(shard, list.lastArrival);
      } else if (segment.directory) {
        const { shards, lastArrivals } = segment.directory;
        for (let slot = 0; slot < shards.length; slot++) this.lastArrivalByShard.set(shards[slot]!, lastArrivals[slot]!);
      }
      this.newestArrival = Math.max(this.newestArrival, segment.maxArrival);
    }
  }

  close(): Promise<void> {
    this.closing = true;
    this.closed ??= this.closeOnce();
    return this.closed;
  }

  private async closeOnce(): Promise<void> {
    while (this.loop) await this.loop; // pending appends are flushed, not dropped
    (await this.trimMutex.lock())();
    const release = await this.mutex.lock();
    try {
      if (!this.repairNeeded && !this.failure && this.reserved !== this.committedEnd) {
        // A clean close: nothing past the committed end was issued, so the next open continues in
        // this segment. Best effort: if it fails, the old, higher mark stays (a gap, no reuse).
        await writeReservedPosition(this.config.dir, this.committedEnd).catch(() => undefined);
      }
      for (const segment of this.segments) {
        if (segment.sealed) this.config.indexCache.remove(segment);
        await segment.requestClose();
      }
      this.openSealed.clear();
    } finally {
      release();
      this.config.onClosed();
    }
  }

  /** True once close() was called. */
  get isClosing(): boolean {
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('stream log is closed');
  }
}

/** The encoded size of one part's records (chunk headers aside), or why the part is refused. */
export function measureAppend(shard: number, records: RecordInput[]): number | Error {
  if (!isShard(shard)) return new RangeError(`shard must be an integer in [0, ${MAX_SHARD}]`);
  if (!Array.isArray(records) || records.length < 1 || records.length > MAX_APPEND_RECORDS) {
    return new RangeError(`an append holds 1 to ${MAX_APPEND_RECORDS} records`);
  }
  let bytes = 0;
  for (const record of records) {
    if (typeof record.partitionKey !== 'string' || !(record.data instanceof Uint8Array)) {
      return new TypeError('a record needs a string partitionKey and Uint8Array data');
    }
    const keyBytes = Buffer.byteLength(record.partitionKey, 'utf8');
    if (keyBytes > MAX_PARTITION_KEY_BYTES) return new RangeError(`partition key longer than ${MAX_PARTITION_KEY_BYTES} bytes`);
    bytes += recordBytes(keyBytes, record.data.length);
  }
  if (bytes > MAX_APPEND_BYTES) return new RangeError(`append larger than ${MAX_APPEND_BYTES} bytes`);
  return bytes;
}

/** Stores a committed part's result; its group resolves with its last part. */
function acknowledge(part: PendingAppend, result: AppendResult): void {
  const group = part.group;
  group.results[part.slot] = result;
  if (--group.remaining === 0) group.resolve(group.results);
}

/** Rejects a part's group, once: its other parts, committed or not, share the outcome. */
function refuse(part: PendingAppend, error: unknown): void {
  const group = part.group;
  if (group.remaining < 0) return;
  group.remaining = -1; // settled: no later commit resolves it
  group.reject(error);
}

/** Groups a flush's appends by shard (call order kept) and cuts each group into chunks. */
function layoutChunks(batch: PendingAppend[]): WriteChunk[] {
  const byShard = new Map<number, PendingAppend[]>();
  for (const append of batch) {
    const group = byShard.get(append.shard);
    if (group) group.push(append);
    else byShard.set(append.shard, [append]);
  }
  const chunks: WriteChunk[] = [];
  for (const [shard, appends] of byShard) {
    let start = 0;
    let payloadBytes = 0;
    let records = 0;
    for (let i = 0; i < appends.length; i++) {
      const append = appends[i]!;
      // An append never spans chunks: its records need consecutive cursors. A chunk is sealed
      // with one data key (or none), so appends under another key start another chunk.
      const full = payloadBytes + append.bytes > SOFT_CHUNK_BYTES || records + append.records.length > MAX_RECORDS_PER_CHUNK;
      if (i > start && (full || append.key !== appends[start]!.key)) {
        chunks.push({ shard, appends, start, end: i, payloadBytes, key: appends[start]!.key, position: 0, length: 0 });
        start = i;
        payloadBytes = 0;
        records = 0;
      }
      payloadBytes += append.bytes;
      records += append.records.length;
    }
    chunks.push({ shard, appends, start, end: appends.length, payloadBytes, key: appends[start]!.key, position: 0, length: 0 });
  }
  return chunks;
}

function countRecords(chunk: WriteChunk): number {
  let count = 0;
  for (let a = chunk.start; a < chunk.end; a++) count += chunk.appends[a]!.records.length;
  return count;
}

/** Consecutive chunks of one segment with small gaps become one pread. */
function groupSpans(chunks: ReadChunk[]): ReadSpan[] {
  const spans: ReadSpan[] = [];
  let current: ReadSpan | undefined;
  for (const chunk of chunks) {
    const end = chunk.position + chunk.length;
    if (
      current &&
      chunk.segment === current.segment &&
      chunk.position - current.end <= READ_GAP_BYTES &&
      end - current.position <= MAX_SPAN_BYTES
    ) {
      current.chunks.push(chunk);
      current.end = end;
    } else {
      current = { segment: chunk.segment, position: chunk.position, end, chunks: [chunk] };
      spans.push(current);
    }
  }
  return spans;
}

/** From a sealed segment's directory alone: could it hold a record of shard at or after timeMs? */
function mayHoldArrivalAfter(segment: Segment, shard: number, timeMs: number): boolean {
  const directory = segment.directory;
  if (!directory) return true;
  const slot = directory.find(shard);
  return slot >= 0 && directory.lastArrivals[slot]! >= timeMs;
}

function isShard(shard: number): boolean {
  return Number.isInteger(shard) && shard >= 0 && shard <= MAX_SHARD;
}

export function checkShard(shard: number): void {
  if (!isShard(shard)) throw new RangeError(`shard must be an integer in [0, ${MAX_SHARD}]`);
}

export function checkCursor(cursor: bigint): void {
  if (typeof cursor !== 'bigint' || cursor < 0n) throw new RangeError('a cursor is a non-negative bigint');
}

export function checkLimits(limits: ReadLimits): void {
  if (!Number.isInteger(limits.maxRecords) || limits.maxRecords < 1 || limits.maxRecords > MAX_READ_RECORDS) {
    throw new RangeError(`maxRecords must be an integer in [1, ${MAX_READ_RECORDS}]`);
  }
  if (!(limits.maxBytes >= 1)) throw new RangeError('maxBytes must be at least 1');
  if (Number.isNaN(limits.notBeforeMs)) throw new RangeError('notBeforeMs must be a number');
}

function maxBigInt(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
