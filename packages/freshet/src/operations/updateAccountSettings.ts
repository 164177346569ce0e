import type { Operation } from './operation.js';

export const updateAccountSettings: Operation<'UpdateAccountSettings'> = (engine, ctx, input) => engine.control.updateAccountSettings(ctx, input);
