/**
 * Writing an answer's bytes, for the protocol bindings (awsJsonBinding.ts, codecBinding.ts): the
 * ProtocolBinding interface they implement is in service.ts with the rest of the gateway's types.
 */
import type { BufferPool } from '../util/bufferPool.js';
import type { AnyResponse } from './listener.js';

/**
 * Writes an answer (with no Content-Type if `contentType` is undefined: AWS's bare XML refusals);
 * a body from `pool` goes back to it once the response is written.
 */
export function send(res: AnyResponse, status: number, contentType: string | undefined, body: Buffer, pool?: BufferPool): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  if (contentType !== undefined) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  // The end callback comes once nothing will read the body again: written to the socket (or by
  // the HTTP/2 session), or never to be written. A response whose write fails does not call it,
  // and its body is left to the garbage collector.
  if (pool) res.end(body, () => pool.give(body));
  else res.end(body);
}
