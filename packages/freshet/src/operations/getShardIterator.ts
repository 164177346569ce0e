import type { Operation } from './operation.js';

export const getShardIterator: Operation<'GetShardIterator'> = (engine, ctx, input) => engine.data.getShardIterator(ctx, input);
