/**
 * The awsJson 1.0/1.1 protocols and their CBOR twin (`application/x-amz-cbor-1.1`, which the Java
 * SDK v1/v2 speak to Kinesis): one POST to `/`, the operation in `X-Amz-Target: <prefix>.<Op>`, the
 * input as the body. Bytes <-> typed operation input/output for any model of that protocol.
 *
 * decodeInput parses the body, checks wire types (SerializationException) and validates the input
 * against the model (ValidationException), so a handler receives a well-formed input and keeps
 * only the semantic checks the model cannot express. Everything is compiled from the model once.
 */
import { bodyPlanOf, NOTHING_PLAN } from './bodyPlan.js';
import { cborReaderOf, cborWriterOf, CborSink, encodeCborTextMap, parseCborBody } from './cbor.js';
import { serializationError, type AwsError } from './errors.js';
import { jsonReaderOf, jsonWriterOf, parseJsonBody } from './json.js';
import { inputShapeName, outputShapeName, type ServiceModel } from './model.js';
import { compileAllValidators, validateInput } from './validation.js';

export type WireFormat = 'json' | 'cbor';

/** The media type of each wire format, by the model's jsonVersion (CBOR has one). */
export function contentTypeOf(format: WireFormat, jsonVersion = '1.1'): string {
  return format === 'cbor' ? 'application/x-amz-cbor-1.1' : `application/x-amz-json-${jsonVersion}`;
}

/** The wire format a request's Content-Type names, or undefined for one the protocol does not take. */
export function wireFormatOf(contentType: string | undefined, jsonVersion = '1.1'): WireFormat | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === `application/x-amz-json-${jsonVersion}`) return 'json';
  if (mediaType === 'application/x-amz-cbor-1.1') return 'cbor';
  return undefined;
}

const EMPTY = Buffer.alloc(0);

/** Parses and validates the input of `op`; an operation without an input shape gets `{}`. */
export function decodeInput(model: ServiceModel, op: string, format: WireFormat, body: Buffer): object {
  // AWS answers an empty body with a SerializationException that has no message.
  if (body.length === 0) throw serializationError();
  const shapeName = inputShapeName(model, op);
  // Only what the input shape reads is built; the rest of the body is checked and stepped over.
  const plan = shapeName ? bodyPlanOf(model, shapeName) : NOTHING_PLAN;
  const parsed = format === 'cbor' ? parseCborBody(body, plan) : parseJsonBody(body, plan);
  if (!shapeName) return {};
  const read = format === 'cbor' ? cborReaderOf(model, shapeName) : jsonReaderOf(model, shapeName);
  const input = read(parsed) as object;
  validateInput(model, op, input);
  return input;
}

/**
 * Checks that a body parses to an object in its wire format, building nothing: AWS's bare
 * SerializationException if it does not. For requests that go no further than this check.
 */
export function checkBodyParses(format: WireFormat, body: Buffer): void {
  if (body.length === 0) throw serializationError();
  if (format === 'cbor') parseCborBody(body, NOTHING_PLAN);
  else parseJsonBody(body, NOTHING_PLAN);
}

/**
 * Operations without an output shape answer with an empty body, as AWS does (kinesalite
 * test/createStream.js: `res.body.should.equal('')`).
 */
export function encodeOutput(model: ServiceModel, op: string, format: WireFormat, output: unknown): Buffer {
  const shapeName = outputShapeName(model, op);
  if (!shapeName || output === undefined || output === null) return EMPTY;
  if (format === 'cbor') {
    const sink = new CborSink();
    cborWriterOf(model, shapeName)(output, sink);
    return sink.finish();
  }
  return Buffer.from(jsonWriterOf(model, shapeName)(output), 'utf8');
}

/**
 * AWS's Java JSON parser reports type mismatches as `{"__type":"SerializationException","Message":...}`
 * with a capital M (kinesalite test/helpers.js assertSerialization, recorded against AWS); every
 * other error, ValidationException included, uses `message`. The SDKs read either spelling.
 */
const CAPITALIZED_MESSAGE: ReadonlySet<string> = new Set(['SerializationException']);

export function encodeError(format: WireFormat, err: AwsError): Buffer {
  const entries: Array<[string, string]> = [['__type', err.code]];
  if (err.hasMessage) entries.push([CAPITALIZED_MESSAGE.has(err.code) ? 'Message' : 'message', err.message]);
  if (format === 'cbor') return encodeCborTextMap(entries);
  return Buffer.from(JSON.stringify(Object.fromEntries(entries)), 'utf8');
}

/**
 * How AWS writes the refusals it makes before it has chosen a wire format (kinesalite's
 * test/connection.js, recorded against AWS): a method other than POST, or a Content-Type it does
 * not take, gets a bare XML document with no Content-Type (`<Code>`, an indented `<Message>`
 * line, the closing tag; `<Code/>` without a message), and a request in `application/json` the
 * awsJson 1.0 envelope of the Coral framework underneath.
 */
export function encodeXmlRefusal(err: AwsError): Buffer {
  const text = err.hasMessage ? `<${err.code}>\n  <Message>${err.message}</Message>\n</${err.code}>\n` : `<${err.code}/>\n`;
  return Buffer.from(text, 'utf8');
}

export function encodeCoralEnvelope(err: AwsError): Buffer {
  return Buffer.from(JSON.stringify({ Output: { __type: `com.amazon.coral.service#${err.code}` }, Version: '1.0' }), 'utf8');
}

/** Compiles every operation's readers, writers and validators, so the first request pays nothing. */
export function compileAwsJson(model: ServiceModel): void {
  for (const op of Object.keys(model.operations)) {
    const input = inputShapeName(model, op);
    if (input) {
      jsonReaderOf(model, input);
      cborReaderOf(model, input);
    }
    const output = outputShapeName(model, op);
    if (output) {
      jsonWriterOf(model, output);
      cborWriterOf(model, output);
    }
  }
  compileAllValidators(model);
}
