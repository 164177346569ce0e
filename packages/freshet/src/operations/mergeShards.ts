import type { Operation } from './operation.js';

export const mergeShards: Operation<'MergeShards'> = (engine, ctx, input) => engine.resharding.mergeShards(ctx, input);
