/**
 * The gateway's side of the REST and query protocols (restJson1: Video Streams, Lambda; restXml:
 * S3; awsQuery: CloudWatch), over the ProtocolCodec of @freshet/aws that the model's protocol names.
 * The codec finds the operation from method, path and query (or `Action=`), decodes the input
 * from path labels, query, headers and body, and shapes answers and errors as that API does.
 */
import { AwsError, type HttpAnswer, type HttpRequestParts, type ProtocolCodec } from '@freshet/aws';
import type { Call, ProtocolBinding } from './service.js';
import type { AnyRequest, AnyResponse } from './listener.js';

export function codecBinding(codec: ProtocolCodec): ProtocolBinding {
  const parts = (call: Call): HttpRequestParts => requestParts(call);
  return {
    recognizes: (req, target) => codec.operationOf(target.service.model, partsOf(req, EMPTY)) !== undefined,
    route(call) {
      const operation = codec.operationOf(call.target.service.model, parts(call));
      if (!operation || !call.target.handlers.has(operation)) throw new AwsError('UnknownOperationException', undefined, 404);
      call.operation = operation;
    },
    decode: (call) => codec.decodeInput(call.target.service.model, call.operation, parts(call)),
    answer: (call, output) =>
      write(call.res, codec.encodeOutput(call.target.service.model, call.operation, output, call.ctx.requestId ?? '')),
    answerError(call, err) {
      const answer = codec.encodeError(call.target.service.model, err, call.ctx.requestId ?? '');
      if (!Buffer.isBuffer(answer.body)) throw new Error('an error answer must be bytes, not a stream');
      void write(call.res, answer); // bytes: written at once, nothing to wait for
    },
  };
}

/** The request's parts a codec reads; parsed once per call. */
const PARTS = new WeakMap<Call, HttpRequestParts>();

function requestParts(call: Call): HttpRequestParts {
  let parts = PARTS.get(call);
  if (!parts) {
    parts = partsOf(call.req, call.body);
    PARTS.set(call, parts);
  }
  return parts;
}

function partsOf(req: AnyRequest, body: Buffer): HttpRequestParts {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    headers: req.headers,
    body,
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * Writes an answer whose body is bytes, or a stream of chunks (a media payload) minding
 * backpressure. A stream that fails midway rejects: the gateway then reports it and resets the
 * response, whose headers are already gone.
 */
async function write(res: AnyResponse, answer: HttpAnswer): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (Buffer.isBuffer(answer.body)) {
    res.setHeader('Content-Length', answer.body.length);
    res.end(answer.body);
    return;
  }
  const sink = res as unknown as { write(chunk: Uint8Array): boolean };
  for await (const chunk of answer.body) {
    if (res.destroyed) return;
    if (!sink.write(chunk)) await drainedOrClosed(res);
  }
  res.end();
}

/** Resolves when the response can take more, or is gone; leaves no listener behind. */
function drainedOrClosed(res: AnyResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
