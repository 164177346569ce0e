/**
 * A protocol binding: the gateway's side of one AWS protocol. It finds the operation a request
 * names, decodes the input, and writes outputs and errors the way that protocol does. awsJson has
 * its own (awsJsonBinding.ts: JSON or CBOR per request, Kinesis' hot paths behind service hooks);
 * the REST and query protocols share codecBinding.ts over @freshet/aws's ProtocolCodecs.
 */
import type { AwsError, WireFormat } from '@freshet/aws';
import type { RequestContext } from '../core/context.js';
import type { BufferPool } from '../util/bufferPool.js';
import type { AnyRequest, AnyResponse } from './listener.js';
import type { RegisteredService } from './service.js';

/** One call as it moves through the gateway's steps. */
export interface Call {
  readonly req: AnyRequest;
  readonly res: AnyResponse;
  readonly body: Buffer;
  readonly ctx: RequestContext;
  target: RegisteredService;
  operation: string;
  /** awsJson's per-request choice; REST and query protocols leave it 'json'. */
  format: WireFormat;
  input: object;
}

export interface ProtocolBinding {
  /** Sets the call's operation (and format); throws the AwsError the protocol answers otherwise. */
  route(call: Call): void;
  /**
   * REST protocols: whether the request's method and path name an operation of this service, for
   * telling apart services that sign with one name (Video Streams' three APIs) or requests unsigned.
   */
  recognizes?(req: AnyRequest, target: RegisteredService): boolean;
  decode(call: Call): object | Promise<object>;
  /** Writes a handler's output as the answer. */
  answer(call: Call, output: unknown, pool: BufferPool): void;
  answerError(call: Call, err: AwsError): void;
}

/** Writes an answer; a body from `pool` goes back to it once the response is written. */
export function send(res: AnyResponse, status: number, contentType: string, body: Buffer, pool?: BufferPool): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  // The end callback comes once nothing will read the body again: written to the socket (or by
  // the HTTP/2 session), or never to be written. A response whose write fails does not call it,
  // and its body is left to the garbage collector.
  if (pool) res.end(body, () => pool.give(body));
  else res.end(body);
}
