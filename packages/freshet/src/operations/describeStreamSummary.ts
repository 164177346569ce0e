import type { Operation } from './operation.js';

export const describeStreamSummary: Operation<'DescribeStreamSummary'> = (engine, ctx, input) => engine.control.describeStreamSummary(ctx, input);
