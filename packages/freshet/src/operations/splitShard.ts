import type { Operation } from './operation.js';

export const splitShard: Operation<'SplitShard'> = (engine, ctx, input) => engine.resharding.splitShard(ctx, input);
