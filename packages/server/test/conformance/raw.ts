/**
 * Raw requests for the conformance tests: what the SDKs would refuse to send (no body, a GET, a
 * wrong Content-Type, a malformed signature), signed by AWS's own signer unless the test says not.
 */
import { strict as assert } from 'node:assert';
import { signedHeaders } from '../helpers/signing.js';

export const JSON_11 = 'application/x-amz-json-1.1';
export const CBOR_11 = 'application/x-amz-cbor-1.1';

export interface RawRequest {
  method?: string;
  /** `Kinesis_20131202.<operation>`, or anything. */
  target?: string;
  /** null: no Content-Type header at all. */
  contentType?: string | null;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Appended to `/`, e.g. `?X-Amz-Algorithm`. */
  query?: string;
  /** Sent without a signature (the test's own signature headers, if any, go in `headers`). */
  unsigned?: boolean;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  /** The body as JSON, if it is JSON. */
  json: Record<string, unknown> | undefined;
}

export async function raw(baseUrl: string, request: RawRequest): Promise<RawAnswer> {
  const method = request.method ?? 'POST';
  const url = `${baseUrl}/${request.query ?? ''}`;
  let headers: Record<string, string> = { ...request.headers };
  const contentType = request.contentType === undefined ? JSON_11 : request.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (request.target !== undefined) headers['x-amz-target'] = request.target;
  const body = method === 'GET' || method === 'HEAD' ? undefined : (request.body ?? '');
  if (!request.unsigned) {
    headers = await signedHeaders(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    delete headers.host;
  }
  const payload = typeof body === 'string' || body === undefined ? body : new Uint8Array(body);
  const res = await fetch(url, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, bytes, text, json };
}

/** A Kinesis call in awsJson 1.1, signed: the input as JSON. */
export function kinesis(baseUrl: string, operation: string, input: object): Promise<RawAnswer> {
  return raw(baseUrl, { target: `Kinesis_20131202.${operation}`, body: JSON.stringify(input) });
}

/** Asserts an awsJson error answer: its status, `__type` and (if given) message. */
export function assertError(answer: RawAnswer, status: number, type: string, message?: string | RegExp): void {
  const context = `${answer.status} ${answer.text}`;
  assert.equal(answer.status, status, context);
  assert.equal(answer.json?.__type, type, context);
  if (typeof message === 'string') assert.equal(answer.json?.message, message, context);
  else if (message) assert.match(String(answer.json?.message), message, context);
}
