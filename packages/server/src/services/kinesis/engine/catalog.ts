/**
 * The stream catalogue: every stream's state, loaded from the MetadataStore at start-up, kept in
 * memory for the hot path, and written through (compare-and-set) on every change. Mutations of
 * one stream are serialized. Transitional statuses (CREATING, UPDATING, DELETING) complete on
 * timers, and complete after a restart too.
 */
import type { Clock, Timer } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { MetadataStore, RecordStore, StreamLog } from '../../../storage/types.js';
import { SerialQueue } from '../../../util/serialQueue.js';
import { resourceNotFound } from '../errors.js';
import { RoutingTable } from './shards.js';
import { streamKey, streamKeyPrefix, type StreamAddress, type StreamState, type StreamStatus } from './streamState.js';

export interface LiveStream {
  state: StreamState;
  revision: number;
  log: StreamLog;
  routing: RoutingTable;
  queue: SerialQueue;
  /** Appends in flight per shard index: a closed shard is finished only once its count is 0. */
  appending: Map<number, number>;
  transitionTimer?: Timer;
}

export function streamNotFound(address: StreamAddress): Error {
  return resourceNotFound(`Stream ${address.name} under account ${address.account} not found.`);
}

export interface CatalogOptions {
  clock: Clock;
  logger: Logger;
  /** Applies what a stream's UPDATING status was for (a pending reshard) as it completes. */
  completeUpdate: (draft: StreamState, nowMs: number) => void;
}

export class StreamCatalog {
  private readonly streams = new Map<string, LiveStream>();
  private readonly observers: Array<(live: LiveStream) => void> = [];
  private closed = false;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly records: RecordStore,
    private readonly options: CatalogOptions,
  ) {}

  async load(): Promise<void> {
    for (const entry of await this.metadata.list<StreamState>('streams/')) {
      const log = await this.records.open(entry.value.id);
      const live = this.track(entry.value, entry.revision, log);
      this.scheduleTransition(live);
    }
  }

  get(address: StreamAddress): LiveStream | undefined {
    return this.streams.get(streamKey(address));
  }

  /** The streams of one account and region, sorted by name. */
  list(account: string, region: string): LiveStream[] {
    const prefix = streamKeyPrefix(account, region);
    const found: LiveStream[] = [];
    for (const [key, live] of this.streams) if (key.startsWith(prefix)) found.push(live);
    return found.sort((a, b) => (a.state.name < b.state.name ? -1 : a.state.name > b.state.name ? 1 : 0));
  }

  all(): IterableIterator<LiveStream> {
    return this.streams.values();
  }

  /**
   * Calls back (synchronously, must not throw) after every change of a stream's state and once
   * a stream is removed (then `get` no longer returns it): how subscriptions learn of reshards,
   * deregistered consumers and deleted streams without polling.
   */
  observe(observer: (live: LiveStream) => void): void {
    this.observers.push(observer);
  }

  /** Creates a stream; false when the name is taken (checked again against the store). */
  async create(state: StreamState): Promise<LiveStream | undefined> {
    const key = streamKey(state);
    if (this.streams.has(key)) return undefined;
    const log = await this.records.open(state.id);
    if (this.streams.has(key)) {
      await log.close();
      await this.records.destroy(state.id);
      return undefined;
    }
    const live = this.track(state, 0, log);
    try {
      live.revision = await this.metadata.put(key, state, 0);
    } catch (err) {
      this.streams.delete(key);
      await log.close();
      await this.records.destroy(state.id);
      throw err;
    }
    this.scheduleTransition(live);
    return live;
  }

  /**
   * Applies a change to a stream's state, durably. `change` runs on a copy, after any earlier
   * change of the same stream completed; it may throw to refuse (nothing is written then).
   */
  update<T>(live: LiveStream, change: (draft: StreamState) => T): Promise<T> {
    return live.queue.run(async () => {
      // A change queued behind the stream's removal finds it gone, as a later request would.
      if (!this.isTracked(live)) throw streamNotFound(live.state);
      const draft = structuredClone(live.state);
      const result = change(draft);
      live.revision = await this.metadata.put(streamKey(draft), draft, live.revision);
      this.install(live, draft);
      return result;
    });
  }

  /** Moves a stream into a transitional status that completes after delayMs. */
  beginTransition(draft: StreamState, status: StreamStatus, delayMs: number): void {
    draft.status = status;
    draft.transitionEndsMs = this.options.clock.now() + delayMs;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const live of this.streams.values()) {
      this.options.clock.clearTimeout(live.transitionTimer);
      await live.log.close();
    }
    this.streams.clear();
  }

  private track(state: StreamState, revision: number, log: StreamLog): LiveStream {
    const live: LiveStream = {
      state,
      revision,
      log,
      routing: new RoutingTable(state.shards),
      queue: new SerialQueue(),
      appending: new Map(),
    };
    this.streams.set(streamKey(state), live);
    return live;
  }

  private isTracked(live: LiveStream): boolean {
    return this.streams.get(streamKey(live.state)) === live;
  }

  private install(live: LiveStream, state: StreamState): void {
    live.state = state;
    live.routing = new RoutingTable(state.shards);
    this.scheduleTransition(live);
    for (const observer of this.observers) observer(live);
  }

  private scheduleTransition(live: LiveStream): void {
    this.options.clock.clearTimeout(live.transitionTimer);
    const endsMs = live.state.transitionEndsMs;
    if (endsMs === undefined || this.closed) return;
    const delay = Math.max(0, endsMs - this.options.clock.now());
    live.transitionTimer = this.options.clock.setTimeout(() => void this.completeTransition(live), delay);
    live.transitionTimer.unref();
  }

  private async completeTransition(live: LiveStream): Promise<void> {
    if (this.closed || !this.isTracked(live)) return;
    try {
      if (live.state.status === 'DELETING') {
        await this.remove(live);
      } else {
        await this.update(live, (draft) => {
          this.options.completeUpdate(draft, this.options.clock.now());
          draft.status = 'ACTIVE';
          delete draft.transitionEndsMs;
        });
      }
    } catch (err) {
      // A failed completion is retried: the status must not stay transitional forever.
      if (!this.closed) {
        this.options.logger.warn(
          { err, stream: live.state.name, status: live.state.status },
          'completing a stream transition failed; retrying in 1 s',
        );
        live.transitionTimer = this.options.clock.setTimeout(() => void this.completeTransition(live), 1000);
        live.transitionTimer.unref();
      }
    }
  }

  private remove(live: LiveStream): Promise<void> {
    return live.queue.run(async () => {
      if (!this.isTracked(live)) return;
      const key = streamKey(live.state);
      await this.metadata.delete(key, live.revision);
      this.streams.delete(key);
      for (const observer of this.observers) observer(live);
      await live.log.close();
      await this.records.destroy(live.state.id);
    });
  }
}
