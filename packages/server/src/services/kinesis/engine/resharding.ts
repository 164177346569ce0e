/**
 * Resharding: SplitShard, MergeShards and UpdateShardCount. A reshard is accepted at once (the
 * stream goes UPDATING with the plan stored in its state) and applied when UPDATING completes,
 * as AWS does: parents are closed (EndingSequenceNumber set), children are added with
 * ParentShardId / AdjacentParentShardId, and shard numbers continue the stream's sequence.
 *
 * UpdateShardCount (UNIFORM_SCALING) is carried out as the splits and merges that take the open
 * shards to an even split of the hash key space: every open shard is split at the new
 * boundaries inside it, then the pieces of each new range are merged left to right. Every
 * intermediate shard is a real shard with real lineage, so a consumer that reads parents before
 * children (KCL) reads every record once.
 */
import { invalidArgument, limitExceeded, resourceNotFound } from '../errors.js';
import type * as Shapes from '../shapes.generated.js';
import type { StreamCatalog } from './catalog.js';
import { addressOf, findStream, type RequestContext, type StreamReference } from './context.js';
import type { ControlPlane } from './controlPlane.js';
import { evenHashRanges } from './hashKeys.js';
import type { EngineOptions } from './options.js';
import { childSequenceSeconds, isOpen, shardIdOf, shardIndexOf, type ShardState } from './shards.js';
import { streamArn, type ReshardPlan, type StreamState } from './streamState.js';

/** AWS: at most 10 UpdateShardCount calls per stream in a rolling 24 hours. */
const SCALING_CALLS_PER_DAY = 10;
const DAY_MS = 24 * 3_600_000;

export class Resharding {
  constructor(
    private readonly catalog: StreamCatalog,
    private readonly control: ControlPlane,
    private readonly options: EngineOptions,
  ) {}

  async splitShard(ctx: RequestContext, input: Shapes.SplitShardInput): Promise<void> {
    // AWS reads the shard's number before it looks the stream up (docs/conformance.md).
    const index = shardIndexIn(ctx, input, input.ShardToSplit);
    const live = findStream(this.catalog, ctx, input);
    await this.catalog.update(live, (draft) => {
      const parent = this.openShard(draft, index);
      this.control.checkShardLimit(ctx, 1);
      const key = BigInt(input.NewStartingHashKey);
      if (key <= BigInt(parent.startingHashKey) + 1n || key >= BigInt(parent.endingHashKey)) {
        throw invalidArgument(
          `NewStartingHashKey ${input.NewStartingHashKey} used in SplitShard() on shard ${shardIdOf(parent.index)} ` +
            `in stream ${draft.name} under account ${draft.account} is not both greater than one plus the shard's ` +
            `StartingHashKey ${parent.startingHashKey} and less than the shard's EndingHashKey ${parent.endingHashKey}.`,
        );
      }
      this.control.requireActive(draft);
      this.begin(draft, { kind: 'split', shardIndex: parent.index, newStartingHashKey: key.toString() });
    });
  }

  async mergeShards(ctx: RequestContext, input: Shapes.MergeShardsInput): Promise<void> {
    const index = shardIndexIn(ctx, input, input.ShardToMerge);
    const adjacentIndex = shardIndexIn(ctx, input, input.AdjacentShardToMerge);
    const live = findStream(this.catalog, ctx, input);
    await this.catalog.update(live, (draft) => {
      const shard = this.openShard(draft, index);
      const adjacent = this.openShard(draft, adjacentIndex);
      // AWS takes the pair lower range first: ShardToMerge ends just below AdjacentShardToMerge.
      const touching = BigInt(shard.endingHashKey) + 1n === BigInt(adjacent.startingHashKey);
      if (!touching) {
        throw invalidArgument(
          `Shards ${shardIdOf(shard.index)} and ${shardIdOf(adjacent.index)} in stream ${draft.name} under account ` +
            `${draft.account} are not an adjacent pair of shards eligible for merging`,
        );
      }
      this.control.requireActive(draft);
      this.begin(draft, { kind: 'merge', shardIndex: shard.index, adjacentIndex: adjacent.index });
    });
  }

  async updateShardCount(ctx: RequestContext, input: Shapes.UpdateShardCountInput): Promise<Shapes.UpdateShardCountOutput> {
    const live = findStream(this.catalog, ctx, input);
    const target = input.TargetShardCount;
    const current = await this.catalog.update(live, (draft) => {
      this.control.requireActive(draft);
      const open = draft.shards.filter(isOpen).length;
      const detail = `Current open shard count: ${open}, Target shard count: ${target}`;
      if (target > this.options.shardLimit) {
        throw limitExceeded(`Target shard count or number of open shards cannot be greater than ${this.options.shardLimit}. ${detail}`);
      }
      if (target > open * 2) {
        throw limitExceeded(`UpdateShardCount cannot scale up over double your current open shard count. ${detail}`);
      }
      if (target < Math.ceil(open / 2)) {
        throw limitExceeded(`UpdateShardCount cannot scale down below half your current open shard count. ${detail}`);
      }
      if (target > open) this.control.checkShardLimit(ctx, target - open);
      const dayAgo = this.options.clock.now() - DAY_MS;
      const calls = (draft.scalingCallsMs ?? []).filter((ms) => ms > dayAgo);
      if (calls.length >= SCALING_CALLS_PER_DAY) {
        throw limitExceeded(
          `Exceeded the limit of ${SCALING_CALLS_PER_DAY} UpdateShardCount calls per rolling 24 hours for stream ` +
            `${draft.name} under account ${draft.account}.`,
        );
      }
      draft.scalingCallsMs = [...calls, this.options.clock.now()];
      this.begin(draft, { kind: 'scale', targetCount: target });
      return open;
    });
    return {
      StreamName: live.state.name,
      StreamARN: streamArn(live.state),
      CurrentShardCount: current,
      TargetShardCount: target,
    };
  }

  private begin(draft: StreamState, plan: ReshardPlan): void {
    draft.pendingReshard = plan;
    this.catalog.beginTransition(draft, 'UPDATING', this.options.updateStreamMs);
  }

  private openShard(state: StreamState, index: number): ShardState {
    const shard = state.shards[index];
    if (!shard) {
      throw resourceNotFound(`Could not find shard ${shardIdOf(index)} in stream ${state.name} under account ${state.account}.`);
    }
    if (!isOpen(shard)) {
      // AWS's own answer (InvalidArgumentException, this text) to resharding a closed shard.
      throw invalidArgument(
        `Shard ${shardIdOf(shard.index)} in stream ${state.name} under account ${state.account} has already been ` +
          'merged or split, and thus is not eligible for merging or splitting.',
      );
    }
    return shard;
  }
}

/** Applies a stream's pending reshard to its state (when its UPDATING status completes). */
export function applyPendingReshard(draft: StreamState, nowMs: number): void {
  const plan = draft.pendingReshard;
  if (!plan) return;
  delete draft.pendingReshard;
  const shape = new ShardShaper(draft, nowMs);
  switch (plan.kind) {
    case 'split':
      shape.split(shape.shard(plan.shardIndex), BigInt(plan.newStartingHashKey));
      break;
    case 'merge':
      shape.merge(shape.shard(plan.shardIndex), shape.shard(plan.adjacentIndex));
      break;
    case 'scale':
      shape.scaleUniformly(plan.targetCount);
      break;
  }
}

/** The shard-level steps of resharding, on a stream state being changed. */
class ShardShaper {
  constructor(
    private readonly state: StreamState,
    private readonly nowMs: number,
  ) {}

  shard(index: number): ShardState {
    const shard = this.state.shards[index];
    if (!shard || !isOpen(shard)) throw new Error(`reshard of shard ${index}, which is not open`);
    return shard;
  }

  /** Splits parent at key (parent.start < key <= parent.end); returns [low child, high child]. */
  split(parent: ShardState, key: bigint): [ShardState, ShardState] {
    this.close(parent);
    const low = this.add({ start: BigInt(parent.startingHashKey), end: key - 1n, parentIndex: parent.index });
    const high = this.add({ start: key, end: BigInt(parent.endingHashKey), parentIndex: parent.index });
    return [low, high];
  }

  merge(shard: ShardState, adjacent: ShardState): ShardState {
    this.close(shard);
    this.close(adjacent);
    const [lower, upper] = BigInt(shard.startingHashKey) < BigInt(adjacent.startingHashKey) ? [shard, adjacent] : [adjacent, shard];
    return this.add({
      start: BigInt(lower.startingHashKey),
      end: BigInt(upper.endingHashKey),
      parentIndex: shard.index,
      adjacentParentIndex: adjacent.index,
    });
  }

  scaleUniformly(target: number): void {
    const ranges = evenHashRanges(target);
    const boundaries = ranges.slice(1).map((range) => range.start);
    // 1. Split every open shard at each new boundary strictly inside it.
    const pieces: ShardState[] = [];
    const open = this.state.shards.filter(isOpen).sort((a, b) => compareKeys(a.startingHashKey, b.startingHashKey));
    for (const shard of open) {
      let rest = shard;
      for (const boundary of boundaries) {
        if (boundary > BigInt(rest.startingHashKey) && boundary <= BigInt(rest.endingHashKey)) {
          const [low, high] = this.split(rest, boundary);
          pieces.push(low);
          rest = high;
        }
      }
      pieces.push(rest);
    }
    // 2. Merge the pieces of each new range, left to right.
    let next = 0;
    for (const range of ranges) {
      let merged = pieces[next++]!;
      while (next < pieces.length && BigInt(pieces[next]!.endingHashKey) <= range.end) {
        merged = this.merge(merged, pieces[next++]!);
      }
      if (BigInt(merged.startingHashKey) !== range.start || BigInt(merged.endingHashKey) !== range.end) {
        throw new Error(`uniform scaling produced ${merged.startingHashKey}..${merged.endingHashKey}, not ${range.start}..${range.end}`);
      }
    }
  }

  private close(shard: ShardState): void {
    // Its EndingSequenceNumber follows from closedMs (endingSequenceNumberOf).
    shard.closedMs = this.nowMs;
  }

  private add(spec: { start: bigint; end: bigint; parentIndex: number; adjacentParentIndex?: number }): ShardState {
    const parents = [spec.parentIndex, spec.adjacentParentIndex].flatMap((index) =>
      index === undefined ? [] : [this.state.shards[index]!],
    );
    const shard: ShardState = {
      index: this.state.nextShardIndex++,
      parentIndex: spec.parentIndex,
      ...(spec.adjacentParentIndex !== undefined ? { adjacentParentIndex: spec.adjacentParentIndex } : {}),
      startingHashKey: spec.start.toString(),
      endingHashKey: spec.end.toString(),
      createdMs: this.nowMs,
      sequenceSeconds: childSequenceSeconds(this.nowMs, parents),
    };
    this.state.shards.push(shard);
    return shard;
  }
}

function compareKeys(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The number of a shard id a reshard names, read before the stream is looked up: an id whose
 * number does not parse or fit in 31 bits is refused naming it as given, whether or not the
 * stream exists (AWS's order; a parsed one is named normalised once the stream is found).
 */
function shardIndexIn(ctx: RequestContext, ref: StreamReference, shardId: string): number {
  const index = shardIndexOf(shardId);
  if (index !== undefined) return index;
  const address = addressOf(ctx, ref);
  throw resourceNotFound(`Could not find shard ${shardId} in stream ${address.name} under account ${address.account}.`);
}
