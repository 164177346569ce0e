/**
 * The HTTP front of the Data Streams API: reads a request, finds its operation from
 * `X-Amz-Target`, its wire format from `Content-Type` and its region from the SigV4 credential
 * scope, runs it, and writes an AWS-shaped answer. Every response carries `x-amzn-RequestId`;
 * browser SDKs get CORS headers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Engine } from '../engine/engine.js';
import type { RequestContext } from '../engine/context.js';
import { OPERATIONS, STREAMING_OPERATIONS, type Operation } from '../operations/index.js';
import { CONTENT_TYPES, encodeError, encodeOutput, type WireFormat } from '../protocol/codec.js';
import { KinesisError } from '../protocol/errors.js';
import type { OffThreadDecoder } from '../protocol/offThreadDecoder.js';
import type { OperationName, OperationShapes } from '../protocol/shapes.generated.js';
import { BufferPool } from '../util/bufferPool.js';
import { serveSubscription } from './eventStreamResponse.js';
import type { AnyRequest as IncomingMessage, AnyResponse as ServerResponse, Handler } from './listener.js';

export const TARGET_PREFIX = 'Kinesis_20131202';
const DEFAULT_REGION = 'us-east-1';
const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/kinesis\/aws4_request/;
const EXPOSED_HEADERS = 'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date';

export interface HttpHandlerOptions {
  engine: Engine;
  /** The account every request acts for, until authentication maps credentials to accounts. */
  account: string;
  /** Requests larger than this are refused with 413 before they are parsed. */
  maxBodyBytes: number;
  /** Decodes request bodies, the large PutRecords ones on worker threads. */
  decoder: OffThreadDecoder;
  onInternalError: (err: unknown, operation: string) => void;
}

export function createHttpHandler(options: HttpHandlerOptions): Handler {
  const answers = new BufferPool();
  return (req, res) => {
    res.setHeader('x-amzn-RequestId', randomUUID());
    res.setHeader('x-amz-id-2', randomBytes(48).toString('base64'));
    if (req.headers.origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (req.method === 'OPTIONS') return answerPreflight(req, res);
    readBody(req, options.maxBodyBytes, (body) => {
      if (body === undefined) {
        const err = new KinesisError('RequestEntityTooLargeException', 'Request entity too large');
        return send(res, 413, 'json', encodeError('json', err));
      }
      void dispatch(req, res, body, options, answers);
    });
  };
}

async function dispatch(req: IncomingMessage, res: ServerResponse, body: Buffer, options: HttpHandlerOptions, answers: BufferPool) {
  const format = wireFormatOf(req.headers['content-type']);
  const operationName = operationNameOf(req.headers['x-amz-target']);
  const operation = operationName ? (OPERATIONS[operationName] as Operation<OperationName> | undefined) : undefined;
  const answerFormat: WireFormat = format ?? 'json';
  try {
    if (req.method !== 'POST' || !format) {
      if (!operationName) {
        throw new KinesisError('AccessDeniedException', 'Unable to determine service/operation name to be authorized', 403);
      }
      throw new KinesisError('UnknownOperationException', undefined, 404);
    }
    const streaming = operationName ? STREAMING_OPERATIONS[operationName] : undefined;
    if (!operationName || !(operation || streaming)) throw new KinesisError('UnknownOperationException', undefined);
    const input = await options.decoder.decode(operationName, format, body);
    const ctx: RequestContext = { account: options.account, region: regionOf(req.headers.authorization) };
    options.engine.limits.admitCall(operationName, ctx, (input as { StreamName?: string }).StreamName);
    if (streaming) {
      const subscription = await streaming(options.engine, ctx, input as OperationShapes['SubscribeToShard']['input']);
      return serveSubscription(res, format, subscription, (err) => options.onInternalError(err, operationName));
    }
    const output = await operation!(options.engine, ctx, input);
    send(res, 200, format, encodeOutput(operationName, format, output, answers), answers);
  } catch (err) {
    if (err instanceof KinesisError) {
      res.setHeader('x-amzn-ErrorType', err.code);
      return send(res, err.status, answerFormat, encodeError(answerFormat, err));
    }
    options.onInternalError(err, operationName ?? '(none)');
    const failure = new KinesisError('InternalFailureException', 'Internal service failure.');
    res.setHeader('x-amzn-ErrorType', failure.code);
    send(res, 500, answerFormat, encodeError(answerFormat, failure));
  }
}

function wireFormatOf(contentType: string | undefined): WireFormat | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === CONTENT_TYPES.json) return 'json';
  if (mediaType === CONTENT_TYPES.cbor) return 'cbor';
  return undefined;
}

function operationNameOf(target: string | string[] | undefined): OperationName | undefined {
  if (typeof target !== 'string') return undefined;
  const dot = target.indexOf('.');
  if (dot < 0 || target.slice(0, dot) !== TARGET_PREFIX) return undefined;
  const name = target.slice(dot + 1);
  return Object.hasOwn(OPERATIONS, name) || Object.hasOwn(STREAMING_OPERATIONS, name) ? (name as OperationName) : undefined;
}

/** The region of the SigV4 credential scope; unsigned requests act in us-east-1. */
export function regionOf(authorization: string | undefined): string {
  return (authorization && CREDENTIAL_SCOPE.exec(authorization)?.[1]) || DEFAULT_REGION;
}

function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const requestedHeaders = req.headers['access-control-request-headers'];
  const requestedMethod = req.headers['access-control-request-method'];
  if (requestedHeaders) res.setHeader('Access-Control-Allow-Headers', requestedHeaders);
  if (requestedMethod) res.setHeader('Access-Control-Allow-Methods', requestedMethod);
  res.setHeader('Access-Control-Max-Age', '172800');
  req.resume();
  res.statusCode = 200;
  res.setHeader('Content-Length', '0');
  res.end();
}

/** Collects the body; calls back with undefined (and stops reading) once it exceeds the limit. */
function readBody(req: IncomingMessage, limit: number, done: (body: Buffer | undefined) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return done(undefined);
  }
  // With a declared length the body's Buffer is allocated with its first bytes and each chunk
  // copied in as it arrives, so the chunks are garbage at once rather than all held until a final
  // join. (Not on the headers alone: a request that sends nothing costs nothing.)
  const body = new BodyBuffer(Number.isSafeInteger(declared) && declared > 0 ? declared : 0);
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (body.length + chunk.length > limit) {
      finished = true;
      done(undefined);
      return;
    }
    body.add(chunk);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(body.finish());
  });
  req.on('error', () => {
    finished = true;
  });
}

/** A request body as it arrives: copied into one Buffer of the declared size, chunks otherwise. */
class BodyBuffer {
  private whole: Buffer | undefined;
  private chunks: Buffer[] = [];
  length = 0;

  constructor(private readonly declaredBytes: number) {}

  add(chunk: Buffer): void {
    if (this.whole === undefined && this.length === 0 && this.declaredBytes > 0) this.whole = Buffer.allocUnsafe(this.declaredBytes);
    if (this.whole && this.chunks.length === 0 && this.length + chunk.length <= this.whole.length) {
      chunk.copy(this.whole, this.length);
    } else {
      this.spill(chunk);
    }
    this.length += chunk.length;
  }

  finish(): Buffer {
    if (this.whole && this.chunks.length === 0) return this.length === this.whole.length ? this.whole : this.whole.subarray(0, this.length);
    if (this.chunks.length === 0) return Buffer.alloc(0);
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
  }

  /** More bytes than declared (or none declared): keep chunks, after what was copied so far. */
  private spill(chunk: Buffer): void {
    if (this.whole && this.chunks.length === 0 && this.length > 0) this.chunks.push(this.whole.subarray(0, this.length));
    this.chunks.push(chunk);
  }
}

/** Writes the answer; a body from `pool` goes back to it once the response is written. */
function send(res: ServerResponse, status: number, format: WireFormat, body: Buffer, pool?: BufferPool): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPES[format]);
  res.setHeader('Content-Length', body.length);
  // The end callback comes once nothing will read the body again: written to the socket (or by
  // the HTTP/2 session), or never to be written. A response whose write fails does not call it,
  // and its body is left to the garbage collector.
  if (pool) res.end(body, () => pool.give(body));
  else res.end(body);
}
