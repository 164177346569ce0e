import type { Operation } from './operation.js';

export const putResourcePolicy: Operation<'PutResourcePolicy'> = (engine, ctx, input) => engine.control.tagging.putResourcePolicy(ctx, input);
