import type { Operation } from './operation.js';

export const describeStream: Operation<'DescribeStream'> = (engine, ctx, input) => engine.control.describeStream(ctx, input);
