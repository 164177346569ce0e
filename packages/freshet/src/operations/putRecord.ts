import type { Operation } from './operation.js';

export const putRecord: Operation<'PutRecord'> = (engine, ctx, input) => engine.data.putRecord(ctx, input);
