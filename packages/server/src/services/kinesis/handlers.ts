/**
 * The Data Streams API, operation by operation: the thin step between the gateway and the engine.
 * Each handler receives the validated, typed input of one operation and returns its output; the
 * work happens in the engine. KinesisHandlers is generated from the model with every operation
 * required, so an operation missing here fails to compile.
 */
import type { RequestContext } from '../../core/context.js';
import type { Engine } from './engine/engine.js';
import type { KinesisHandlers } from './shapes.generated.js';

export function kinesisHandlers(engine: Engine): KinesisHandlers<RequestContext> {
  const { control, data, consumers, resharding, fanout } = engine;
  const { tagging } = control;
  return {
    // Streams
    CreateStream: (ctx, input) => control.createStream(ctx, input),
    DeleteStream: (ctx, input) => control.deleteStream(ctx, input),
    DescribeStream: (ctx, input) => control.describeStream(ctx, input),
    DescribeStreamSummary: (ctx, input) => control.describeStreamSummary(ctx, input),
    ListStreams: (ctx, input) => control.listStreams(ctx, input),
    ListShards: (ctx, input) => control.listShards(ctx, input),
    IncreaseStreamRetentionPeriod: (ctx, input) => control.increaseRetention(ctx, input),
    DecreaseStreamRetentionPeriod: (ctx, input) => control.decreaseRetention(ctx, input),
    EnableEnhancedMonitoring: (ctx, input) => control.enableEnhancedMonitoring(ctx, input),
    DisableEnhancedMonitoring: (ctx, input) => control.disableEnhancedMonitoring(ctx, input),
    StartStreamEncryption: (ctx, input) => control.startEncryption(ctx, input),
    StopStreamEncryption: (ctx, input) => control.stopEncryption(ctx, input),
    UpdateStreamMode: (ctx, input) => control.updateStreamMode(ctx, input),
    UpdateMaxRecordSize: (ctx, input) => control.updateMaxRecordSize(ctx, input),
    UpdateStreamWarmThroughput: (ctx, input) => control.updateWarmThroughput(ctx, input),
    // Account
    DescribeLimits: (ctx) => control.describeLimits(ctx),
    DescribeAccountSettings: (ctx) => control.describeAccountSettings(ctx),
    UpdateAccountSettings: (ctx, input) => control.updateAccountSettings(ctx, input),
    // Tags and resource policies
    AddTagsToStream: (ctx, input) => tagging.addTagsToStream(ctx, input),
    RemoveTagsFromStream: (ctx, input) => tagging.removeTagsFromStream(ctx, input),
    ListTagsForStream: (ctx, input) => tagging.listTagsForStream(ctx, input),
    TagResource: (ctx, input) => tagging.tagResource(ctx, input),
    UntagResource: (ctx, input) => tagging.untagResource(ctx, input),
    ListTagsForResource: (ctx, input) => tagging.listTagsForResource(ctx, input),
    PutResourcePolicy: (ctx, input) => tagging.putResourcePolicy(ctx, input),
    GetResourcePolicy: (ctx, input) => tagging.getResourcePolicy(ctx, input),
    DeleteResourcePolicy: (ctx, input) => tagging.deleteResourcePolicy(ctx, input),
    // Records
    PutRecord: (ctx, input) => data.putRecord(ctx, input),
    PutRecords: (ctx, input) => data.putRecords(ctx, input),
    GetShardIterator: (ctx, input) => data.getShardIterator(ctx, input),
    GetRecords: (ctx, input) => data.getRecords(ctx, input),
    // Resharding
    SplitShard: (ctx, input) => resharding.splitShard(ctx, input),
    MergeShards: (ctx, input) => resharding.mergeShards(ctx, input),
    UpdateShardCount: (ctx, input) => resharding.updateShardCount(ctx, input),
    // Enhanced fan-out
    RegisterStreamConsumer: (ctx, input) => consumers.register(ctx, input),
    DescribeStreamConsumer: (ctx, input) => consumers.describe(ctx, input),
    ListStreamConsumers: (ctx, input) => consumers.list(ctx, input),
    DeregisterStreamConsumer: (ctx, input) => consumers.deregister(ctx, input),
    SubscribeToShard: (ctx, input) => fanout.subscribe(ctx, input),
  };
}
