import type { Operation } from './operation.js';

export const updateMaxRecordSize: Operation<'UpdateMaxRecordSize'> = (engine, ctx, input) => engine.control.updateMaxRecordSize(ctx, input);
