/**
 * CORS for browser SDKs, as AWS does it: a request with an Origin gets `Access-Control-Allow-Origin: *`;
 * an OPTIONS request with an Origin is a preflight, answered here at once (200, empty) echoing what
 * it asks for; every other answer to a browser exposes AWS's headers. An OPTIONS request without
 * an Origin is no preflight: it goes on, and is refused as any method but POST is.
 */
import type { AnyRequest, AnyResponse } from './listener.js';

const EXPOSED_HEADERS = 'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date';

/** Adds the CORS headers to an answer to a browser; true if the request was a preflight, now answered. */
export function handleCors(req: AnyRequest, res: AnyResponse): boolean {
  if (req.headers.origin === undefined) return false;
  res.setHeader('Access-Control-Allow-Origin', '*');
  if (req.method !== 'OPTIONS') {
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    return false;
  }
  const requestedHeaders = req.headers['access-control-request-headers'];
  const requestedMethod = req.headers['access-control-request-method'];
  if (requestedHeaders) res.setHeader('Access-Control-Allow-Headers', requestedHeaders);
  if (requestedMethod) res.setHeader('Access-Control-Allow-Methods', requestedMethod);
  res.setHeader('Access-Control-Max-Age', '172800');
  req.resume();
  res.statusCode = 200;
  res.setHeader('Content-Length', '0');
  res.end();
  return true;
}
