import type { Operation } from './operation.js';

export const increaseStreamRetentionPeriod: Operation<'IncreaseStreamRetentionPeriod'> = (engine, ctx, input) => engine.control.increaseRetention(ctx, input);
