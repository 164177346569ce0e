import type { Operation } from './operation.js';

export const getRecords: Operation<'GetRecords'> = (engine, ctx, input) => engine.data.getRecords(ctx, input);
