import type { Operation } from './operation.js';

export const stopStreamEncryption: Operation<'StopStreamEncryption'> = (engine, ctx, input) => engine.control.stopEncryption(ctx, input);
