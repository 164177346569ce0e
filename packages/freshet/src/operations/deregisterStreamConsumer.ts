import type { Operation } from './operation.js';

export const deregisterStreamConsumer: Operation<'DeregisterStreamConsumer'> = (engine, ctx, input) =>
  engine.consumers.deregister(ctx, input);
