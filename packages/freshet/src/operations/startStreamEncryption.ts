import type { Operation } from './operation.js';

export const startStreamEncryption: Operation<'StartStreamEncryption'> = (engine, ctx, input) => engine.control.startEncryption(ctx, input);
