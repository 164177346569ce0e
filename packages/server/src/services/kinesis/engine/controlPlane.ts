/**
 * The control plane of Data Streams: creating, describing, listing and configuring streams.
 * Every method takes the request context and the operation's typed input and returns its output.
 */
import { randomBytes } from 'node:crypto';
import { invalidArgument, kmsError, limitExceeded, resourceInUse, resourceNotFound } from '../errors.js';
import type * as Shapes from '../shapes.generated.js';
import { KeyUnavailableError, type MetadataStore } from '../../../storage/types.js';
import type { LiveStream, StreamCatalog } from './catalog.js';
import { consumerArn, liveConsumers } from './consumers.js';
import { findStream, type RequestContext } from './context.js';
import { evenHashRanges } from './hashKeys.js';
import { LIMITS, type EngineOptions } from './options.js';
import type { ListingScope, PageTokens } from './pageTokens.js';
import { endingSequenceNumberOf, isOpen, shardIdOf, shardIndexOf, startingSequenceNumberOf, type ShardState } from './shards.js';
import { ALL_SHARD_LEVEL_METRICS, streamArn, type StreamState } from './streamState.js';
import { ResourceTagging } from './tagging.js';

interface AccountSettings {
  minimumThroughputBillingCommitment?: {
    status: Shapes.MinimumThroughputBillingCommitmentOutputStatus;
    startedMs?: number;
    endedMs?: number;
  };
}

/** A minimum throughput billing commitment lasts at least this long once enabled. */
const COMMITMENT_MIN_MS = 24 * 3_600_000;

export class ControlPlane {
  readonly tagging: ResourceTagging;

  constructor(
    private readonly catalog: StreamCatalog,
    private readonly metadata: MetadataStore,
    private readonly options: EngineOptions,
    private readonly pageTokens: PageTokens,
  ) {
    this.tagging = new ResourceTagging(catalog, options.clock);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async createStream(ctx: RequestContext, input: Shapes.CreateStreamInput): Promise<void> {
    const address = { account: ctx.account, region: ctx.region, name: input.StreamName };
    const mode = input.StreamModeDetails?.StreamMode ?? 'PROVISIONED';
    if (this.catalog.get(address)) throw this.alreadyExists(address.name, address.account);
    const shardCount = this.initialShardCount(mode, input.ShardCount);
    if (input.Tags) this.tagging.checkTagCount(address.name, address.account, Object.keys(input.Tags).length);
    this.checkShardLimit(ctx, shardCount);
    if (mode === 'ON_DEMAND') this.checkOnDemandLimit(ctx);

    const now = this.options.clock.now();
    const shards: ShardState[] = evenHashRanges(shardCount).map((range, index) => ({
      index,
      startingHashKey: range.start.toString(),
      endingHashKey: range.end.toString(),
      createdMs: now,
      sequenceSeconds: Math.floor(now / 1000),
    }));
    const state: StreamState = {
      id: `${now.toString(36)}-${randomBytes(6).toString('hex')}`,
      ...address,
      status: 'CREATING',
      transitionEndsMs: now + this.options.createStreamMs,
      mode,
      createdMs: now,
      retentionHours: LIMITS.defaultRetentionHours,
      shards,
      nextShardIndex: shardCount,
      tags: { ...input.Tags },
      shardLevelMetrics: [],
      encryption: { type: 'NONE' },
      maxRecordSizeKiB: input.MaxRecordSizeInKiB ?? LIMITS.defaultMaxRecordSizeKiB,
      ...(input.WarmThroughputMiBps !== undefined ? { warmThroughputMiBps: input.WarmThroughputMiBps } : {}),
      policies: {},
      modeSwitchesMs: [],
    };
    if (!(await this.catalog.create(state))) throw this.alreadyExists(address.name, address.account);
  }

  async deleteStream(ctx: RequestContext, input: Shapes.DeleteStreamInput): Promise<void> {
    const live = findStream(this.catalog, ctx, input);
    // Deleting a stream already being deleted changes nothing, so writes nothing.
    if (live.state.status === 'DELETING') return;
    await this.catalog.update(live, (draft) => {
      // A stream still CREATING may be deleted, as AWS allows: its creation is simply cut short.
      if (draft.status === 'DELETING') return;
      const now = this.options.clock.now();
      const consumers = liveConsumers(draft, now);
      if (consumers.length > 0 && !input.EnforceConsumerDeletion) {
        throw resourceInUse(
          `Stream ${draft.name} under account ${draft.account} has ${consumers.length} registered consumers. ` +
            'Deregister them first, or delete the stream with EnforceConsumerDeletion.',
        );
      }
      // EnforceConsumerDeletion: the consumers are deleted with the stream (their subscriptions end).
      for (const consumer of consumers) {
        if (consumer.goneMs === undefined) consumer.goneMs = now + this.options.deleteStreamMs;
        delete draft.policies[consumerArn(draft, consumer)];
      }
      this.catalog.beginTransition(draft, 'DELETING', this.options.deleteStreamMs);
    });
  }

  // ---- describing and listing -----------------------------------------------------------------

  describeStream(ctx: RequestContext, input: Shapes.DescribeStreamInput): Shapes.DescribeStreamOutput {
    const { state } = findStream(this.catalog, ctx, input);
    const limit = input.Limit ?? 100;
    const notBeforeMs = this.trimHorizonMs(state);
    let shards = state.shards.filter((shard) => !this.isExpired(shard, notBeforeMs));
    if (input.ExclusiveStartShardId !== undefined) {
      const after = shardIndexOf(input.ExclusiveStartShardId) ?? -1;
      shards = shards.filter((shard) => shard.index > after);
    }
    const page = state.status === 'CREATING' ? [] : shards.slice(0, limit);
    return {
      StreamDescription: {
        StreamName: state.name,
        StreamARN: streamArn(state),
        StreamStatus: state.status,
        StreamModeDetails: { StreamMode: state.mode },
        Shards: page.map((shard) => this.describeShard(shard)),
        HasMoreShards: state.status !== 'CREATING' && shards.length > page.length,
        RetentionPeriodHours: state.retentionHours,
        StreamCreationTimestamp: new Date(state.createdMs),
        EnhancedMonitoring: [{ ShardLevelMetrics: [...state.shardLevelMetrics] }],
        EncryptionType: state.encryption.type,
        ...(state.encryption.keyId !== undefined ? { KeyId: state.encryption.keyId } : {}),
      },
    };
  }

  /**
   * A stream's id (unique per incarnation), which the API keeps to itself: DescribeStreamSummary
   * shows no StreamId (the model calls the member "not implemented"), because AWS's SDKs send a
   * request that carries a StreamId of AWS's form to `<id>.control-kinesis.<region>.amazonaws.com`
   * whatever endpoint they were given (the endpoint rule set), and the Java KCL 3 sends back any
   * StreamId it is shown. For tests and operators' tools.
   */
  streamId(ctx: RequestContext, input: Shapes.DescribeStreamSummaryInput): string {
    return findStream(this.catalog, ctx, input).state.id;
  }

  describeStreamSummary(ctx: RequestContext, input: Shapes.DescribeStreamSummaryInput): Shapes.DescribeStreamSummaryOutput {
    const { state } = findStream(this.catalog, ctx, input);
    return {
      StreamDescriptionSummary: {
        StreamName: state.name,
        StreamARN: streamArn(state),
        StreamStatus: state.status,
        StreamModeDetails: { StreamMode: state.mode },
        RetentionPeriodHours: state.retentionHours,
        StreamCreationTimestamp: new Date(state.createdMs),
        EnhancedMonitoring: [{ ShardLevelMetrics: [...state.shardLevelMetrics] }],
        EncryptionType: state.encryption.type,
        ...(state.encryption.keyId !== undefined ? { KeyId: state.encryption.keyId } : {}),
        OpenShardCount: state.status === 'CREATING' ? 0 : state.shards.filter(isOpen).length,
        ConsumerCount: liveConsumers(state, this.options.clock.now()).length,
        MaxRecordSizeInKiB: state.maxRecordSizeKiB,
        ...(state.warmThroughputMiBps !== undefined
          ? { WarmThroughput: { TargetMiBps: state.warmThroughputMiBps, CurrentMiBps: state.warmThroughputMiBps } }
          : {}),
      },
    };
  }

  listStreams(ctx: RequestContext, input: Shapes.ListStreamsInput): Shapes.ListStreamsOutput {
    if (input.NextToken !== undefined && input.ExclusiveStartStreamName !== undefined) {
      throw invalidArgument('NextToken and ExclusiveStartStreamName cannot be provided together.');
    }
    const scope: ListingScope = { listing: 'ListStreams', account: ctx.account, region: ctx.region };
    let after = input.ExclusiveStartStreamName;
    if (input.NextToken !== undefined) after = this.pageTokens.open(input.NextToken, scope).after;
    const limit = input.Limit ?? 100;
    let streams = this.catalog.list(ctx.account, ctx.region);
    if (after !== undefined) streams = streams.filter((live) => live.state.name > after!);
    const page = streams.slice(0, limit);
    const hasMore = streams.length > page.length;
    const last = page[page.length - 1];
    return {
      StreamNames: page.map((live) => live.state.name),
      HasMoreStreams: hasMore,
      StreamSummaries: page.map(({ state }) => ({
        StreamName: state.name,
        StreamARN: streamArn(state),
        StreamStatus: state.status,
        StreamModeDetails: { StreamMode: state.mode },
        StreamCreationTimestamp: new Date(state.createdMs),
      })),
      ...(hasMore && last ? { NextToken: this.pageTokens.issue(scope, { after: last.state.name }) } : {}),
    };
  }

  listShards(ctx: RequestContext, input: Shapes.ListShardsInput): Shapes.ListShardsOutput {
    const named = input.StreamName !== undefined || input.StreamARN !== undefined;
    if (input.NextToken !== undefined) {
      if (named) throw invalidArgument('NextToken and StreamName cannot be provided together.');
      if (input.ExclusiveStartShardId !== undefined) {
        throw invalidArgument('NextToken and ExclusiveStartShardId cannot be provided together.');
      }
      if (input.StreamCreationTimestamp !== undefined) {
        throw invalidArgument('NextToken and StreamCreationTimestamp cannot be provided together.');
      }
      if (input.ShardFilter !== undefined) throw invalidArgument('NextToken and ShardFilter cannot be provided together.');
    } else if (!named) {
      throw invalidArgument('Either NextToken or StreamName should be provided.');
    }
    const page = input.NextToken !== undefined ? this.resumeShardListing(ctx, input.NextToken) : undefined;
    const live = page ? page.live : findStream(this.catalog, ctx, input);
    const { state } = live;
    if (input.StreamCreationTimestamp !== undefined && input.StreamCreationTimestamp.getTime() !== state.createdMs) {
      throw resourceNotFound(`Stream ${state.name} under account ${state.account} not found.`);
    }
    if (state.status === 'CREATING') {
      throw resourceInUse(`Stream ${state.name} under account ${state.account} is not ACTIVE, it is CREATING.`);
    }
    const filter = page ? page.filter : this.shardFilterOf(input);
    let after = page ? page.after : input.ExclusiveStartShardId;
    if (filter.type === 'AFTER_SHARD_ID') after = filter.shardId;
    const afterIndex = after !== undefined ? (shardIndexOf(after) ?? -1) : -1;
    const shards = this.filterShards(state, filter).filter((shard) => shard.index > afterIndex);
    const limit = Math.min(input.MaxResults ?? 1000, 10_000);
    const pageShards = shards.slice(0, limit);
    const last = pageShards[pageShards.length - 1];
    const more = shards.length > pageShards.length && last !== undefined;
    return {
      Shards: pageShards.map((shard) => this.describeShard(shard)),
      ...(more
        ? {
            NextToken: this.pageTokens.issue(shardListing(ctx), {
              after: shardIdOf(last.index),
              stream: { account: state.account, region: state.region, name: state.name, id: state.id },
              filter: { type: filter.type, ...(filter.timestampMs !== undefined ? { timestampMs: filter.timestampMs } : {}) },
            }),
          }
        : {}),
    };
  }

  // ---- retention ------------------------------------------------------------------------------

  async increaseRetention(ctx: RequestContext, input: Shapes.IncreaseStreamRetentionPeriodInput): Promise<void> {
    const hours = input.RetentionPeriodHours;
    this.checkRetentionBounds(hours);
    const live = findStream(this.catalog, ctx, input);
    await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      if (hours < draft.retentionHours) {
        throw invalidArgument(
          `Requested retention period (${hours} hours) for stream ${draft.name} can not be shorter than existing ` +
            `retention period (${draft.retentionHours} hours). Use DecreaseRetentionPeriod API.`,
        );
      }
      draft.retentionHours = hours;
    });
  }

  async decreaseRetention(ctx: RequestContext, input: Shapes.DecreaseStreamRetentionPeriodInput): Promise<void> {
    const hours = input.RetentionPeriodHours;
    this.checkRetentionBounds(hours);
    const live = findStream(this.catalog, ctx, input);
    await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      if (hours > draft.retentionHours) {
        throw invalidArgument(
          `Requested retention period (${hours} hours) for stream ${draft.name} can not be longer than existing ` +
            `retention period (${draft.retentionHours} hours). Use IncreaseRetentionPeriod API.`,
        );
      }
      draft.retentionHours = hours;
    });
  }

  /** Records that arrived before this time are past the stream's retention. */
  trimHorizonMs(state: StreamState): number {
    return this.options.clock.now() - state.retentionHours * this.options.retentionHourMs;
  }

  // ---- monitoring, encryption, capacity -------------------------------------------------------

  async enableEnhancedMonitoring(
    ctx: RequestContext,
    input: Shapes.EnableEnhancedMonitoringInput,
  ): Promise<Shapes.EnhancedMonitoringOutput> {
    return this.changeMetrics(ctx, input, (current, requested) => [...new Set([...current, ...requested])]);
  }

  async disableEnhancedMonitoring(
    ctx: RequestContext,
    input: Shapes.DisableEnhancedMonitoringInput,
  ): Promise<Shapes.EnhancedMonitoringOutput> {
    return this.changeMetrics(ctx, input, (current, requested) => current.filter((m) => !requested.includes(m)));
  }

  /**
   * Records appended from now on are stored encrypted under the key (at once, not only once the
   * stream is ACTIVE again as AWS says, which is only stricter). The key is checked first, as AWS
   * checks it: missing, disabled or pending deletion gives KMS's error and changes nothing.
   */
  async startEncryption(ctx: RequestContext, input: Shapes.StartStreamEncryptionInput): Promise<void> {
    const live = findStream(this.catalog, ctx, input);
    if (input.EncryptionType !== 'KMS') {
      throw invalidArgument(`Encryption type ${input.EncryptionType} is not supported by StartStreamEncryption; use KMS.`);
    }
    try {
      this.options.kms?.checkKey(input.KeyId);
    } catch (err) {
      throw err instanceof KeyUnavailableError ? kmsError(err) : err;
    }
    await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      draft.encryption = { type: input.EncryptionType, keyId: input.KeyId };
      this.catalog.beginTransition(draft, 'UPDATING', this.options.updateStreamMs);
    });
  }

  async stopEncryption(ctx: RequestContext, input: Shapes.StopStreamEncryptionInput): Promise<void> {
    const live = findStream(this.catalog, ctx, input);
    await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      draft.encryption = { type: 'NONE' };
      this.catalog.beginTransition(draft, 'UPDATING', this.options.updateStreamMs);
    });
  }

  async updateStreamMode(ctx: RequestContext, input: Shapes.UpdateStreamModeInput): Promise<void> {
    const live = findStream(this.catalog, ctx, input);
    const target = input.StreamModeDetails.StreamMode;
    if (target === 'ON_DEMAND' && live.state.mode !== 'ON_DEMAND') this.checkOnDemandLimit(ctx);
    await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      if (draft.mode === target) {
        throw invalidArgument(`Stream ${draft.name} under account ${draft.account} is already in ${target} mode.`);
      }
      const dayAgo = this.options.clock.now() - 24 * 3_600_000;
      draft.modeSwitchesMs = draft.modeSwitchesMs.filter((ms) => ms > dayAgo);
      if (draft.modeSwitchesMs.length >= LIMITS.modeSwitchesPerDay) {
        throw limitExceeded(
          `Stream ${draft.name} under account ${draft.account} has already switched capacity mode ` +
            `${LIMITS.modeSwitchesPerDay} times in the last 24 hours.`,
        );
      }
      draft.modeSwitchesMs.push(this.options.clock.now());
      draft.mode = target;
      if (input.WarmThroughputMiBps !== undefined) draft.warmThroughputMiBps = input.WarmThroughputMiBps;
      this.catalog.beginTransition(draft, 'UPDATING', this.options.updateStreamMs);
    });
  }

  async updateMaxRecordSize(ctx: RequestContext, input: Shapes.UpdateMaxRecordSizeInput): Promise<void> {
    const live = findStream(this.catalog, ctx, input);
    await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      draft.maxRecordSizeKiB = input.MaxRecordSizeInKiB;
    });
  }

  async updateWarmThroughput(
    ctx: RequestContext,
    input: Shapes.UpdateStreamWarmThroughputInput,
  ): Promise<Shapes.UpdateStreamWarmThroughputOutput> {
    const live = findStream(this.catalog, ctx, input);
    await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      draft.warmThroughputMiBps = input.WarmThroughputMiBps;
    });
    const { state } = live;
    return {
      StreamARN: streamArn(state),
      StreamName: state.name,
      WarmThroughput: { TargetMiBps: input.WarmThroughputMiBps, CurrentMiBps: input.WarmThroughputMiBps },
    };
  }

  describeLimits(ctx: RequestContext): Shapes.DescribeLimitsOutput {
    const streams = this.catalog.list(ctx.account, ctx.region);
    return {
      ShardLimit: this.options.shardLimit,
      OpenShardCount: this.openShardCount(ctx),
      OnDemandStreamCount: streams.filter((live) => live.state.mode === 'ON_DEMAND').length,
      OnDemandStreamCountLimit: this.options.onDemandStreamLimit,
    };
  }

  async describeAccountSettings(ctx: RequestContext): Promise<Shapes.DescribeAccountSettingsOutput> {
    const settings = (await this.metadata.get<AccountSettings>(this.settingsKey(ctx)))?.value ?? {};
    return { MinimumThroughputBillingCommitment: this.commitmentOutput(settings) };
  }

  async updateAccountSettings(ctx: RequestContext, input: Shapes.UpdateAccountSettingsInput): Promise<Shapes.UpdateAccountSettingsOutput> {
    const key = this.settingsKey(ctx);
    const current = await this.metadata.get<AccountSettings>(key);
    const now = this.options.clock.now();
    const status = input.MinimumThroughputBillingCommitment.Status;
    const previous = current ? this.commitmentAt(current.value, now) : undefined;
    const committed = previous !== undefined && previous.status !== 'DISABLED';
    const earliestEndMs = committed && previous.startedMs !== undefined ? previous.startedMs + COMMITMENT_MIN_MS : now;
    const settings: AccountSettings = {
      minimumThroughputBillingCommitment:
        status === 'ENABLED'
          ? { status, startedMs: committed ? (previous.startedMs ?? now) : now }
          : committed && now < earliestEndMs
            ? // Ending a commitment inside its minimum window: it stays on until its earliest allowed end.
              { status: 'ENABLED_UNTIL_EARLIEST_ALLOWED_END', startedMs: previous.startedMs, endedMs: earliestEndMs }
            : { status, ...(previous?.startedMs !== undefined ? { startedMs: previous.startedMs } : {}), endedMs: now },
    };
    await this.metadata.put(key, settings, current?.revision ?? 0);
    return { MinimumThroughputBillingCommitment: this.commitmentOutput(settings) };
  }

  // ---- helpers --------------------------------------------------------------------------------

  describeShard(shard: ShardState): Shapes.Shard {
    const ending = endingSequenceNumberOf(shard);
    return {
      ShardId: shardIdOf(shard.index),
      ...(shard.parentIndex !== undefined ? { ParentShardId: shardIdOf(shard.parentIndex) } : {}),
      ...(shard.adjacentParentIndex !== undefined ? { AdjacentParentShardId: shardIdOf(shard.adjacentParentIndex) } : {}),
      HashKeyRange: { StartingHashKey: shard.startingHashKey, EndingHashKey: shard.endingHashKey },
      SequenceNumberRange: {
        StartingSequenceNumber: startingSequenceNumberOf(shard),
        ...(ending !== undefined ? { EndingSequenceNumber: ending } : {}),
      },
    };
  }

  requireActive(state: StreamState): void {
    if (state.status !== 'ACTIVE') throw this.notActive(state);
  }

  notActive(state: StreamState): Error {
    return resourceInUse(`Stream ${state.name} under account ${state.account} not ACTIVE, instead in state ${state.status}`);
  }

  private alreadyExists(name: string, account: string): Error {
    return resourceInUse(`Stream ${name} under account ${account} already exists.`);
  }

  private initialShardCount(mode: 'PROVISIONED' | 'ON_DEMAND', shardCount: number | undefined): number {
    if (mode === 'ON_DEMAND') {
      // AWS's answer to both at once (as CloudFormation users have reported it).
      if (shardCount !== undefined) throw invalidArgument('ShardCount is not expected when StreamMode=ON_DEMAND');
      return LIMITS.onDemandInitialShards;
    }
    if (shardCount === undefined) {
      throw invalidArgument('ShardCount is required for streams in PROVISIONED mode.');
    }
    return shardCount;
  }

  private openShardCount(ctx: RequestContext): number {
    let count = 0;
    for (const live of this.catalog.list(ctx.account, ctx.region)) count += live.state.shards.filter(isOpen).length;
    return count;
  }

  checkShardLimit(ctx: RequestContext, additional: number): void {
    const current = this.openShardCount(ctx);
    if (current + additional <= this.options.shardLimit) return;
    throw limitExceeded(
      `This request would exceed the shard limit for the account ${ctx.account} in ${ctx.region}. ` +
        `Current shard count for the account: ${current}. Limit: ${this.options.shardLimit}. ` +
        `Number of additional shards that would have resulted from this request: ${additional}. ` +
        'Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) ' +
        'for current limits and how to request higher limits.',
    );
  }

  private checkOnDemandLimit(ctx: RequestContext): void {
    const onDemand = this.catalog.list(ctx.account, ctx.region).filter((live) => live.state.mode === 'ON_DEMAND');
    if (onDemand.length < this.options.onDemandStreamLimit) return;
    throw limitExceeded(
      `This request would exceed the on-demand stream limit for the account ${ctx.account} in ${ctx.region}. ` +
        `Current on-demand stream count for the account: ${onDemand.length}. ` +
        `Limit: ${this.options.onDemandStreamLimit}.`,
    );
  }

  private checkRetentionBounds(hours: number): void {
    if (hours < LIMITS.minRetentionHours) {
      throw invalidArgument(
        `Minimum allowed retention period is ${LIMITS.minRetentionHours} hours. ` +
          `Requested retention period (${hours} hours) is too short.`,
      );
    }
    if (hours > LIMITS.maxRetentionHours) {
      throw invalidArgument(
        `Maximum allowed retention period is ${LIMITS.maxRetentionHours} hours. ` +
          `Requested retention period (${hours} hours) is too long.`,
      );
    }
  }

  private async changeMetrics(
    ctx: RequestContext,
    input: { StreamName?: string; StreamARN?: string; ShardLevelMetrics: Shapes.MetricsName[] },
    combine: (current: Shapes.MetricsName[], requested: Shapes.MetricsName[]) => Shapes.MetricsName[],
  ): Promise<Shapes.EnhancedMonitoringOutput> {
    const live = findStream(this.catalog, ctx, input);
    const requested: Shapes.MetricsName[] = input.ShardLevelMetrics.includes('ALL')
      ? [...ALL_SHARD_LEVEL_METRICS]
      : input.ShardLevelMetrics;
    const [before, after] = await this.catalog.update(live, (draft) => {
      this.requireActive(draft);
      const current = draft.shardLevelMetrics;
      // Kept in AWS's canonical order, whatever order they were asked for in.
      draft.shardLevelMetrics = ALL_SHARD_LEVEL_METRICS.filter((m) => combine(current, requested).includes(m));
      return [current, draft.shardLevelMetrics] as const;
    });
    return {
      StreamName: live.state.name,
      StreamARN: streamArn(live.state),
      CurrentShardLevelMetrics: [...before],
      DesiredShardLevelMetrics: [...after],
    };
  }

  private isExpired(shard: ShardState, notBeforeMs: number): boolean {
    return shard.closedMs !== undefined && shard.closedMs < notBeforeMs;
  }

  private shardFilterOf(input: Shapes.ListShardsInput): ShardFilter {
    const filter = input.ShardFilter;
    if (!filter) return { type: 'FROM_TRIM_HORIZON' };
    const needsId = filter.Type === 'AFTER_SHARD_ID';
    const needsTime = filter.Type === 'AT_TIMESTAMP' || filter.Type === 'FROM_TIMESTAMP';
    if (needsId && filter.ShardId === undefined) {
      throw invalidArgument('ShardId must be provided when the ShardFilter type is AFTER_SHARD_ID.');
    }
    if (!needsId && filter.ShardId !== undefined) {
      throw invalidArgument(`ShardId cannot be provided when the ShardFilter type is ${filter.Type}.`);
    }
    if (needsTime && filter.Timestamp === undefined) {
      throw invalidArgument(`Timestamp must be provided when the ShardFilter type is ${filter.Type}.`);
    }
    if (!needsTime && filter.Timestamp !== undefined) {
      throw invalidArgument(`Timestamp cannot be provided when the ShardFilter type is ${filter.Type}.`);
    }
    if (needsId && input.ExclusiveStartShardId !== undefined) {
      throw invalidArgument('ExclusiveStartShardId cannot be provided with the ShardFilter type AFTER_SHARD_ID.');
    }
    return {
      type: filter.Type,
      ...(filter.ShardId !== undefined ? { shardId: filter.ShardId } : {}),
      ...(filter.Timestamp !== undefined ? { timestampMs: filter.Timestamp.getTime() } : {}),
    };
  }

  /** The shards a ListShards filter selects, in shard-id order. Expired shards are never listed. */
  private filterShards(state: StreamState, filter: ShardFilter): ShardState[] {
    const horizonMs = this.trimHorizonMs(state);
    const live = state.shards.filter((shard) => !this.isExpired(shard, horizonMs));
    const openAt = (ms: number) => (shard: ShardState) => shard.createdMs <= ms && (shard.closedMs === undefined || shard.closedMs >= ms);
    switch (filter.type) {
      case 'AT_LATEST':
        return live.filter(isOpen);
      case 'AT_TRIM_HORIZON':
        return live.filter(openAt(Math.max(horizonMs, state.createdMs)));
      case 'AT_TIMESTAMP':
        return live.filter(openAt(Math.max(filter.timestampMs ?? 0, state.createdMs)));
      case 'FROM_TIMESTAMP': {
        const fromMs = Math.max(filter.timestampMs ?? 0, horizonMs);
        return live.filter((shard) => shard.closedMs === undefined || shard.closedMs >= fromMs);
      }
      default:
        return live;
    }
  }

  /** Where a ListShards NextToken resumes: its stream (if that incarnation still exists), place and filter. */
  private resumeShardListing(ctx: RequestContext, token: string): { live: LiveStream; after: string; filter: ShardFilter } {
    const page = this.pageTokens.open(token, shardListing(ctx));
    const { stream } = page;
    if (!stream) throw invalidArgument('Invalid NextToken.');
    const live = this.catalog.get(stream);
    if (!live || live.state.id !== stream.id) {
      throw resourceNotFound(`Stream ${stream.name} under account ${stream.account} not found.`);
    }
    const filter: ShardFilter = {
      type: (page.filter?.type ?? 'FROM_TRIM_HORIZON') as Shapes.ShardFilterType,
      ...(page.filter?.timestampMs !== undefined ? { timestampMs: page.filter.timestampMs } : {}),
    };
    // AFTER_SHARD_ID's shard is where the first page started; later pages start after `after`.
    if (filter.type === 'AFTER_SHARD_ID') filter.type = 'FROM_TRIM_HORIZON';
    return { live, after: page.after, filter };
  }

  private settingsKey(ctx: RequestContext): string {
    return `accounts/${ctx.account}/${ctx.region}/settings`;
  }

  /** The commitment as of nowMs: one ending at its earliest allowed end has ended once that passed. */
  private commitmentAt(settings: AccountSettings, nowMs: number): AccountSettings['minimumThroughputBillingCommitment'] {
    const commitment = settings.minimumThroughputBillingCommitment;
    if (commitment?.status === 'ENABLED_UNTIL_EARLIEST_ALLOWED_END' && commitment.endedMs !== undefined && nowMs >= commitment.endedMs) {
      return { ...commitment, status: 'DISABLED' };
    }
    return commitment;
  }

  private commitmentOutput(settings: AccountSettings): Shapes.MinimumThroughputBillingCommitmentOutput {
    const commitment = this.commitmentAt(settings, this.options.clock.now());
    if (!commitment) return { Status: 'DISABLED' };
    return {
      Status: commitment.status,
      ...(commitment.startedMs !== undefined ? { StartedAt: new Date(commitment.startedMs) } : {}),
      ...(commitment.endedMs !== undefined ? { EndedAt: new Date(commitment.endedMs) } : {}),
      ...(commitment.startedMs !== undefined && commitment.status !== 'DISABLED'
        ? { EarliestAllowedEndAt: new Date(commitment.startedMs + COMMITMENT_MIN_MS) }
        : {}),
    };
  }
}

function shardListing(ctx: RequestContext): ListingScope {
  return { listing: 'ListShards', account: ctx.account, region: ctx.region };
}

interface ShardFilter {
  type: Shapes.ShardFilterType;
  shardId?: string;
  timestampMs?: number;
}
