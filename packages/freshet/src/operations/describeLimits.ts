import type { Operation } from './operation.js';

export const describeLimits: Operation<'DescribeLimits'> = (engine, ctx) => engine.control.describeLimits(ctx);
