import type { Operation } from './operation.js';

export const putRecords: Operation<'PutRecords'> = (engine, ctx, input) => engine.data.putRecords(ctx, input);
