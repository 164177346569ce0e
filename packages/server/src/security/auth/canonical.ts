/**
 * SigV4's canonical request, as AWS rebuilds it from what arrived: the method, the path (URI-encoded
 * again except for S3), the sorted query, the signed headers with their values trimmed and inner
 * runs of spaces folded, the signed header names, and the payload hash.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { createHash } from 'node:crypto';
import type { SignedRequest } from '@freshet/aws';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const EMPTY_SHA256 = createHash('sha256').digest('hex');

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The canonical request of `request` with `payloadHash` as its last line. */
export function canonicalRequest(request: SignedRequest, payloadHash: string): string {
  const q = request.url.indexOf('?');
  const path = q < 0 ? request.url : request.url.slice(0, q);
  const query = q < 0 ? '' : request.url.slice(q + 1);
  const { signedHeaders, form } = request.signature;
  return [
    request.method,
    canonicalPath(path, request.signingName !== 's3'),
    canonicalQuery(query, form === 'query'),
    canonicalHeaders(request.rawHeaders, signedHeaders),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/**
 * The hash the client put in the canonical request: its `x-amz-content-sha256` (S3 sends it,
 * as the hash or UNSIGNED-PAYLOAD), else the SHA-256 of the body; presigned S3 URLs sign no body.
 * A hash that is given but is not the body's is reported as undefined: the signature cannot match.
 */
export function payloadHashOf(request: SignedRequest, contentSha256: string | undefined): string | undefined {
  if (contentSha256 !== undefined) {
    if (contentSha256 === UNSIGNED_PAYLOAD || contentSha256.startsWith('STREAMING-')) return contentSha256;
    return contentSha256.toLowerCase() === bodyHash(request.body) ? contentSha256 : undefined;
  }
  if (request.signature.form === 'query' && request.signingName === 's3') return UNSIGNED_PAYLOAD;
  return bodyHash(request.body);
}

function bodyHash(body: Buffer): string {
  return body.length === 0 ? EMPTY_SHA256 : sha256Hex(body);
}

/** RFC 3986 encoding: everything but unreserved characters, upper-case hex. */
export function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray '%': the client signed it as it sent it
  }
}

/**
 * Services other than S3 sign the path as sent (already percent-encoded), normalized (no empty,
 * `.` or `..` segments) and encoded once more; S3 signs it as sent.
 */
function canonicalPath(path: string, doubleEncode: boolean): string {
  if (!doubleEncode) return path || '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEscape).join('/')}${trailing}`;
}

/** Every parameter decoded and encoded again the RFC 3986 way, sorted by name then value; a presigned URL's signature left out. */
function canonicalQuery(query: string, presigned: boolean): string {
  if (query === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = uriEscape(decode(eq < 0 ? part : part.slice(0, eq)));
    if (presigned && name === 'X-Amz-Signature') continue;
    pairs.push([name, uriEscape(decode(eq < 0 ? '' : part.slice(eq + 1)))]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/**
 * `name:value\n` for each signed header, values of repeated headers joined by commas. HTTP/2
 * carries the host in `:authority`, which stands in for a signed `host` header the request lacks.
 */
function canonicalHeaders(rawHeaders: readonly string[], signedHeaders: readonly string[]): string {
  const values = new Map<string, string[]>();
  for (const name of signedHeaders) values.set(name, []);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    values.get(name)?.push(rawHeaders[i + 1]!.trim().replace(/\s+/g, ' '));
  }
  const host = values.get('host');
  if (host && host.length === 0) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i] === ':authority') host.push(rawHeaders[i + 1]!.trim());
  }
  let block = '';
  for (const name of signedHeaders) block += `${name}:${values.get(name)!.join(',')}\n`;
  return block;
}
