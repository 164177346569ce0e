import type { Operation } from './operation.js';

export const describeStreamConsumer: Operation<'DescribeStreamConsumer'> = (engine, ctx, input) =>
  engine.consumers.describe(ctx, input);
