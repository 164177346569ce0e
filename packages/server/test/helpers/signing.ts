/**
 * SigV4 for the tests' raw requests, by AWS's own signer (@smithy/signature-v4, what SDK v3 signs
 * with), so that a test's hand-made request is signed exactly as a real client's and Freshet's
 * verifier is checked against an implementation that is not its own.
 *
 *   const res = await fetch(url, { method: 'POST', headers: await signedHeaders(url, { headers, body }), body });
 *
 * Freshet refuses a request with no signature at all (MissingAuthenticationTokenException, as
 * AWS does), so every raw request a test sends to an API is signed this way.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { TEST_CREDENTIALS } from './clients.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigningOptions {
  method?: string;
  /** The request's own headers (content-type, x-amz-target, ...); host and the SigV4 headers are added. */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  region?: string;
  /** The SigV4 service name (default kinesis). */
  service?: string;
  credentials?: Credentials;
  /** The signing time (default now): a test on a manual clock signs at the clock's time. */
  signingDate?: Date;
  /** signedFetch: aborts the request. */
  signal?: AbortSignal;
}

/** node:crypto behind the Checksum interface the signer takes. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function signer(options: SigningOptions): SignatureV4 {
  return new SignatureV4({
    credentials: options.credentials ?? TEST_CREDENTIALS,
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'kinesis',
    sha256: Sha256,
    uriEscapePath: (options.service ?? 'kinesis') !== 's3',
  });
}

function requestOf(url: string, options: SigningOptions) {
  const parsed = new URL(url);
  const query: Record<string, string> = {};
  parsed.searchParams.forEach((value, key) => (query[key] = value));
  return {
    method: options.method ?? 'POST',
    protocol: parsed.protocol,
    hostname: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : undefined,
    path: parsed.pathname,
    query,
    headers: { host: parsed.host, ...(options.headers ?? {}) },
    body: options.body,
  };
}

/** The request's headers with `host`, `x-amz-date`, `x-amz-content-sha256` and `authorization` added. */
export async function signedHeaders(url: string, options: SigningOptions = {}): Promise<Record<string, string>> {
  const signed = await signer(options).sign(requestOf(url, options), options.signingDate ? { signingDate: options.signingDate } : {});
  return signed.headers;
}

/** A presigned URL for the request (its headers, except host, must still be sent with it). */
export async function presignedUrl(url: string, expiresIn: number, options: SigningOptions = {}): Promise<string> {
  const presigned = await signer(options).presign(requestOf(url, options), {
    expiresIn,
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
  });
  const out = new URL(url);
  out.search = '';
  for (const [key, value] of Object.entries(presigned.query ?? {})) out.searchParams.append(key, String(value));
  return out.toString();
}

/** fetch() with the request signed; headers and body as for fetch. */
export async function signedFetch(url: string, options: SigningOptions = {}): Promise<Response> {
  const headers = await signedHeaders(url, options);
  delete headers.host; // fetch sets it (and refuses to be told)
  const body = typeof options.body === 'string' || options.body === undefined ? options.body : Buffer.from(options.body);
  return fetch(url, {
    method: options.method ?? 'POST',
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Headers of a signature in SigV4's form that signs nothing (its signature is zeros): enough for a
 * node without --auth, which checks a signature's form and region but not the signature, where a
 * test cannot wait for the signer (a raw socket written at once, an HTTP/2 stream opened in a
 * constructor). A node with --auth refuses it.
 */
export function formOnlySignature(region = 'us-east-1', service = 'kinesis'): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  return {
    'x-amz-date': amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/${amzDate.slice(0, 8)}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  };
}
