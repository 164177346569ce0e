/**
 * Kinesis Data Streams as a service of the gateway: its model, its handlers, and its hooks into
 * the gateway's steps: the resource a call acts on and its policy (authorization), PutRecords bodies decoded off the event loop, AWS's call rates
 * (`--limits aws`) checked before the handler, GetRecords/PutRecords answers written by the fast
 * writers, SubscribeToShard's events framed.
 */
import type { WireFormat } from '@freshet/aws';
import type { Service } from '../../gateway/service.js';
import type { RequestContext } from '../../core/context.js';
import { encodeOutput } from './codec/codec.js';
import { subscribeToShardEventMessage } from './codec/events.js';
import type { OffThreadDecoder } from './codec/offThreadDecoder.js';
import type { Engine } from './engine/engine.js';
import { kinesisHandlers } from './handlers.js';
import { KINESIS_MODEL } from './model.js';
import type { OperationName, SubscribeToShardEvent } from './shapes.generated.js';

export function kinesisService(engine: Engine, decoder: OffThreadDecoder): Service {
  return {
    name: 'kinesis',
    model: KINESIS_MODEL,
    handlers: kinesisHandlers(engine),
    hooks: {
      decode: (operation, format: WireFormat, body) => decoder.decode(operation as OperationName, format, body),
      admit: (ctx: RequestContext, operation, input) =>
        engine.limits.admitCall(operation as OperationName, ctx, (input as { StreamName?: string }).StreamName),
      resourceOf: (ctx: RequestContext, operation, input) => engine.authorization.resourceOf(ctx, operation, input),
      resourcePolicyOf: (arn) => engine.authorization.resourcePolicyOf(arn),
      encode: (operation, format, output, pool) => encodeOutput(operation as OperationName, format, output as never, pool),
      encodeEvent: (_operation, format, event) => subscribeToShardEventMessage(format, event as SubscribeToShardEvent),
    },
    // Subscriptions end cleanly, so their connections can close.
    stop: () => engine.fanout.stop(),
  };
}
