import type { Operation } from './operation.js';

export const untagResource: Operation<'UntagResource'> = (engine, ctx, input) => engine.control.tagging.untagResource(ctx, input);
