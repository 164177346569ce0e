import type { Operation } from './operation.js';

export const listTagsForResource: Operation<'ListTagsForResource'> = (engine, ctx, input) => engine.control.tagging.listTagsForResource(ctx, input);
