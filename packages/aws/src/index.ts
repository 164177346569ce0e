/**
 * @freshet/aws: the wire of AWS APIs, with no knowledge of any one service. Models, validation,
 * the protocols' codecs, the event-stream framing, the one error type and SigV4 parsing.
 */
export * from './model.js';
export * from './errors.js';
export * from './validation.js';
export * from './shapeReader.js';
export * from './bodyPlan.js';
export * from './json.js';
export * from './cbor.js';
export * from './awsJson.js';
export * from './eventStream.js';
export * from './sigv4.js';
export * from './protocol.js';
export * from './scalars.js';
export * from './dialects.js';
export * from './restBinding.js';
export * from './restJson.js';
export * from './xml.js';
export * from './query.js';
export * from './restXml.js';
