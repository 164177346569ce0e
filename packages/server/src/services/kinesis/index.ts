/**
 * The Kinesis Data Streams service: what the composition root wires, and what other services
 * (Firehose, Analytics) will read streams through.
 */
export { kinesisService } from './service.js';
export { Engine } from './engine/engine.js';
export { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './engine/options.js';
export { OffThreadDecoder } from './codec/offThreadDecoder.js';
export { storedStreams, type StoredStream } from './engine/storedStreams.js';
