import type { Operation } from './operation.js';

export const decreaseStreamRetentionPeriod: Operation<'DecreaseStreamRetentionPeriod'> = (engine, ctx, input) => engine.control.decreaseRetention(ctx, input);
