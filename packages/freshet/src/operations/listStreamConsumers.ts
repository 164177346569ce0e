import type { Operation } from './operation.js';

export const listStreamConsumers: Operation<'ListStreamConsumers'> = (engine, ctx, input) => engine.consumers.list(ctx, input);
