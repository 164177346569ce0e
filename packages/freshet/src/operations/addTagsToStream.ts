import type { Operation } from './operation.js';

export const addTagsToStream: Operation<'AddTagsToStream'> = (engine, ctx, input) => engine.control.tagging.addTagsToStream(ctx, input);
