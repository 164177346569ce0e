export { startFreshet, DEFAULT_OPTIONS, type FreshetOptions, type RunningFreshet } from './node.js';
export { Engine } from './services/kinesis/engine/engine.js';
export type { EngineOptions } from './services/kinesis/engine/options.js';
