/**
 * The gateway's side of the awsJson protocols (1.0 and 1.1, with their CBOR twin): a request is
 * `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and a Content-Type of the model's JSON
 * version (or CBOR). What AWS answers to anything else, before it knows the operation, it answers
 * in this order (kinesalite's test/connection.js, recorded against AWS; docs/protocol.md):
 *
 *   a method other than POST -> an empty body -> a Content-Type it does not take -> a body that
 *   does not parse (and `application/json`, which goes no further) -> an unknown target
 *
 * then the gateway checks the signature, and the codec the rest of the body. A service's `decode`
 * and `encode` hooks may take over (Kinesis' hot paths); the model's codec does the rest.
 */
import {
  AwsError,
  checkBodyParses,
  contentTypeOf,
  decodeInput,
  encodeCoralEnvelope,
  encodeError,
  encodeOutput,
  encodeXmlRefusal,
  serializationError,
  wireFormatOf,
} from '@freshet/aws';
import type { BufferPool } from '../util/bufferPool.js';
import { send } from './answer.js';
import type { Call, ProtocolBinding, RegisteredService } from './service.js';

/**
 * A refusal AWS writes in another form than the caller's wire format: a bare XML document, or the
 * awsJson 1.0 envelope it answers `application/json` requests with.
 */
class EdgeRefusal extends AwsError {
  constructor(
    readonly form: 'xml' | 'envelope',
    code: string,
    message: string | undefined,
    status: number,
  ) {
    super(code, message, status);
  }
}

const cannotAuthorize = () =>
  new EdgeRefusal('xml', 'AccessDeniedException', 'Unable to determine service/operation name to be authorized', 403);
const unknownOperation = () => new AwsError('UnknownOperationException', undefined);
/** The pre-awsJson media type AWS still takes, only to refuse in the awsJson 1.0 envelope. */
const CORAL_JSON = 'application/json';

export const awsJsonBinding: ProtocolBinding = {
  route(call: Call): void {
    const { metadata } = call.target.service.model;
    const contentType = call.req.headers['content-type'];
    const format = wireFormatOf(contentType, metadata.jsonVersion);
    const target = targetOf(call.req.headers['x-amz-target']);
    const operation = operationNamed(target, metadata.targetPrefix, call.target);
    if (call.req.method !== 'POST') throw cannotAuthorize();
    if (call.body.length === 0) {
      // Answered in JSON only to a request in the model's JSON, in CBOR to anything else.
      call.format = format === 'json' ? 'json' : 'cbor';
      throw operation ? serializationError() : unknownOperation();
    }
    const coral = mediaTypeOf(contentType) === CORAL_JSON;
    if (!format && !coral) {
      if (!target.service || !target.operation) throw cannotAuthorize();
      throw new EdgeRefusal('xml', 'UnknownOperationException', undefined, 404);
    }
    if (coral) {
      try {
        checkBodyParses('json', call.body);
      } catch {
        throw new EdgeRefusal('envelope', 'SerializationException', undefined, 400);
      }
      throw new EdgeRefusal('envelope', 'UnknownOperationException', undefined, 404);
    }
    call.format = format!;
    if (!operation) {
      checkBodyParses(call.format, call.body);
      throw unknownOperation();
    }
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
    if (err instanceof EdgeRefusal) {
      if (err.form === 'xml') return send(call.res, err.status, undefined, encodeXmlRefusal(err));
      return send(call.res, err.status, CORAL_JSON, encodeCoralEnvelope(err));
    }
    const contentType = contentTypeOf(call.format, call.target.service.model.metadata.jsonVersion);
    send(call.res, err.status, contentType, encodeError(call.format, err));
  },
};

/** `X-Amz-Target` in its two parts, `<service>.<operation>`, either possibly empty. */
function targetOf(header: string | string[] | undefined): { service: string; operation: string } {
  if (typeof header !== 'string') return { service: '', operation: '' };
  const dot = header.indexOf('.');
  return dot < 0 ? { service: header, operation: '' } : { service: header.slice(0, dot), operation: header.slice(dot + 1) };
}

function operationNamed(target: { service: string; operation: string }, prefix: string | undefined, registered: RegisteredService) {
  if (!prefix || target.service !== prefix) return undefined;
  return registered.handlers.has(target.operation) ? target.operation : undefined;
}

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}
