/**
 * The data plane: PutRecord, PutRecords, GetShardIterator, GetRecords. This is the hot path:
 * no per-record allocation beyond what the output needs, one storage call per request (a
 * PutRecords touching 200 shards is one appendMany), and group commit below (appends issued in
 * one event-loop turn share one write and one sync).
 */
import {
  expiredIterator,
  invalidArgument,
  KinesisError,
  kmsError,
  resourceNotFound,
  sequenceNumbersExhausted,
  storeFull,
  storeFullCode,
} from '../errors.js';
import type * as Shapes from '../shapes.generated.js';
import {
  KeyUnavailableError,
  StorageOverloadedError,
  type AppendOptions,
  type AppendPart,
  type AppendResult,
  type ReadLimits,
  type ReadResult,
  type RecordInput,
} from '../../../storage/types.js';
import { streamNotFound, type LiveStream, type StreamCatalog } from './catalog.js';
import { addressOf, findStream, type RequestContext, type StreamReference } from './context.js';
import type { ControlPlane } from './controlPlane.js';
import { hashKeyToBuffer, MAX_HASH_KEY, partitionKeyHash } from './hashKeys.js';
import { LIMITS, type EngineOptions } from './options.js';
import { encodeSequenceNumber, encodeSequenceNumbers, encodeSequenceRun, MAX_CURSOR, parseSequenceNumber } from './sequenceNumbers.js';
import { awsUtcString, ITERATOR_TTL_MS, type ShardIteratorCodec } from './shardIterators.js';
import { sequenceSecondsOf, shardIdOf, shardIndexOf, type ShardState } from './shards.js';
import { streamArn, type StreamState } from './streamState.js';
import type { ThroughputLimits } from './throughput.js';
import type { Autoscaler } from './autoscaler.js';

/**
 * Writes stop this far below the largest sequence index: 2^30 positions (1 GiB of log) of room
 * for the appends already in flight when the tip passes it.
 */
const LAST_WRITABLE_CURSOR = MAX_CURSOR - (1n << 50n);

/** How often a full store is logged while writes keep failing on it. */
const STORE_FULL_LOG_INTERVAL_MS = 10_000;

/** A PutRecords request's records for one shard: an `appendMany` part as it is. */
interface ShardBatch extends AppendPart {
  /** The records' places in the request. */
  positions: number[];
}

export class DataPlane {
  /**
   * Called after every append to a shard ends (durable, or failed): enhanced fan-out's push
   * signal. Set by the engine; subscriptions read from their cursor when it fires.
   */
  onAppended: (live: LiveStream, shardIndex: number) => void = () => {};

  constructor(
    private readonly catalog: StreamCatalog,
    private readonly control: ControlPlane,
    private readonly iterators: ShardIteratorCodec,
    private readonly limits: ThroughputLimits,
    private readonly autoscaler: Autoscaler,
    private readonly options: EngineOptions,
  ) {}

  // ---- writes ---------------------------------------------------------------------------------

  async putRecord(ctx: RequestContext, input: Shapes.PutRecordInput): Promise<Shapes.PutRecordOutput> {
    const live = this.writableStream(ctx, input);
    const { state } = live;
    const size = input.Data.length + Buffer.byteLength(input.PartitionKey, 'utf8');
    this.checkRecordSize(state, size);
    if (input.SequenceNumberForOrdering !== undefined) this.checkSequenceForOrdering(state, input.SequenceNumberForOrdering);
    const shard = live.routing.route(this.hashKeyOf(input.PartitionKey, input.ExplicitHashKey));
    if (!this.limits.admitWrite(state, shard.index, size)) throw this.limits.shardRateExceeded(state, shard.index);
    const appended = await this.append(live, shard.index, [{ partitionKey: input.PartitionKey, data: input.Data }]);
    return {
      ShardId: shardIdOf(shard.index),
      SequenceNumber: encodeSequenceNumber(shard.index, sequenceSecondsOf(shard), appended.firstCursor, appended.arrivalMs),
      ...(state.encryption.type === 'KMS' ? { EncryptionType: 'KMS' as const } : {}),
    };
  }

  async putRecords(ctx: RequestContext, input: Shapes.PutRecordsInput): Promise<Shapes.PutRecordsOutput> {
    const live = this.writableStream(ctx, input);
    const results = new Array<Shapes.PutRecordsResultEntry>(input.Records.length);
    const routed = this.routeRecords(live, input.Records, results);
    const { batches } = routed;
    let failed = routed.failed;
    const appended = await this.appendBatches(live, batches);
    for (let b = 0; b < batches.length; b++) {
      if (appended) this.acknowledge(live.state, batches[b]!, appended[b]!, results);
      else failed += this.throttle(live.state, batches[b]!, results);
    }
    return {
      FailedRecordCount: failed,
      Records: results,
      ...(live.state.encryption.type === 'KMS' ? { EncryptionType: 'KMS' as const } : {}),
    };
  }

  // ---- reads ----------------------------------------------------------------------------------

  async getShardIterator(ctx: RequestContext, input: Shapes.GetShardIteratorInput): Promise<Shapes.GetShardIteratorOutput> {
    const address = addressOf(ctx, input);
    const live = this.catalog.get(address);
    const shardIndex = shardIndexOf(input.ShardId);
    if (shardIndex === undefined) {
      throw resourceNotFound(`Could not find shard ${input.ShardId} in stream ${address.name} under account ${address.account}.`);
    }
    const shardId = shardIdOf(shardIndex);
    const shard = live && live.state.status !== 'CREATING' ? live.state.shards[shardIndex] : undefined;
    if (!live || !shard || shard.index !== shardIndex) {
      // AWS names the shard, not the stream, even when the stream itself is unknown.
      throw this.shardNotFound(shardId, live?.state ?? address);
    }
    this.limits.admitShardIterator(live.state, shardIndex);
    const cursor = await this.startingCursor(live, shard, input);
    return { ShardIterator: this.issueIterator(live.state, shardIndex, cursor) };
  }

  async getRecords(ctx: RequestContext, input: Shapes.GetRecordsInput): Promise<Shapes.GetRecordsOutput> {
    const position = this.iterators.decode(input.ShardIterator);
    if (!position) throw invalidArgument('Invalid ShardIterator.');
    const now = this.options.clock.now();
    if (now - position.issuedMs > ITERATOR_TTL_MS) {
      throw expiredIterator(
        `Iterator expired. The iterator was created at time ${awsUtcString(position.issuedMs)} while right now it is ` +
          `${awsUtcString(now)} which is further in the future than the tolerated delay of ${ITERATOR_TTL_MS} milliseconds.`,
      );
    }
    const address = { account: position.account, region: position.region, name: position.streamName };
    if (input.StreamARN !== undefined && input.StreamARN !== streamArn(address)) {
      // The iterator names its stream already; a StreamARN that names another is a contradiction,
      // refused as the engine refuses a StreamName/StreamARN pair that disagree (context.ts),
      // rather than read (or authorized) against the wrong stream.
      throw invalidArgument(`StreamARN ${input.StreamARN} and ShardIterator do not refer to the same stream.`);
    }
    const live = this.catalog.get(address);
    const shard = live?.state.id === position.streamId ? live.state.shards[position.shardIndex] : undefined;
    if (!live || !shard) {
      throw resourceNotFound(
        `Shard ${shardIdOf(position.shardIndex)} in stream ${address.name} under account ${address.account} does not exist`,
      );
    }
    const { state } = live;
    this.limits.admitRead(state, shard.index);
    // A closed shard is finished once no append routed to it before it closed is in flight. That
    // is decided before the read: an append completing during the read may be missing from it.
    const settled = shard.closedMs !== undefined && !live.appending.get(shard.index);
    const read = await readRecords(live, shard.index, position.cursor, {
      maxRecords: input.Limit ?? LIMITS.getRecordsMaxRecords,
      maxBytes: LIMITS.getRecordsMaxBytes,
      notBeforeMs: this.control.trimHorizonMs(state),
    });
    if (this.limits.enabled) {
      this.limits.chargeRead(
        state,
        shard.index,
        read.records.reduce((n, r) => n + r.data.length + r.partitionKey.length, 0),
      );
    }
    const encrypted = state.encryption.type === 'KMS';
    const sequenceNumbers = encodeSequenceNumbers(shard.index, sequenceSecondsOf(shard), read.records);
    // Records of one chunk share their arrival time, and so one Date (no writer changes it).
    let arrival = new Date(Number.NaN);
    const records = read.records.map((record, i) => {
      if (arrival.getTime() !== record.arrivalMs) arrival = new Date(record.arrivalMs);
      const out: Shapes.Record = {
        SequenceNumber: sequenceNumbers[i]!,
        ApproximateArrivalTimestamp: arrival,
        Data: record.data,
        PartitionKey: record.partitionKey,
      };
      if (encrypted) out.EncryptionType = 'KMS';
      return out;
    });
    const last = read.records[read.records.length - 1];
    const millisBehindLatest = read.atTip || !last ? 0 : Math.max(0, now - last.arrivalMs);
    if (settled && read.atTip) {
      return { Records: records, MillisBehindLatest: millisBehindLatest, ChildShards: this.childShards(state, shard) };
    }
    return {
      Records: records,
      NextShardIterator: this.issueIterator(state, shard.index, read.nextCursor),
      MillisBehindLatest: millisBehindLatest,
    };
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** PutRecord's append. */
  private async append(live: LiveStream, shardIndex: number, records: RecordInput[]): Promise<AppendResult> {
    this.beginAppend(live, shardIndex, records);
    try {
      return await live.log.append(shardIndex, records, appendOptions(live.state));
    } catch (err) {
      // The disk is behind by more than the storage lets queue: throttle, as AWS does when a
      // shard is over capacity, so producers back off and retry.
      if (err instanceof StorageOverloadedError) throw this.limits.shardRateExceeded(live.state, shardIndex);
      throw this.storageFailure(live, err);
    } finally {
      this.endAppend(live, shardIndex);
    }
  }

  /**
   * PutRecords' appends: one appendMany for every shard's batch (with hundreds of shards, a
   * promise, closure and try/finally per shard showed in profiles as work and garbage), each
   * shard counted as `append` counts it. Resolves undefined when the storage is overloaded: it
   * refuses the whole group up front, so every batch is to be throttled.
   */
  private async appendBatches(live: LiveStream, batches: ShardBatch[]): Promise<AppendResult[] | undefined> {
    if (batches.length === 0) return [];
    for (const { shard, records } of batches) this.beginAppend(live, shard, records);
    try {
      return await live.log.appendMany(batches, appendOptions(live.state));
    } catch (err) {
      if (err instanceof StorageOverloadedError) return undefined;
      throw this.storageFailure(live, err);
    } finally {
      for (const { shard } of batches) this.endAppend(live, shard);
    }
  }

  /** When a full store was last logged (epoch ms): once per STORE_FULL_LOG_INTERVAL_MS is enough. */
  private storeFullLoggedMs = Number.NEGATIVE_INFINITY;

  /**
   * A failed append's answer: a full store gets its own InternalFailureException message (and an
   * error-level log line, at most one per interval: every write fails alike while the disk is
   * full); anything else goes up as it is, to be answered as an internal failure and logged.
   */
  private storageFailure(live: LiveStream, err: unknown): unknown {
    if (err instanceof KeyUnavailableError) return kmsError(err); // refused whole: nothing was stored
    const code = storeFullCode(err);
    if (code === undefined) return err;
    const now = this.options.clock.now();
    if (now - this.storeFullLoggedMs >= STORE_FULL_LOG_INTERVAL_MS) {
      this.storeFullLoggedMs = now;
      this.options.logger.error(
        { err, stream: live.state.name, code },
        'the store is full: writes are refused (InternalFailureException) until space is freed',
      );
    }
    return storeFull(code, err);
  }

  /**
   * Counts the appends in flight per shard: a reshard may close a shard while records routed to
   * it before the close are still being written, and GetRecords must not declare the closed
   * shard finished (ChildShards, no iterator) until they are readable.
   */
  private beginAppend(live: LiveStream, shardIndex: number, records: RecordInput[]): void {
    live.appending.set(shardIndex, (live.appending.get(shardIndex) ?? 0) + 1);
    this.autoscaler.record(live, shardIndex, records);
  }

  /** Once an append to the shard ended, durable or failed: uncounts it and wakes fan-out. */
  private endAppend(live: LiveStream, shardIndex: number): void {
    const remaining = live.appending.get(shardIndex)! - 1;
    if (remaining === 0) live.appending.delete(shardIndex);
    else live.appending.set(shardIndex, remaining);
    this.onAppended(live, shardIndex);
  }

  /** Writes a batch's sequence numbers into the results (a shard's follow the request's order). */
  private acknowledge(state: StreamState, batch: ShardBatch, appended: AppendResult, results: Shapes.PutRecordsResultEntry[]): void {
    const { shard, positions, records } = batch;
    const seconds = sequenceSecondsOf(state.shards[shard]!);
    const sequenceNumbers = encodeSequenceRun(shard, seconds, appended.firstCursor, records.length, appended.arrivalMs);
    const ShardId = shardIdOf(shard);
    for (let i = 0; i < positions.length; i++) results[positions[i]!] = { SequenceNumber: sequenceNumbers[i]!, ShardId };
  }

  /** Fails a batch's records alone, as AWS reports a throttled shard; returns how many. */
  private throttle(state: StreamState, batch: ShardBatch, results: Shapes.PutRecordsResultEntry[]): number {
    const entry = this.throttledEntry(state, batch.shard);
    for (const position of batch.positions) results[position] = { ...entry };
    return batch.positions.length;
  }

  private throttledEntry(state: StreamState, shardIndex: number): Shapes.PutRecordsResultEntry {
    return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: this.limits.shardRateMessage(state, shardIndex) };
  }

  /** Streams accept writes once created, and while updating or being deleted (as AWS does). */
  private writableStream(ctx: RequestContext, ref: StreamReference): LiveStream {
    const live = findStream(this.catalog, ctx, ref);
    if (live.state.status === 'CREATING') throw streamNotFound(live.state);
    // Refused before anything is stored: a record past the sequence index's 63 bits could be
    // stored but given no number.
    if (live.log.issuedCursorBound() > LAST_WRITABLE_CURSOR) throw sequenceNumbersExhausted(live.state);
    return live;
  }

  /**
   * Routes a PutRecords request's records to their shards. Size limits fail the whole request;
   * throttled records (with `--limits aws`) fail alone, with their error entry in `results`.
   */
  private routeRecords(
    live: LiveStream,
    entries: Shapes.PutRecordsRequestEntry[],
    results: Shapes.PutRecordsResultEntry[],
  ): { batches: ShardBatch[]; failed: number } {
    const { state } = live;
    const maxRecordBytes = state.maxRecordSizeKiB * 1024;
    const requestLimit = Math.max(LIMITS.putRecordsMaxBytes, maxRecordBytes);
    const sizes = entries.map((entry) => entry.Data.length + Buffer.byteLength(entry.PartitionKey, 'utf8'));
    let totalBytes = 0;
    for (const size of sizes) {
      if (size > maxRecordBytes) this.checkRecordSize(state, size);
      totalBytes += size;
    }
    if (totalBytes > requestLimit) {
      // AWS's exact text (as its SDKs report it): 'Records size exceeds 5 MB limit'.
      throw invalidArgument(`Records size exceeds ${requestLimit / (1024 * 1024)} MB limit`);
    }
    const byShard = new Map<number, ShardBatch>();
    let failed = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const shard = live.routing.route(this.hashKeyOf(entry.PartitionKey, entry.ExplicitHashKey));
      if (!this.limits.admitWrite(state, shard.index, sizes[i]!)) {
        results[i] = this.throttledEntry(state, shard.index);
        failed++;
        continue;
      }
      let batch = byShard.get(shard.index);
      if (!batch) byShard.set(shard.index, (batch = { shard: shard.index, positions: [], records: [] }));
      batch.positions.push(i);
      batch.records.push({ partitionKey: entry.PartitionKey, data: entry.Data });
    }
    return { batches: [...byShard.values()], failed };
  }

  private hashKeyOf(partitionKey: string, explicitHashKey: string | undefined): Buffer {
    if (explicitHashKey === undefined) return partitionKeyHash(partitionKey);
    const value = BigInt(explicitHashKey);
    if (value > MAX_HASH_KEY) {
      throw invalidArgument(
        'Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. ' + `Specified value was ${explicitHashKey}`,
      );
    }
    return hashKeyToBuffer(value);
  }

  private checkRecordSize(state: StreamState, size: number): void {
    const limit = state.maxRecordSizeKiB * 1024;
    if (size <= limit) return;
    throw invalidArgument(
      `Record size ${size} bytes (data plus partition key) exceeds the maximum record size of ${limit} bytes ` +
        `(${state.maxRecordSizeKiB} KiB) of stream ${state.name} under account ${state.account}.`,
    );
  }

  /** Where an iterator (or a SubscribeToShard StartingPosition) of a given type starts. */
  async startingCursor(live: LiveStream, shard: ShardState, input: Shapes.GetShardIteratorInput): Promise<bigint> {
    const { state } = live;
    const type = input.ShardIteratorType;
    const bySequence = type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER';
    if (input.StartingSequenceNumber !== undefined && !bySequence) {
      throw invalidArgument(
        'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or ' +
          `(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified ${type} and also a StartingSequenceNumber.`,
      );
    }
    if (type === 'AT_TIMESTAMP') {
      if (input.Timestamp === undefined) {
        throw invalidArgument(
          'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.',
        );
      }
      return live.log.cursorAtTime(shard.index, input.Timestamp.getTime());
    }
    if (input.Timestamp !== undefined) {
      throw invalidArgument(
        `Must specify timestampInMillis parameter only for iterator of type AT_TIMESTAMP. Current request has ${type}.`,
      );
    }
    if (type === 'TRIM_HORIZON') return 0n;
    if (type === 'LATEST') return live.log.tipCursor(shard.index);
    if (input.StartingSequenceNumber === undefined) {
      throw invalidArgument(
        'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or ' +
          `(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified ${type} and no StartingSequenceNumber.`,
      );
    }
    const cursor = this.cursorOfStartingSequence(state, shard, input.StartingSequenceNumber);
    return type === 'AT_SEQUENCE_NUMBER' ? cursor : cursor + 1n;
  }

  /**
   * The cursor a StartingSequenceNumber names, refused with AWS's texts: not a sequence number at
   * all; one of another shard; one of this shard's index but another shard creation time (another
   * stream, or an earlier incarnation of this one), or of a layout AWS no longer issues (AWS echoes
   * a version-0 number in its canonical form). Freshet's previous layout is an alias of the same
   * cursor (docs/compatibility.md).
   */
  private cursorOfStartingSequence(state: StreamState, shard: ShardState, sequence: string): bigint {
    const shardId = shardIdOf(shard.index);
    const where = `used in GetShardIterator on shard ${shardId} in stream ${state.name} under account ${state.account}`;
    const parsed = parseSequenceNumber(sequence);
    if (!parsed || parsed.layout === 3) throw invalidArgument(`StartingSequenceNumber ${sequence} ${where} is invalid.`);
    if (parsed.shardIndex !== shard.index) {
      throw invalidArgument(
        `Invalid StartingSequenceNumber. It encodes ${shardIdOf(parsed.shardIndex)}, while it was used in a call to a shard with ${shardId}`,
      );
    }
    if (parsed.layout === 'freshet-51') return parsed.cursor;
    if (parsed.layout !== 2 || parsed.shardSeconds !== sequenceSecondsOf(shard)) {
      const printed = parsed.layout === 0 ? parsed.printed : sequence;
      throw invalidArgument(`StartingSequenceNumber ${printed} ${where} is invalid because it did not come from this stream.`);
    }
    return parsed.cursor;
  }

  /**
   * SequenceNumberForOrdering as AWS checks it: a number of a layout AWS issues today (version 1
   * or 2), not stamped in the future. It needs nothing more: the record gets a number above every
   * number its shard issued, and above its parents' (a child's creation time is later), so above
   * any number a producer got for the same partition key.
   */
  private checkSequenceForOrdering(state: StreamState, sequence: string): void {
    const parsed = parseSequenceNumber(sequence);
    if (parsed?.layout === 3) throw new KinesisError('InternalFailure', undefined);
    if (parsed?.layout === 'freshet-51') return;
    const now = this.options.clock.now();
    if (!parsed || parsed.layout === 0 || (parsed.arrivalSeconds ?? 0) * 1000 > now) {
      throw invalidArgument(
        `ExclusiveMinimumSequenceNumber ${sequence} used in PutRecord on stream ${state.name} under account ${state.account} is invalid.`,
      );
    }
  }

  private issueIterator(state: StreamState, shardIndex: number, cursor: bigint): string {
    return this.iterators.encode({
      account: state.account,
      region: state.region,
      streamName: state.name,
      streamId: state.id,
      shardIndex,
      cursor,
      issuedMs: this.options.clock.now(),
    });
  }

  childShards(state: StreamState, parent: ShardState): Shapes.ChildShard[] {
    return state.shards
      .filter((shard) => shard.parentIndex === parent.index || shard.adjacentParentIndex === parent.index)
      .map((shard) => ({
        ShardId: shardIdOf(shard.index),
        ParentShards: [shard.parentIndex, shard.adjacentParentIndex].filter((index): index is number => index !== undefined).map(shardIdOf),
        HashKeyRange: { StartingHashKey: shard.startingHashKey, EndingHashKey: shard.endingHashKey },
      }));
  }

  private shardNotFound(shardId: string, state: { name: string; account: string }): Error {
    return resourceNotFound(`Shard ${shardId} in stream ${state.name} under account ${state.account} does not exist`);
  }
}

/** An encrypted stream's records are stored under its KMS key (from StartStreamEncryption on). */
function appendOptions(state: StreamState): AppendOptions | undefined {
  return state.encryption.type === 'KMS' && state.encryption.keyId !== undefined ? { encryptWith: state.encryption.keyId } : undefined;
}

/**
 * A shard's records, for GetRecords and SubscribeToShard; a master key that cannot be used fails
 * the read with the KMS error (nothing is skipped: the records read again once the key is back).
 */
export async function readRecords(live: LiveStream, shardIndex: number, from: bigint, limits: ReadLimits): Promise<ReadResult> {
  try {
    return await live.log.read(shardIndex, from, limits);
  } catch (err) {
    throw err instanceof KeyUnavailableError ? kmsError(err) : err;
  }
}
