/**
 * The protocol seam: bytes <-> typed operation input/output, for both wire formats.
 * (Placeholder implementation: to be replaced by the model-driven codec and validator.)
 */
import { KinesisError, serializationError } from './errors.js';
import type { OperationName, OperationShapes } from './shapes.generated.js';

export type WireFormat = 'json' | 'cbor';

export const CONTENT_TYPES: Record<WireFormat, string> = {
  json: 'application/x-amz-json-1.1',
  cbor: 'application/x-amz-cbor-1.1',
};

export function decodeInput<Op extends OperationName>(
  op: Op,
  format: WireFormat,
  body: Buffer,
): OperationShapes[Op]['input'] {
  if (format !== 'json') throw serializationError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw serializationError();
  }
  return parsed as OperationShapes[Op]['input'];
}

export function encodeOutput<Op extends OperationName>(
  _op: Op,
  _format: WireFormat,
  output: OperationShapes[Op]['output'],
): Buffer {
  return Buffer.from(output === undefined ? '{}' : JSON.stringify(output));
}

export function encodeError(_format: WireFormat, err: KinesisError): Buffer {
  return Buffer.from(JSON.stringify(err.hasMessage ? { __type: err.code, message: err.message } : { __type: err.code }));
}
