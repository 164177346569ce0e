/** Every operation Freshet serves, by its AWS name. */
import type { OperationName } from '../protocol/shapes.generated.js';
import type { Operation } from './operation.js';
import { updateShardCount } from './updateShardCount.js';
import { mergeShards } from './mergeShards.js';
import { splitShard } from './splitShard.js';
import { addTagsToStream } from './addTagsToStream.js';
import { createStream } from './createStream.js';
import { decreaseStreamRetentionPeriod } from './decreaseStreamRetentionPeriod.js';
import { deleteResourcePolicy } from './deleteResourcePolicy.js';
import { deleteStream } from './deleteStream.js';
import { describeAccountSettings } from './describeAccountSettings.js';
import { describeLimits } from './describeLimits.js';
import { describeStream } from './describeStream.js';
import { describeStreamSummary } from './describeStreamSummary.js';
import { disableEnhancedMonitoring } from './disableEnhancedMonitoring.js';
import { enableEnhancedMonitoring } from './enableEnhancedMonitoring.js';
import { getRecords } from './getRecords.js';
import { getResourcePolicy } from './getResourcePolicy.js';
import { getShardIterator } from './getShardIterator.js';
import { increaseStreamRetentionPeriod } from './increaseStreamRetentionPeriod.js';
import { listShards } from './listShards.js';
import { listStreams } from './listStreams.js';
import { listTagsForResource } from './listTagsForResource.js';
import { listTagsForStream } from './listTagsForStream.js';
import { putRecord } from './putRecord.js';
import { putRecords } from './putRecords.js';
import { putResourcePolicy } from './putResourcePolicy.js';
import { removeTagsFromStream } from './removeTagsFromStream.js';
import { startStreamEncryption } from './startStreamEncryption.js';
import { stopStreamEncryption } from './stopStreamEncryption.js';
import { tagResource } from './tagResource.js';
import { untagResource } from './untagResource.js';
import { updateAccountSettings } from './updateAccountSettings.js';
import { updateMaxRecordSize } from './updateMaxRecordSize.js';
import { updateStreamMode } from './updateStreamMode.js';
import { updateStreamWarmThroughput } from './updateStreamWarmThroughput.js';
import { deregisterStreamConsumer } from './deregisterStreamConsumer.js';
import { describeStreamConsumer } from './describeStreamConsumer.js';
import { listStreamConsumers } from './listStreamConsumers.js';
import { registerStreamConsumer } from './registerStreamConsumer.js';
import { subscribeToShard, type StreamingOperation } from './subscribeToShard.js';

export type { Operation } from './operation.js';

export const OPERATIONS: { [Op in OperationName]?: Operation<Op> } = {
  AddTagsToStream: addTagsToStream,
  CreateStream: createStream,
  DecreaseStreamRetentionPeriod: decreaseStreamRetentionPeriod,
  DeleteResourcePolicy: deleteResourcePolicy,
  DeleteStream: deleteStream,
  DescribeAccountSettings: describeAccountSettings,
  DescribeLimits: describeLimits,
  DescribeStream: describeStream,
  DescribeStreamSummary: describeStreamSummary,
  DisableEnhancedMonitoring: disableEnhancedMonitoring,
  EnableEnhancedMonitoring: enableEnhancedMonitoring,
  GetRecords: getRecords,
  GetResourcePolicy: getResourcePolicy,
  GetShardIterator: getShardIterator,
  IncreaseStreamRetentionPeriod: increaseStreamRetentionPeriod,
  ListShards: listShards,
  ListStreams: listStreams,
  ListTagsForResource: listTagsForResource,
  ListTagsForStream: listTagsForStream,
  PutRecord: putRecord,
  PutRecords: putRecords,
  PutResourcePolicy: putResourcePolicy,
  RemoveTagsFromStream: removeTagsFromStream,
  StartStreamEncryption: startStreamEncryption,
  StopStreamEncryption: stopStreamEncryption,
  TagResource: tagResource,
  UntagResource: untagResource,
  UpdateAccountSettings: updateAccountSettings,
  UpdateMaxRecordSize: updateMaxRecordSize,
  UpdateStreamMode: updateStreamMode,
  UpdateStreamWarmThroughput: updateStreamWarmThroughput,
  SplitShard: splitShard,
  MergeShards: mergeShards,
  UpdateShardCount: updateShardCount,
  RegisterStreamConsumer: registerStreamConsumer,
  DescribeStreamConsumer: describeStreamConsumer,
  ListStreamConsumers: listStreamConsumers,
  DeregisterStreamConsumer: deregisterStreamConsumer,
};

/** Operations answered with an event stream (`application/vnd.amazon.eventstream`). */
export const STREAMING_OPERATIONS: { [Op in OperationName]?: StreamingOperation } = {
  SubscribeToShard: subscribeToShard,
};
