import type { Operation } from './operation.js';

export const deleteStream: Operation<'DeleteStream'> = (engine, ctx, input) => engine.control.deleteStream(ctx, input);
