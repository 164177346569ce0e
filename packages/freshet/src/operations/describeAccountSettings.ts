import type { Operation } from './operation.js';

export const describeAccountSettings: Operation<'DescribeAccountSettings'> = (engine, ctx) => engine.control.describeAccountSettings(ctx);
