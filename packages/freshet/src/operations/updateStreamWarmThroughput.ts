import type { Operation } from './operation.js';

export const updateStreamWarmThroughput: Operation<'UpdateStreamWarmThroughput'> = (engine, ctx, input) => engine.control.updateWarmThroughput(ctx, input);
