/**
 * One Kinesis stream's log on NATS JetStream: a JetStream stream whose subjects are
 * `<prefix>.<log id>.<shard>`, one message per append. A message's body is exactly a local chunk
 * (storage/local/chunk.ts, version 1 or 2 when encrypted) whose position field is 0: the stream
 * sequence JetStream assigns is the position, so a cursor is `sequence × 2^20 + record index`.
 * See docs/storage.md, "The JetStream engine".
 */

import type { JetStreamClient, JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import { DataKeys } from '../encryption.js';
import {
  CHUNK_HEADER_BYTES,
  checksumMatches,
  decodeRecordsIn,
  decryptRecords,
  encodeChunk,
  envelopeBytes,
  parseChunkHeader,
  type ChunkHeader,
} from '../local/chunk.js';
import { CURSOR_INDEX_BITS, CURSOR_INDEX_MASK, MAX_PENDING_BYTES } from '../local/limits.js';
import { checkCursor, checkLimits, checkShard, measureAppend } from '../local/streamLog.js';
import {
  StorageOverloadedError,
  type AppendOptions,
  type AppendPart,
  type AppendResult,
  type DamagedRange,
  type DataKeySource,
  type ReadLimits,
  type ReadResult,
  type RecordInput,
  type StoredRecord,
  type StreamLog,
} from '../types.js';
import { publishWithRetries, withRetries, type PublishPolicy } from './publish.js';

/** What every log of one JetStream record store shares. */
export interface JetStreamLogContext {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Subject prefix: several Freshet deployments can share one NATS account with different ones. */
  prefix: string;
  now: () => number;
  keys: DataKeySource | undefined;
  publish: PublishPolicy;
  /**
   * A message id never handed out before by any node (random node id and a counter shared by the
   * store's logs: a log closed and opened again must not reuse its first ids, or JetStream would
   * take its appends for duplicates of the old ones).
   */
  newMessageId(): string;
}

/** A data key sealing new messages is renewed at least this often (the local engine: per segment). */
const DATA_KEY_SCOPE_MS = 3_600_000;

/** The JetStream stream that holds log `id`. Log ids are `[a-z0-9-]`, valid in names and subjects. */
export function jetStreamName(prefix: string, id: string): string {
  return `${prefix}_${id}`;
}

export function shardSubject(prefix: string, id: string, shard: number): string {
  return `${prefix}.${id}.${shard}`;
}

export class JetStreamStreamLog implements StreamLog {
  readonly name: string;
  private readonly keys: DataKeys;
  private readonly lastArrival = new Map<number, number>();
  private readonly damaged: DamagedRange[] = [];
  private readonly damagedSeqs = new Set<number>();
  /** The highest stream sequence this node has seen (acknowledged, read or in the stream info). */
  private highestSeq: number;
  private arrivalFloor = 0;
  private pendingBytes = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly ctx: JetStreamLogContext,
    readonly id: string,
    lastSeq: number,
    private readonly onClose: () => void,
  ) {
    this.name = jetStreamName(ctx.prefix, id);
    this.keys = new DataKeys(ctx.keys);
    this.highestSeq = lastSeq;
  }

  append(shard: number, records: RecordInput[], options?: AppendOptions): Promise<AppendResult> {
    return this.appendMany([{ shard, records }], options).then((results) => results[0]!);
  }

  /**
   * One message per part, all published at once (acks are awaited together, not one by one).
   * Unlike the local engine's group commit, the parts are not stored atomically: a failure can
   * leave some parts stored, and a retry of the request stores them again (new message ids).
   */
  async appendMany(parts: ReadonlyArray<AppendPart>, options?: AppendOptions): Promise<AppendResult[]> {
    this.assertOpen();
    const sizes = parts.map((part) => {
      const size = measureAppend(part.shard, part.records);
      if (size instanceof Error) throw size; // before anything is published: the call is refused whole
      return size;
    });
    const total = sizes.reduce((sum, size) => sum + size, 0);
    if (this.pendingBytes + total > MAX_PENDING_BYTES) {
      throw new StorageOverloadedError(`more than ${MAX_PENDING_BYTES} bytes are waiting for JetStream acknowledgements`);
    }
    if (parts.length === 0) return [];
    const arrivalMs = this.nextArrival();
    const key =
      options?.encryptWith === undefined ? undefined : this.keys.forWrite(options.encryptWith, Math.floor(arrivalMs / DATA_KEY_SCOPE_MS));
    const messages = parts.map((part, p) => {
      const body = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + envelopeBytes(key) + sizes[p]!);
      encodeChunk(body, 0, { shard: part.shard, position: 0, arrivalMs }, [part], 0, 1, sizes[p]!, key);
      return { shard: part.shard, body };
    });
    this.pendingBytes += total;
    const published = Promise.all(
      messages.map(({ shard, body }) =>
        publishWithRetries(
          this.ctx.js,
          shardSubject(this.ctx.prefix, this.id, shard),
          body,
          this.ctx.newMessageId(),
          this.name,
          this.ctx.publish,
        ),
      ),
    );
    this.inFlight.add(published);
    try {
      const acks = await published;
      return acks.map((ack, p) => {
        this.noteSeq(ack.seq);
        this.noteArrival(parts[p]!.shard, arrivalMs);
        return { firstCursor: BigInt(ack.seq) << CURSOR_INDEX_BITS, arrivalMs };
      });
    } finally {
      this.pendingBytes -= total;
      this.inFlight.delete(published);
    }
  }

  /**
   * Reads message after message of the shard's subject from the stream leader (STREAM.MSG.GET
   * with next_by_subj: consistent, it sees every acknowledged append), one round trip each.
   */
  async read(shard: number, from: bigint, limits: ReadLimits): Promise<ReadResult> {
    this.assertOpen();
    checkShard(shard);
    checkCursor(from);
    checkLimits(limits);
    const records: StoredRecord[] = [];
    const budget = { records: limits.maxRecords, bytes: limits.maxBytes };
    let seq = Math.max(1, Number(from >> CURSOR_INDEX_BITS));
    let index = Number(from & CURSOR_INDEX_MASK);
    let next = from;
    while (budget.records > 0 && (budget.bytes > 0 || records.length === 0)) {
      const msg = await this.nextMessage(seq, shardSubject(this.ctx.prefix, this.id, shard));
      if (!msg) return { records, nextCursor: next, atTip: true };
      const startIndex = msg.seq === seq ? index : 0; // the cursor's index is into its own message only
      index = 0;
      seq = msg.seq + 1;
      next = BigInt(seq) << CURSOR_INDEX_BITS;
      const chunk = this.verified(msg, shard);
      if (!chunk || chunk.header.arrivalMs < limits.notBeforeMs || startIndex >= chunk.header.recordCount) continue;
      this.noteArrival(shard, chunk.header.arrivalMs);
      const stoppedAt = decodeRecordsIn(chunk.records, 0, chunk.records.length, chunk.header, startIndex, records, budget);
      if (stoppedAt < chunk.header.recordCount) {
        return { records, nextCursor: (BigInt(msg.seq) << CURSOR_INDEX_BITS) + BigInt(stoppedAt), atTip: false };
      }
    }
    return { records, nextCursor: next, atTip: false };
  }

  /** (last sequence + 1) × 2^20 from the stream's state on its leader: one small round trip. */
  async tipCursor(shard: number): Promise<bigint> {
    this.assertOpen();
    checkShard(shard);
    const info = await this.streamInfo();
    this.noteSeq(info.state.last_seq);
    return BigInt(info.state.last_seq + 1) << CURSOR_INDEX_BITS;
  }

  issuedCursorBound(): bigint {
    return BigInt(this.highestSeq + 1) << CURSOR_INDEX_BITS;
  }

  /**
   * A binary search over the stream's sequences, probing the shard's first message at or after
   * each (arrival times of a shard's messages are non-decreasing as long as the nodes' clocks
   * agree): O(log n) round trips, each fetching one message.
   */
  async cursorAtTime(shard: number, timeMs: number): Promise<bigint> {
    this.assertOpen();
    checkShard(shard);
    if (Number.isNaN(timeMs)) throw new RangeError('timeMs must be a number');
    const found = await this.firstArrivedAtOrAfter(shardSubject(this.ctx.prefix, this.id, shard), timeMs);
    return found === undefined ? this.tipCursor(shard) : BigInt(found) << CURSOR_INDEX_BITS;
  }

  /** What this node has appended or read: in a cluster, appends through other nodes are not seen. */
  lastArrivalMs(shard: number): number | undefined {
    return this.lastArrival.get(shard);
  }

  /**
   * Purges the messages before the first one (of any shard) that arrived at or after notBeforeMs.
   * Reads skip expired records anyway; this reclaims their space on every replica.
   */
  async trim(notBeforeMs: number): Promise<void> {
    this.assertOpen();
    const keepFrom = await this.firstArrivedAtOrAfter(`${this.ctx.prefix}.${this.id}.*`, notBeforeMs);
    const info = await this.streamInfo();
    const upTo = keepFrom ?? info.state.last_seq + 1;
    if (upTo > info.state.first_seq) await withRetries(this.ctx.publish, () => this.ctx.jsm.streams.purge(this.name, { seq: upTo }));
    this.lastArrival.clear();
  }

  damage(): DamagedRange[] {
    return [...this.damaged];
  }

  /** Waits for the publishes in flight; the JetStream stream itself stays (see destroy). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.onClose();
  }

  /** The sequence of the first message on `subject` that arrived at or after timeMs, if any. */
  private async firstArrivedAtOrAfter(subject: string, timeMs: number): Promise<number | undefined> {
    const { state } = await this.streamInfo();
    let lo = Math.max(1, state.first_seq);
    let hi = state.last_seq + 1;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const msg = await this.nextMessage(mid, subject);
      // Every sequence from mid to msg.seq leads to the same message: past it if it is too old.
      if (msg && (arrivalOf(msg) ?? Infinity) < timeMs) lo = msg.seq + 1;
      else hi = mid;
    }
    return (await this.nextMessage(lo, subject))?.seq;
  }

  /** The stream's state from its leader, retried through a leader election. */
  private streamInfo() {
    return withRetries(this.ctx.publish, () => this.ctx.jsm.streams.info(this.name));
  }

  /** The first message on `subject` at or after `seq`, from the stream leader; null past the end. */
  private async nextMessage(seq: number, subject: string): Promise<StoredMsg | null> {
    // STREAM.MSG.GET takes next_by_subj since nats-server 2.9; the client types only list seq.
    const query = { seq, next_by_subj: subject } as unknown as MsgRequest;
    const msg = await withRetries(this.ctx.publish, () => this.ctx.jsm.streams.getMessage(this.name, query));
    if (msg) this.noteSeq(msg.seq);
    return msg;
  }

  /** A message's header and records (decrypted), or undefined if it fails its checks (recorded). */
  private verified(msg: StoredMsg, shard: number): { header: ChunkHeader; records: Buffer } | undefined {
    const body = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
    const header = parseChunkHeader(body, 0, body.length);
    let why: string | undefined;
    if (typeof header === 'string') why = header;
    else if (header.length !== body.length) why = 'message length differs from its chunk header';
    else if (header.shard !== shard) why = `message of shard ${header.shard} on shard ${shard}'s subject`;
    else if (!checksumMatches(body, 0, body.length)) why = 'message checksum mismatch';
    if (why === undefined && typeof header !== 'string') {
      const chunkHeader = { ...header, position: msg.seq };
      if (!header.encrypted) return { header: chunkHeader, records: body.subarray(CHUNK_HEADER_BYTES) };
      const plain = decryptRecords(body, 0, header, this.keys);
      if (typeof plain !== 'string') return { header: chunkHeader, records: plain };
      why = plain;
    }
    this.noteDamage(msg, why!);
    return undefined;
  }

  private noteDamage(msg: StoredMsg, reason: string): void {
    if (this.damagedSeqs.has(msg.seq)) return;
    this.damagedSeqs.add(msg.seq);
    // JetStream messages have no byte positions: from/to are the message's stream sequence.
    this.damaged.push({ log: this.id, file: `jetstream:${this.name}`, from: msg.seq, to: msg.seq + 1, reason });
  }

  private noteSeq(seq: number): void {
    if (seq > this.highestSeq) this.highestSeq = seq;
  }

  private noteArrival(shard: number, arrivalMs: number): void {
    if (arrivalMs > (this.lastArrival.get(shard) ?? -Infinity)) this.lastArrival.set(shard, arrivalMs);
  }

  /** now(), never below the previous append's on this node (clocks stepping back). */
  private nextArrival(): number {
    this.arrivalFloor = Math.max(this.arrivalFloor, this.ctx.now());
    return this.arrivalFloor;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('stream log is closed');
  }
}

/** The arrival time in a message's chunk header, without verifying the rest. */
function arrivalOf(msg: StoredMsg): number | undefined {
  const body = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
  const header = parseChunkHeader(body, 0, body.length);
  return typeof header === 'string' ? undefined : header.arrivalMs;
}
