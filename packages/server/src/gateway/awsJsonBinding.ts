/**
 * The gateway's side of the awsJson protocols (1.0 and 1.1, with their CBOR twin): a request is
 * `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and a Content-Type of the model's JSON
 * version (or CBOR); anything else gets the answers AWS gives. A service's `decode` and `encode`
 * hooks may take over (Kinesis' hot paths); the model's codec does the rest.
 */
import { AwsError, contentTypeOf, decodeInput, encodeError, encodeOutput, wireFormatOf } from '@freshet/aws';
import type { BufferPool } from '../util/bufferPool.js';
import { send } from './answer.js';
import type { Call, ProtocolBinding, RegisteredService } from './service.js';

export const awsJsonBinding: ProtocolBinding = {
  /** The wire format first, so that even a refusal is answered in the caller's format. */
  route(call: Call): void {
    const { metadata } = call.target.service.model;
    const format = wireFormatOf(call.req.headers['content-type'], metadata.jsonVersion);
    if (format) call.format = format;
    const operation = operationNamed(call.req.headers['x-amz-target'], metadata.targetPrefix, call.target);
    if (call.req.method !== 'POST' || !format) {
      if (!operation) throw new AwsError('AccessDeniedException', 'Unable to determine service/operation name to be authorized', 403);
      throw new AwsError('UnknownOperationException', undefined, 404);
    }
    if (!operation) throw new AwsError('UnknownOperationException', undefined);
    call.operation = operation;
  },

  decode(call: Call): object | Promise<object> {
    const { hooks, model } = call.target.service;
    if (hooks?.decode) return hooks.decode(call.operation, call.format, call.body);
    return decodeInput(model, call.operation, call.format, call.body);
  },

  answer(call: Call, output: unknown, pool: BufferPool): void {
    const { hooks, model } = call.target.service;
    const body = hooks?.encode
      ? hooks.encode(call.operation, call.format, output, pool)
      : encodeOutput(model, call.operation, call.format, output);
    send(call.res, 200, contentTypeOf(call.format, model.metadata.jsonVersion), body, pool);
  },

  answerError(call: Call, err: AwsError): void {
    call.res.setHeader('x-amzn-ErrorType', err.code);
    const contentType = contentTypeOf(call.format, call.target.service.model.metadata.jsonVersion);
    send(call.res, err.status, contentType, encodeError(call.format, err));
  },
};

function operationNamed(header: string | string[] | undefined, prefix: string | undefined, target: RegisteredService): string | undefined {
  if (typeof header !== 'string' || !prefix) return undefined;
  const dot = header.indexOf('.');
  if (dot < 0 || header.slice(0, dot) !== prefix) return undefined;
  const name = header.slice(dot + 1);
  return target.handlers.has(name) ? name : undefined;
}
