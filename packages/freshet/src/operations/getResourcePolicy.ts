import type { Operation } from './operation.js';

export const getResourcePolicy: Operation<'GetResourcePolicy'> = (engine, ctx, input) => engine.control.tagging.getResourcePolicy(ctx, input);
