import type { Operation } from './operation.js';

export const disableEnhancedMonitoring: Operation<'DisableEnhancedMonitoring'> = (engine, ctx, input) => engine.control.disableEnhancedMonitoring(ctx, input);
