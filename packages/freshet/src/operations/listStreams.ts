import type { Operation } from './operation.js';

export const listStreams: Operation<'ListStreams'> = (engine, ctx, input) => engine.control.listStreams(ctx, input);
