import type { Operation } from './operation.js';

export const updateStreamMode: Operation<'UpdateStreamMode'> = (engine, ctx, input) => engine.control.updateStreamMode(ctx, input);
