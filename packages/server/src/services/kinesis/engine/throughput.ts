/**
 * AWS's throughput limits, enforced with token buckets when `--limits aws` is given (and not at
 * all otherwise): per shard, writes of 1 MiB/s and 1,000 records/s, reads of 2 MiB/s and
 * 5 GetRecords calls/s, 5 GetShardIterator calls/s; and the control-plane call rates per account
 * or per stream. Producers and consumers test their backoff against these, so the rates and the
 * error types and messages are AWS's.
 */
import type { Clock } from '../../../core/clock.js';
import { KinesisError } from '../errors.js';
import type { OperationName } from '../shapes.generated.js';
import type { RequestContext } from './context.js';
import { shardIdOf } from './shards.js';
import type { StreamState } from './streamState.js';

export type LimitsMode = 'none' | 'aws';

const MIB = 1024 * 1024;

export const SHARD_LIMITS = {
  writeBytesPerSecond: MIB,
  writeRecordsPerSecond: 1000,
  readBytesPerSecond: 2 * MIB,
  readCallsPerSecond: 5,
  shardIteratorCallsPerSecond: 5,
} as const;

/**
 * Control-plane call rates (AWS's API reference), per account and region unless `perStream`.
 * Operations not listed here are limited per shard (data plane) or not at all.
 */
const CONTROL_RATES: Partial<Record<OperationName, { perSecond: number; perStream?: boolean }>> = {
  AddTagsToStream: { perSecond: 5 },
  CreateStream: { perSecond: 5 },
  DecreaseStreamRetentionPeriod: { perSecond: 5, perStream: true },
  DeleteStream: { perSecond: 5 },
  DeregisterStreamConsumer: { perSecond: 5 },
  DescribeLimits: { perSecond: 1 },
  DescribeStream: { perSecond: 10 },
  DescribeStreamSummary: { perSecond: 20 },
  DisableEnhancedMonitoring: { perSecond: 5, perStream: true },
  EnableEnhancedMonitoring: { perSecond: 5, perStream: true },
  IncreaseStreamRetentionPeriod: { perSecond: 5, perStream: true },
  ListShards: { perSecond: 1000, perStream: true },
  ListStreams: { perSecond: 5 },
  ListTagsForStream: { perSecond: 5 },
  MergeShards: { perSecond: 5 },
  RegisterStreamConsumer: { perSecond: 5 },
  RemoveTagsFromStream: { perSecond: 5 },
  SplitShard: { perSecond: 5 },
  StartStreamEncryption: { perSecond: 5, perStream: true },
  StopStreamEncryption: { perSecond: 5, perStream: true },
  UpdateStreamMode: { perSecond: 5, perStream: true },
};

/** A bucket refilled continuously at `rate` per second up to one second's worth. */
class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly rate: number,
    nowMs: number,
  ) {
    this.tokens = rate;
    this.updatedMs = nowMs;
  }

  available(nowMs: number): number {
    this.tokens = Math.min(this.rate, this.tokens + ((nowMs - this.updatedMs) / 1000) * this.rate);
    this.updatedMs = nowMs;
    return this.tokens;
  }

  /** Takes n tokens when they are there; never goes into debt. */
  tryTake(n: number, nowMs: number): boolean {
    if (this.available(nowMs) < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Takes n tokens unconditionally (reads are charged after the fact and may go into debt). */
  charge(n: number, nowMs: number): void {
    this.available(nowMs);
    this.tokens -= n;
  }
}

interface ShardBuckets {
  writeBytes: TokenBucket;
  writeRecords: TokenBucket;
  readBytes: TokenBucket;
  readCalls: TokenBucket;
  iteratorCalls: TokenBucket;
}

export class ThroughputLimits {
  private readonly shards = new Map<string, ShardBuckets>();
  private readonly calls = new Map<string, TokenBucket>();

  constructor(
    readonly mode: LimitsMode,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.mode === 'aws';
  }

  /** Admits one record of `bytes` to a shard, or answers false (the record is throttled). */
  admitWrite(state: StreamState, shardIndex: number, bytes: number): boolean {
    if (!this.enabled) return true;
    const buckets = this.bucketsOf(state, shardIndex);
    const now = this.clock.now();
    if (buckets.writeRecords.available(now) < 1 || buckets.writeBytes.available(now) < bytes) return false;
    buckets.writeRecords.charge(1, now);
    buckets.writeBytes.charge(bytes, now);
    return true;
  }

  /** Throws ProvisionedThroughputExceededException when a GetRecords call is over the shard's rate. */
  admitRead(state: StreamState, shardIndex: number): void {
    if (!this.enabled) return;
    const buckets = this.bucketsOf(state, shardIndex);
    const now = this.clock.now();
    // Bytes are charged after each read, so a large read blocks the calls that follow it.
    if (buckets.readBytes.available(now) < 0 || !buckets.readCalls.tryTake(1, now)) {
      throw this.shardRateExceeded(state, shardIndex);
    }
  }

  chargeRead(state: StreamState, shardIndex: number, bytes: number): void {
    if (this.enabled && bytes > 0) this.bucketsOf(state, shardIndex).readBytes.charge(bytes, this.clock.now());
  }

  admitShardIterator(state: StreamState, shardIndex: number): void {
    if (this.enabled && !this.bucketsOf(state, shardIndex).iteratorCalls.tryTake(1, this.clock.now())) {
      throw this.shardRateExceeded(state, shardIndex);
    }
  }

  /** Throws LimitExceededException when a control-plane call is over its rate. */
  admitCall(operation: OperationName, ctx: RequestContext, streamName: string | undefined): void {
    const rate = this.enabled ? CONTROL_RATES[operation] : undefined;
    if (!rate) return;
    const scope =
      rate.perStream && streamName !== undefined ? `${ctx.account}/${ctx.region}/${streamName}` : `${ctx.account}/${ctx.region}`;
    const key = `${operation} ${scope}`;
    let bucket = this.calls.get(key);
    if (!bucket) this.calls.set(key, (bucket = new TokenBucket(rate.perSecond, this.clock.now())));
    if (!bucket.tryTake(1, this.clock.now())) {
      throw new KinesisError(
        'LimitExceededException',
        rate.perStream && streamName !== undefined
          ? `Rate exceeded for stream ${streamName} under account ${ctx.account}.`
          : `Rate exceeded for account ${ctx.account}.`,
      );
    }
  }

  shardRateExceeded(state: StreamState, shardIndex: number): KinesisError {
    return new KinesisError('ProvisionedThroughputExceededException', this.shardRateMessage(state, shardIndex));
  }

  shardRateMessage(state: StreamState, shardIndex: number): string {
    return `Rate exceeded for shard ${shardIdOf(shardIndex)} in stream ${state.name} under account ${state.account}.`;
  }

  private bucketsOf(state: StreamState, shardIndex: number): ShardBuckets {
    const key = `${state.id}/${shardIndex}`;
    let buckets = this.shards.get(key);
    if (!buckets) {
      const now = this.clock.now();
      buckets = {
        writeBytes: new TokenBucket(SHARD_LIMITS.writeBytesPerSecond, now),
        writeRecords: new TokenBucket(SHARD_LIMITS.writeRecordsPerSecond, now),
        readBytes: new TokenBucket(SHARD_LIMITS.readBytesPerSecond, now),
        readCalls: new TokenBucket(SHARD_LIMITS.readCallsPerSecond, now),
        iteratorCalls: new TokenBucket(SHARD_LIMITS.shardIteratorCallsPerSecond, now),
      };
      this.shards.set(key, buckets);
    }
    return buckets;
  }
}
