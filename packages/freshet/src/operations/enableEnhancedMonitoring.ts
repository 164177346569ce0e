import type { Operation } from './operation.js';

export const enableEnhancedMonitoring: Operation<'EnableEnhancedMonitoring'> = (engine, ctx, input) => engine.control.enableEnhancedMonitoring(ctx, input);
