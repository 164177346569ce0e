/**
 * The protocol seam: bytes <-> typed operation input/output, for both wire formats.
 *
 * decodeInput parses the body, checks wire types (SerializationException) and validates the input
 * against the model (ValidationException), so an operation receives a well-formed input and keeps
 * only the semantic checks the model cannot express. Everything is compiled from the model once,
 * at start-up. See docs/protocol.md.
 */
import { parseCborBody, cborReaderOf, cborWriterOf, CborSink, encodeCborTextMap } from './cbor.js';
import { KinesisError, serializationError } from './errors.js';
import { jsonReaderOf, jsonWriterOf, parseJsonBody } from './json.js';
import { inputShapeName, model, outputShapeName } from './model.js';
import { readPutRecordsJson } from './putRecordsJson.js';
import { writeGetRecordsJson } from './getRecordsJson.js';
import { writePutRecordsJson } from './putRecordsOutputJson.js';
import { compileAllValidators, validateInput } from './validation.js';
import type { OperationName, OperationShapes } from './shapes.generated.js';
import type { BufferPool } from '../util/bufferPool.js';

export type WireFormat = 'json' | 'cbor';

export const CONTENT_TYPES: Record<WireFormat, string> = {
  json: 'application/x-amz-json-1.1',
  cbor: 'application/x-amz-cbor-1.1',
};

const EMPTY = Buffer.alloc(0);

export function decodeInput<Op extends OperationName>(
  op: Op,
  format: WireFormat,
  body: Buffer,
): OperationShapes[Op]['input'] {
  // AWS answers an empty body with a SerializationException that has no message.
  if (body.length === 0) throw serializationError();
  if (op === 'PutRecords' && format === 'json') {
    const input = readPutRecordsJson(body);
    if (input) {
      validateInput(op, input);
      return input as OperationShapes[Op]['input'];
    }
  }
  const parsed = format === 'cbor' ? parseCborBody(body) : parseJsonBody(body);
  const shapeName = inputShapeName(op);
  if (!shapeName) return {} as OperationShapes[Op]['input'];
  const read = format === 'cbor' ? cborReaderOf(shapeName) : jsonReaderOf(shapeName);
  const input = read(parsed) as OperationShapes[Op]['input'];
  validateInput(op, input);
  return input;
}

/**
 * Operations without an output shape (CreateStream, PutRecords' siblings that return nothing)
 * answer with an empty body, as AWS does (kinesalite test/createStream.js: `res.body.should.equal('')`).
 * Big answers take their memory from `pool` when one is given: the caller gives the Buffer back
 * to it once written.
 */
export function encodeOutput<Op extends OperationName>(
  op: Op,
  format: WireFormat,
  output: OperationShapes[Op]['output'],
  pool?: BufferPool,
): Buffer {
  const shapeName = outputShapeName(op);
  if (!shapeName || output === undefined || output === null) return EMPTY;
  if (format === 'cbor') {
    const sink = new CborSink();
    cborWriterOf(shapeName)(output, sink);
    return sink.finish();
  }
  if (op === 'GetRecords') return writeGetRecordsJson(output as OperationShapes['GetRecords']['output'], pool && ((size) => pool.take(size)));
  if (op === 'PutRecords') return Buffer.from(writePutRecordsJson(output as OperationShapes['PutRecords']['output']), 'utf8');
  return Buffer.from(jsonWriterOf(shapeName)(output), 'utf8');
}

/**
 * AWS's Java JSON parser reports type mismatches as `{"__type":"SerializationException","Message":...}`
 * with a capital M (kinesalite test/helpers.js assertSerialization, recorded against AWS); every
 * other error, ValidationException included, uses `message`. The SDKs read either spelling.
 */
const CAPITALIZED_MESSAGE: ReadonlySet<string> = new Set(['SerializationException']);

export function encodeError(format: WireFormat, err: KinesisError): Buffer {
  const entries: Array<[string, string]> = [['__type', err.code]];
  if (err.hasMessage) entries.push([CAPITALIZED_MESSAGE.has(err.code) ? 'Message' : 'message', err.message]);
  if (format === 'cbor') return encodeCborTextMap(entries);
  return Buffer.from(JSON.stringify(Object.fromEntries(entries)), 'utf8');
}

/** Compiles every operation's readers, writers and validators: done once, when this module loads. */
function compileAll(): void {
  for (const op of Object.keys(model.operations) as OperationName[]) {
    const input = inputShapeName(op);
    if (input) {
      jsonReaderOf(input);
      cborReaderOf(input);
    }
    const output = outputShapeName(op);
    if (output) {
      jsonWriterOf(output);
      cborWriterOf(output);
    }
  }
  compileAllValidators();
}

compileAll();
