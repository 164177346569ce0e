export { startFreshet, DEFAULT_OPTIONS, type FreshetOptions, type RunningFreshet } from './server.js';
export { Engine } from './engine/engine.js';
export type { EngineOptions } from './engine/options.js';
