/**
 * Enhanced fan-out's push path: SubscribeToShard.
 *
 * A subscription reads its shard from a cursor with the same `StreamLog.read` GetRecords uses and
 * hands each batch to a sink (the transport's event-stream writer) as a SubscribeToShardEvent.
 * At the tip it sleeps until something happens; nothing polls:
 *
 * - the data plane calls `appended(live, shard)` after every durable append (and after a failed
 *   one), which wakes the shard's subscriptions;
 * - the catalogue calls back after every change of a stream's state (a reshard closing the shard,
 *   a consumer deregistered) and when a stream is removed;
 * - a heartbeat timer sends an empty event (with the ContinuationSequenceNumber to checkpoint) when
 *   nothing was sent for 5 seconds, and a deadline timer ends the subscription after
 *   `subscriptionMs` (AWS: 5 minutes).
 *
 * Wake-ups are level-triggered (a `dirty` flag set by every signal and cleared before each read),
 * so an append that completes while a read is in flight is never missed.
 *
 * Memory: a subscription holds at most one event (at most EVENT_MAX_BYTES of record data) between
 * reading it and the sink accepting it; the sink's promise resolves only when the transport has
 * room (HTTP/2 flow control / socket drain), so a slow consumer is throttled, never buffered.
 * Reads of the same shard and cursor in flight at the same moment are shared (twenty consumers
 * at the tip of one shard cost one read, not twenty). A client that goes away cancels its
 * subscription: its timers, its registrations and its pending read are released.
 *
 * AWS's rules: one subscription per consumer and shard. A second SubscribeToShard within 5
 * seconds of the first's start gets ResourceInUseException; after that it takes over and the old
 * one ends with a ResourceInUseException event. With `--limits aws`, one call per second per
 * consumer and shard (LimitExceededException) and 2 MiB/s per subscription.
 */
import { KinesisError, resourceInUse, resourceNotFound } from '../errors.js';
import type * as Shapes from '../shapes.generated.js';
import type { Timer } from '../../../core/clock.js';
import type { ReadResult } from '../../../storage/types.js';
import { streamNotFound, type LiveStream, type StreamCatalog } from './catalog.js';
import { consumerArn, consumerByArn, consumerNotActive, consumerStatusOf, parseConsumerArn } from './consumers.js';
import type { RequestContext } from './context.js';
import type { ControlPlane } from './controlPlane.js';
import { readRecords, type DataPlane } from './dataPlane.js';
import { LIMITS, type EngineOptions } from './options.js';
import { encodeSequenceNumber, encodeSequenceNumbers } from './sequenceNumbers.js';
import { sequenceSecondsOf, shardIdOf, shardIndexOf } from './shards.js';
import type { ConsumerState } from './streamState.js';

/** Record data per event: a JSON event is then at most ~1.4 MB. */
export const EVENT_MAX_BYTES = 1024 * 1024;
/** An empty event is sent when nothing was sent for this long. */
export const HEARTBEAT_MS = 5_000;
/** A second subscription for the same consumer and shard is refused for this long, then takes over. */
export const TAKEOVER_AFTER_MS = 5_000;
/** `--limits aws`: push rate per subscription. */
export const SUBSCRIPTION_BYTES_PER_SECOND = 2 * 1024 * 1024;

/** Where a subscription's events go: the transport's event-stream writer. */
export interface SubscriptionSink {
  /** Sends one event; resolves once the sink can take another (flow control). */
  event(event: Shapes.SubscribeToShardEvent): Promise<void> | void;
  /** Ends the stream with an exception event (`cause`: the internal error behind an InternalFailureException). */
  fail(err: KinesisError, cause?: unknown): void;
  /** Ends the stream cleanly. */
  end(): void;
}

interface SharedRead {
  read: ReadResult;
  /** The records as the event carries them, mapped once for every subscription sharing the read. */
  records: Shapes.Record[];
}

type Ending = { kind: 'end' } | { kind: 'fail'; err: KinesisError; cause?: unknown } | { kind: 'cancelled' };

export class FanOut {
  /** Subscriptions by `streamId/shardIndex`: woken by appends. */
  private readonly byShard = new Map<string, Set<Subscription>>();
  /** Subscriptions by stream id: woken by changes of the stream's state. */
  private readonly byStream = new Map<string, Set<Subscription>>();
  /** The current subscription of each consumer and shard. */
  private readonly current = new Map<string, Subscription>();
  /** `--limits aws`: when each consumer and shard was last subscribed, epoch ms. */
  private readonly lastCallMs = new Map<string, number>();
  private readonly reads = new Map<string, Promise<SharedRead>>();
  private stopped = false;

  constructor(
    private readonly catalog: StreamCatalog,
    private readonly control: ControlPlane,
    private readonly data: DataPlane,
    readonly options: EngineOptions,
    private readonly limitsEnabled: () => boolean,
  ) {
    catalog.observe((live) => this.wakeAll(this.byStream.get(live.state.id)));
  }

  /** Records were appended to a shard (or an append to it ended): wake its subscriptions. */
  appended(live: LiveStream, shardIndex: number): void {
    this.wakeAll(this.byShard.get(`${live.state.id}/${shardIndex}`));
  }

  /** Subscriptions running now (for tests and metrics). */
  get activeCount(): number {
    return this.current.size;
  }

  /**
   * Checks a SubscribeToShard request and starts its subscription; throws (before any event is
   * sent) what AWS answers with an HTTP error. The caller runs it with a sink.
   */
  async subscribe(_ctx: RequestContext, input: Shapes.SubscribeToShardInput): Promise<Subscription> {
    if (this.stopped) throw new KinesisError('InternalFailureException', 'The server is shutting down.');
    const address = parseConsumerArn(input.ConsumerARN);
    if (!address) throw resourceNotFound(`Consumer ${input.ConsumerARN} not found.`);
    const live = this.catalog.get(address.stream);
    if (!live) throw streamNotFound(address.stream);
    const { state } = live;
    const now = this.options.clock.now();
    const consumer = consumerByArn(state, input.ConsumerARN, now);
    if (!consumer) {
      throw resourceNotFound(`Consumer ${address.name} under stream ${state.name} and account ${state.account} not found.`);
    }
    if (consumerStatusOf(consumer, now) !== 'ACTIVE') throw consumerNotActive(state, consumer);
    const shardIndex = shardIndexOf(input.ShardId);
    const shard = shardIndex === undefined || state.status === 'CREATING' ? undefined : state.shards[shardIndex];
    if (shardIndex === undefined || !shard) {
      throw resourceNotFound(`Shard ${input.ShardId} in stream ${state.name} under account ${state.account} does not exist`);
    }
    const key = `${state.id}/${consumer.name}/${consumer.createdMs}/${shardIndex}`;
    const arn = consumerArn(state, consumer);
    if (this.limitsEnabled()) {
      const last = this.lastCallMs.get(key);
      if (last !== undefined && now - last < 1000) {
        throw new KinesisError('LimitExceededException', `Rate exceeded for consumer ${arn} and shard ${shardIdOf(shardIndex)}.`);
      }
      this.lastCallMs.set(key, now);
      if (this.lastCallMs.size > 10_000) {
        for (const [k, at] of this.lastCallMs) if (now - at >= 1000) this.lastCallMs.delete(k);
      }
    }
    this.checkTakeover(key, shardIndex, now);
    const position = input.StartingPosition;
    const cursor = await this.data.startingCursor(live, shard, {
      StreamName: state.name,
      ShardId: input.ShardId,
      ShardIteratorType: position.Type,
      ...(position.SequenceNumber !== undefined ? { StartingSequenceNumber: position.SequenceNumber } : {}),
      ...(position.Timestamp !== undefined ? { Timestamp: position.Timestamp } : {}),
    });
    // Checked again: another subscription may have started while the cursor was found.
    const previous = this.checkTakeover(key, shardIndex, this.options.clock.now());
    if (this.stopped) throw new KinesisError('InternalFailureException', 'The server is shutting down.');
    const subscription = new Subscription(this, live, consumer, arn, shardIndex, cursor, key);
    previous?.terminate({ kind: 'fail', err: anotherSubscription(state.account, state.name, shardIndex, consumer.name) });
    this.current.set(key, subscription);
    this.register(this.byShard, `${state.id}/${shardIndex}`, subscription);
    this.register(this.byStream, state.id, subscription);
    return subscription;
  }

  /** Ends every subscription cleanly and refuses new ones (the server is stopping). */
  stop(): void {
    this.stopped = true;
    for (const subscription of [...this.current.values()]) subscription.terminate({ kind: 'end' });
  }

  // ---- used by subscriptions ------------------------------------------------------------------

  /** Reads a shard for a subscription; concurrent reads of the same place share one read. */
  read(live: LiveStream, shardIndex: number, cursor: bigint, maxBytes: number): Promise<SharedRead> {
    const key = `${live.state.id}/${shardIndex}/${cursor}/${maxBytes}`;
    let shared = this.reads.get(key);
    if (!shared) {
      shared = this.readShard(live, shardIndex, cursor, maxBytes);
      this.reads.set(key, shared);
      const forget = () => this.reads.delete(key);
      shared.then(forget, forget);
    }
    return shared;
  }

  childShards(live: LiveStream, shardIndex: number): Shapes.ChildShard[] {
    return this.data.childShards(live.state, live.state.shards[shardIndex]!);
  }

  /** What ends a subscription now, if anything: its stream gone, its consumer no longer ACTIVE. */
  check(subscription: Subscription): KinesisError | undefined {
    const { live } = subscription;
    const state = live.state;
    if (this.catalog.get(state) !== live) {
      return resourceNotFound(`Stream ${state.name} under account ${state.account} not found.`);
    }
    const now = this.options.clock.now();
    const consumer = consumerByArn(state, subscription.consumerArn, now);
    if (!consumer || consumer.createdMs !== subscription.consumer.createdMs) {
      return resourceNotFound(`Consumer ${subscription.consumer.name} under stream ${state.name} and account ${state.account} not found.`);
    }
    if (consumerStatusOf(consumer, now) !== 'ACTIVE') return consumerNotActive(state, consumer);
    return undefined;
  }

  forget(subscription: Subscription): void {
    if (this.current.get(subscription.key) === subscription) this.current.delete(subscription.key);
    const { id } = subscription.live.state;
    this.unregister(this.byShard, `${id}/${subscription.shardIndex}`, subscription);
    this.unregister(this.byStream, id, subscription);
  }

  trimHorizonMs(live: LiveStream): number {
    return this.control.trimHorizonMs(live.state);
  }

  get limited(): boolean {
    return this.limitsEnabled();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private checkTakeover(key: string, shardIndex: number, now: number): Subscription | undefined {
    const previous = this.current.get(key);
    if (previous && now - previous.startedMs < TAKEOVER_AFTER_MS) {
      const { account, name } = previous.live.state;
      throw anotherSubscription(account, name, shardIndex, previous.consumer.name);
    }
    return previous;
  }

  private async readShard(live: LiveStream, shardIndex: number, cursor: bigint, maxBytes: number): Promise<SharedRead> {
    const { state } = live;
    const read = await readRecords(live, shardIndex, cursor, {
      maxRecords: LIMITS.getRecordsMaxRecords,
      maxBytes,
      notBeforeMs: this.control.trimHorizonMs(state),
    });
    const encrypted = state.encryption.type === 'KMS';
    const sequenceNumbers = encodeSequenceNumbers(shardIndex, sequenceSecondsOf(state.shards[shardIndex]!), read.records);
    const records: Shapes.Record[] = read.records.map((record, i) => ({
      SequenceNumber: sequenceNumbers[i]!,
      ApproximateArrivalTimestamp: new Date(record.arrivalMs),
      Data: record.data,
      PartitionKey: record.partitionKey,
      ...(encrypted ? { EncryptionType: 'KMS' as const } : {}),
    }));
    return { read, records };
  }

  private register(map: Map<string, Set<Subscription>>, key: string, subscription: Subscription): void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(subscription);
  }

  private unregister(map: Map<string, Set<Subscription>>, key: string, subscription: Subscription): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(subscription);
    if (set.size === 0) map.delete(key);
  }

  private wakeAll(subscriptions: Set<Subscription> | undefined): void {
    if (subscriptions) for (const subscription of subscriptions) subscription.wake();
  }
}

/** AWS's answer when a consumer already has a subscription to the shard. */
function anotherSubscription(account: string, stream: string, shardIndex: number, consumerName: string): KinesisError {
  return resourceInUse(
    `Another active subscription exists for this consumer: ${account}:${stream}:${shardIdOf(shardIndex)}:${consumerName}`,
  );
}

/** One consumer's subscription to one shard, from SubscribeToShard until it ends. */
export class Subscription {
  readonly startedMs: number;
  private cursor: bigint;
  private dirty = true;
  private ending: Ending | undefined;
  private wakeUp: (() => void) | undefined;
  private waitTimer: Timer | undefined;
  private readonly deadline: Timer;
  private lastEventMs = Number.NEGATIVE_INFINITY;
  /** The last record sent: an empty event just after it continues from its very number. */
  private lastSent: { cursor: bigint; sequence: string } | undefined;
  private running = false;
  /** `--limits aws`: bytes the subscription may still push; refilled at 2 MiB/s, may go negative. */
  private tokens = SUBSCRIPTION_BYTES_PER_SECOND;
  private tokensAtMs: number;

  constructor(
    private readonly fanout: FanOut,
    readonly live: LiveStream,
    readonly consumer: ConsumerState,
    readonly consumerArn: string,
    readonly shardIndex: number,
    cursor: bigint,
    readonly key: string,
  ) {
    this.cursor = cursor;
    this.startedMs = fanout.options.clock.now();
    this.tokensAtMs = this.startedMs;
    this.deadline = fanout.options.clock.setTimeout(() => this.terminate({ kind: 'end' }), fanout.options.subscriptionMs);
    this.deadline.unref();
  }

  /** Something may have changed: read again. */
  wake(): void {
    this.dirty = true;
    this.release();
  }

  /** The client went away: stop, write nothing more. */
  cancel(): void {
    this.terminate({ kind: 'cancelled' });
  }

  terminate(ending: Ending): void {
    if (this.ending && this.ending.kind !== 'end') return;
    if (this.ending && ending.kind === 'end') return;
    this.ending = ending;
    this.release();
    // Not started yet (or never will be): nothing else will clean up.
    if (!this.running) this.finish(undefined);
  }

  /** Pushes events to the sink until the subscription ends; never rejects. */
  async run(sink: SubscriptionSink): Promise<void> {
    if (this.running) throw new Error('a subscription runs once');
    this.running = true;
    try {
      while (!this.ending) {
        const problem = this.fanout.check(this);
        if (problem) {
          this.ending = { kind: 'fail', err: problem };
          break;
        }
        if (this.fanout.limited && !(await this.throttle())) break;
        const shard = this.live.state.shards[this.shardIndex]!;
        // As GetRecords: a closed shard is finished once no append routed to it before it
        // closed is in flight, which is decided before the read.
        const settled = shard.closedMs !== undefined && !this.live.appending.get(this.shardIndex);
        this.dirty = false;
        const { read, records } = await this.fanout.read(this.live, this.shardIndex, this.cursor, EVENT_MAX_BYTES);
        if (this.ending) break;
        if (read.nextCursor > this.cursor) this.cursor = read.nextCursor;
        const finished = settled && read.atTip;
        if (records.length > 0 || finished || this.heartbeatDue()) {
          const event = this.eventOf(read, records, finished);
          if (event) {
            await this.send(sink, event, read);
            if (finished) {
              this.ending ??= { kind: 'end' };
              break;
            }
            if (!read.atTip) continue;
          } else {
            this.lastEventMs = this.fanout.options.clock.now(); // nothing to say yet: next heartbeat later
          }
        }
        await this.idle();
      }
    } catch (err) {
      if (!this.ending || this.ending.kind === 'end') {
        const gone = this.fanout.check(this);
        this.ending = gone
          ? { kind: 'fail', err: gone }
          : err instanceof KinesisError && err.code.startsWith('KMS') // a key made unusable: say so, as GetRecords does
            ? { kind: 'fail', err }
            : { kind: 'fail', err: new KinesisError('InternalFailureException', 'Internal service failure.'), cause: err };
      }
    }
    this.finish(sink);
  }

  private finish(sink: SubscriptionSink | undefined): void {
    this.fanout.options.clock.clearTimeout(this.deadline);
    this.fanout.options.clock.clearTimeout(this.waitTimer);
    this.fanout.forget(this);
    if (!sink) return;
    const ending = this.ending ?? { kind: 'end' };
    if (ending.kind === 'fail') sink.fail(ending.err, ending.cause);
    else if (ending.kind === 'end') sink.end();
  }

  private eventOf(read: ReadResult, records: Shapes.Record[], finished: boolean): Shapes.SubscribeToShardEvent | undefined {
    const last = read.records[read.records.length - 1];
    const millisBehindLatest = read.atTip || !last ? 0 : Math.max(0, this.fanout.options.clock.now() - last.arrivalMs);
    if (finished) {
      // The shard's end: ChildShards and no ContinuationSequenceNumber (what KCL checks for).
      return {
        Records: records,
        MillisBehindLatest: millisBehindLatest,
        ChildShards: this.fanout.childShards(this.live, this.shardIndex),
      } as Shapes.SubscribeToShardEvent;
    }
    let continuation: string;
    if (last) {
      continuation = records[records.length - 1]!.SequenceNumber;
      this.lastSent = { cursor: last.cursor, sequence: continuation };
    } else if (this.lastSent?.cursor === this.cursor - 1n) {
      continuation = this.lastSent.sequence;
    } else if (this.cursor > 0n) {
      // Resuming AFTER_SEQUENCE_NUMBER this continues at the cursor. Stamped now, so it is not
      // below the number of a record at cursor - 1 (whose arrival was earlier).
      const shard = this.live.state.shards[this.shardIndex]!;
      continuation = encodeSequenceNumber(this.shardIndex, sequenceSecondsOf(shard), this.cursor - 1n, this.fanout.options.clock.now());
    } else {
      // Before the first record of the log nothing can be expressed, so no heartbeat is sent there.
      return undefined;
    }
    return { Records: records, ContinuationSequenceNumber: continuation, MillisBehindLatest: millisBehindLatest };
  }

  private async send(sink: SubscriptionSink, event: Shapes.SubscribeToShardEvent, read: ReadResult): Promise<void> {
    this.lastEventMs = this.fanout.options.clock.now();
    if (this.fanout.limited) {
      let bytes = 0;
      for (const record of read.records) bytes += record.data.length + record.partitionKey.length;
      this.refill();
      this.tokens -= bytes;
    }
    await sink.event(event);
  }

  private heartbeatDue(): boolean {
    return this.fanout.options.clock.now() - this.lastEventMs >= HEARTBEAT_MS;
  }

  /** Waits for a wake-up, or until the next heartbeat is due. */
  private idle(): Promise<void> {
    if (this.dirty || this.ending) return Promise.resolve();
    const untilHeartbeat = Math.max(1, this.lastEventMs + HEARTBEAT_MS - this.fanout.options.clock.now());
    return this.sleep(untilHeartbeat);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.waitTimer = this.fanout.options.clock.setTimeout(() => this.release(), ms);
    });
  }

  private release(): void {
    this.fanout.options.clock.clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  /** `--limits aws`: waits until the bucket is out of debt; false if the subscription ended meanwhile. */
  private async throttle(): Promise<boolean> {
    for (;;) {
      this.refill();
      if (this.tokens >= 0) return true;
      const waitMs = Math.ceil((-this.tokens / SUBSCRIPTION_BYTES_PER_SECOND) * 1000);
      await this.sleep(waitMs);
      if (this.ending) return false;
    }
  }

  private refill(): void {
    const now = this.fanout.options.clock.now();
    const elapsed = Math.max(0, now - this.tokensAtMs);
    this.tokens = Math.min(SUBSCRIPTION_BYTES_PER_SECOND, this.tokens + (elapsed / 1000) * SUBSCRIPTION_BYTES_PER_SECOND);
    this.tokensAtMs = now;
  }
}
