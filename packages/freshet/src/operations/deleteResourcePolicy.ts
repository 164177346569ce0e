import type { Operation } from './operation.js';

export const deleteResourcePolicy: Operation<'DeleteResourcePolicy'> = (engine, ctx, input) => engine.control.tagging.deleteResourcePolicy(ctx, input);
