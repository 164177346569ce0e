import type { Operation } from './operation.js';

export const listShards: Operation<'ListShards'> = (engine, ctx, input) => engine.control.listShards(ctx, input);
