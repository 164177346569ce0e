/**
 * On-demand capacity: ON_DEMAND streams scale themselves under write load.
 *
 * The policy, evaluated every `autoscaleIntervalMs` for each ACTIVE on-demand stream:
 * - Hot shard: a shard that took more than 80% of a provisioned shard's write capacity
 *   (1 MiB/s or 1,000 records/s) over the last interval is split at the middle of its hash
 *   range, one split per stream per interval, within the account's shard limit.
 * - Cool-down: when no split happened for `autoscaleCooldownMs`, two adjacent open shards that
 *   together took less than 20% of one shard's capacity are merged back, one merge per
 *   interval, never below the 4 shards an on-demand stream starts with.
 * Reshards go through the same path as SplitShard and MergeShards (UPDATING, then applied).
 */
import type { Timer } from '../../../core/clock.js';
import type { RecordInput } from '../../../storage/types.js';
import { KinesisError } from '../errors.js';
import type { LiveStream, StreamCatalog } from './catalog.js';
import type { ControlPlane } from './controlPlane.js';
import { LIMITS, type EngineOptions } from './options.js';
import type { Resharding } from './resharding.js';
import { isOpen, shardIdOf, type ShardState } from './shards.js';
import { SHARD_LIMITS } from './throughput.js';

const HOT_FRACTION = 0.8;
const COLD_FRACTION = 0.2;

interface ShardLoad {
  bytes: number;
  records: number;
}

export class Autoscaler {
  private timer: Timer | undefined;
  private readonly evaluating = new Set<Promise<void>>();
  /** Write load per stream id and shard index since the last evaluation. */
  private readonly load = new Map<string, Map<number, ShardLoad>>();
  private readonly lastSplitMs = new Map<string, number>();

  constructor(
    private readonly catalog: StreamCatalog,
    private readonly control: ControlPlane,
    private readonly resharding: Resharding,
    private readonly options: EngineOptions,
  ) {}

  /** Counts a write (called by the data plane for on-demand streams). */
  record(live: LiveStream, shardIndex: number, appended: readonly RecordInput[]): void {
    if (live.state.mode !== 'ON_DEMAND') return;
    const records = appended.length;
    let bytes = 0;
    for (const record of appended) bytes += record.data.length + record.partitionKey.length;
    let shards = this.load.get(live.state.id);
    if (!shards) this.load.set(live.state.id, (shards = new Map()));
    const load = shards.get(shardIndex);
    if (load) {
      load.records += records;
      load.bytes += bytes;
    } else {
      shards.set(shardIndex, { records, bytes });
    }
  }

  start(): void {
    this.timer = this.options.clock.setInterval(() => {
      const evaluation = this.evaluate()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'autoscaling evaluation failed'))
        .finally(() => this.evaluating.delete(evaluation));
      this.evaluating.add(evaluation);
    }, this.options.autoscaleIntervalMs);
    this.timer.unref();
  }

  /** Resolves once the evaluations the interval started so far have finished (for tests). */
  async settled(): Promise<void> {
    while (this.evaluating.size > 0) await Promise.all(this.evaluating);
  }

  stop(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One evaluation of the policy over every on-demand stream (exposed for tests). */
  async evaluate(): Promise<void> {
    const seconds = this.options.autoscaleIntervalMs / 1000;
    const loads = new Map(this.load);
    this.load.clear();
    for (const live of this.catalog.all()) {
      const { state } = live;
      if (state.mode !== 'ON_DEMAND' || state.status !== 'ACTIVE') continue;
      const shardLoads = loads.get(state.id) ?? new Map<number, ShardLoad>();
      const utilization = (shard: ShardState) => {
        const load = shardLoads.get(shard.index) ?? { bytes: 0, records: 0 };
        return Math.max(
          load.bytes / seconds / SHARD_LIMITS.writeBytesPerSecond,
          load.records / seconds / SHARD_LIMITS.writeRecordsPerSecond,
        );
      };
      if (await this.splitHottest(live, utilization)) continue;
      await this.mergeColdest(live, utilization);
    }
  }

  private async splitHottest(live: LiveStream, utilization: (shard: ShardState) => number): Promise<boolean> {
    const open = live.state.shards.filter(isOpen);
    const hottest = open.reduce<ShardState | undefined>(
      (best, shard) => (!best || utilization(shard) > utilization(best) ? shard : best),
      undefined,
    );
    if (!hottest || utilization(hottest) <= HOT_FRACTION) return false;
    const start = BigInt(hottest.startingHashKey);
    const end = BigInt(hottest.endingHashKey);
    if (end - start < 2n) return false;
    const ctx = { account: live.state.account, region: live.state.region };
    try {
      await this.resharding.splitShard(ctx, {
        StreamName: live.state.name,
        ShardToSplit: shardIdOf(hottest.index),
        NewStartingHashKey: (start + (end - start + 1n) / 2n).toString(),
      });
      this.lastSplitMs.set(live.state.id, this.options.clock.now());
      return true;
    } catch (err) {
      // At the shard limit, or the stream changed meanwhile: try again next time.
      this.refused(err, 'split', live.state.name);
      return false;
    }
  }

  private async mergeColdest(live: LiveStream, utilization: (shard: ShardState) => number): Promise<void> {
    const { state } = live;
    const sinceSplit = this.options.clock.now() - (this.lastSplitMs.get(state.id) ?? state.createdMs);
    if (sinceSplit < this.options.autoscaleCooldownMs) return;
    const open = state.shards.filter(isOpen).sort((a, b) => (BigInt(a.startingHashKey) < BigInt(b.startingHashKey) ? -1 : 1));
    if (open.length <= LIMITS.onDemandInitialShards) return;
    let best: [ShardState, ShardState] | undefined;
    let bestLoad = COLD_FRACTION;
    for (let i = 0; i + 1 < open.length; i++) {
      const combined = utilization(open[i]!) + utilization(open[i + 1]!);
      if (combined < bestLoad) [best, bestLoad] = [[open[i]!, open[i + 1]!], combined];
    }
    if (!best) return;
    try {
      await this.resharding.mergeShards(
        { account: state.account, region: state.region },
        { StreamName: state.name, ShardToMerge: shardIdOf(best[0].index), AdjacentShardToMerge: shardIdOf(best[1].index) },
      );
    } catch (err) {
      // The stream changed meanwhile: the next evaluation decides again.
      this.refused(err, 'merge', state.name);
    }
  }

  /** A refused split or merge (shard limit, stream changed) is routine; anything else is a failure. */
  private refused(err: unknown, action: 'split' | 'merge', stream: string): void {
    if (err instanceof KinesisError) this.options.logger.debug({ err, stream }, `autoscaling ${action} refused`);
    else this.options.logger.warn({ err, stream }, `autoscaling ${action} failed`);
  }
}
