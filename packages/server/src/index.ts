export { startFreshet, DEFAULT_OPTIONS, type FreshetOptions, type RunningFreshet } from './node.js';
export { Engine, type EngineOptions } from './services/kinesis/index.js';
