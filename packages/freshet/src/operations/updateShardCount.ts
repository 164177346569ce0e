import type { Operation } from './operation.js';

export const updateShardCount: Operation<'UpdateShardCount'> = (engine, ctx, input) => engine.resharding.updateShardCount(ctx, input);
