/**
 * SubscribeToShard is the one operation whose output is a stream of events rather than a body:
 * it resolves to a Subscription, which the transport runs with an event-stream writer
 * (`transport/eventStreamResponse.ts`). Errors it throws are answered as ordinary HTTP errors.
 */
import type { Engine } from '../engine/engine.js';
import type { RequestContext } from '../engine/context.js';
import type { Subscription } from '../engine/fanout.js';
import type { SubscribeToShardInput } from '../protocol/shapes.generated.js';

export type StreamingOperation = (engine: Engine, ctx: RequestContext, input: SubscribeToShardInput) => Promise<Subscription>;

export const subscribeToShard: StreamingOperation = (engine, ctx, input) => engine.fanout.subscribe(ctx, input);
