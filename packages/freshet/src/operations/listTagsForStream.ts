import type { Operation } from './operation.js';

export const listTagsForStream: Operation<'ListTagsForStream'> = (engine, ctx, input) => engine.control.tagging.listTagsForStream(ctx, input);
