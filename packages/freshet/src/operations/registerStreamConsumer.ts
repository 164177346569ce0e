import type { Operation } from './operation.js';

export const registerStreamConsumer: Operation<'RegisterStreamConsumer'> = (engine, ctx, input) =>
  engine.consumers.register(ctx, input);
