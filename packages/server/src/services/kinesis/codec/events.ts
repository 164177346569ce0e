/** SubscribeToShard's events on the event-stream wire, written with the Kinesis model's writers. */
import { structureEventMessage, type WireFormat } from '@freshet/aws';
import { KINESIS_MODEL } from '../model.js';
import type { SubscribeToShardEvent } from '../shapes.generated.js';

export function subscribeToShardEventMessage(format: WireFormat, event: SubscribeToShardEvent): Buffer {
  return structureEventMessage(KINESIS_MODEL, format, 'SubscribeToShardEvent', 'SubscribeToShardEvent', event);
}
