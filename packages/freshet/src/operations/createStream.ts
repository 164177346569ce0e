import type { Operation } from './operation.js';

export const createStream: Operation<'CreateStream'> = (engine, ctx, input) => engine.control.createStream(ctx, input);
