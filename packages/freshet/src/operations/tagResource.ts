import type { Operation } from './operation.js';

export const tagResource: Operation<'TagResource'> = (engine, ctx, input) => engine.control.tagging.tagResource(ctx, input);
