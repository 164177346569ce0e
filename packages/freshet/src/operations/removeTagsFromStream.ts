import type { Operation } from './operation.js';

export const removeTagsFromStream: Operation<'RemoveTagsFromStream'> = (engine, ctx, input) => engine.control.tagging.removeTagsFromStream(ctx, input);
