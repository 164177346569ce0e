/**
 * Reading AWS Signature Version 4 from a request: the `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/kinesis/aws4_request, SignedHeaders=...,
 * Signature=...`) or the presigned query (`X-Amz-Credential=...&X-Amz-Signature=...`). Parsing
 * only: the gateway routes and scopes requests by what it finds; verifying the signature against a
 * secret is the security layer's work.
 */

import { AwsError } from './errors.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** The credential scope: who signed, for which day, region and service. */
export interface CredentialScope {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
}

export interface SigV4Authorization {
  algorithm: string;
  credential: CredentialScope;
  signedHeaders: string[];
  signature: string;
}

/** `AKID/20261202/us-east-1/kinesis/aws4_request`, or undefined if it is not one. */
export function parseCredential(text: string): CredentialScope | undefined {
  const parts = text.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (!accessKeyId || !/^\d{8}$/.test(date) || !/^[a-z0-9-]+$/.test(region) || !/^[a-z0-9-]+$/.test(service)) return undefined;
  return { accessKeyId, date, region, service };
}

/**
 * The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header, or undefined when the header is
 * absent or not SigV4. Components may come in any order, separated by commas and spaces.
 */
export function parseAuthorizationHeader(header: string | undefined): SigV4Authorization | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const algorithm = header.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = parseCredential(fields.get('Credential') ?? '');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || signedHeaders === undefined || signature === undefined) return undefined;
  return { algorithm, credential, signedHeaders: signedHeaders.split(';'), signature };
}

/** The SigV4 parts of a presigned URL's query, or undefined when it carries none. */
export function parsePresignedQuery(query: URLSearchParams): SigV4Authorization | undefined {
  const algorithm = query.get('X-Amz-Algorithm');
  if (algorithm !== SIGV4_ALGORITHM) return undefined;
  const credential = parseCredential(query.get('X-Amz-Credential') ?? '');
  const signature = query.get('X-Amz-Signature');
  if (!credential || signature === null) return undefined;
  return { algorithm, credential, signedHeaders: (query.get('X-Amz-SignedHeaders') ?? '').split(';'), signature };
}

/**
 * The credential scope of a request, from its Authorization header or its presigned query. A cheap
 * path for the gateway: it reads only the `Credential=` component.
 */
export function credentialScopeOf(authorization: string | undefined, query?: URLSearchParams): CredentialScope | undefined {
  if (authorization) {
    const at = authorization.indexOf('Credential=');
    if (at < 0) return undefined;
    const start = at + 'Credential='.length;
    let end = start;
    while (end < authorization.length && authorization[end] !== ',' && authorization[end] !== ' ') end++;
    return parseCredential(authorization.slice(start, end));
  }
  const credential = query?.get('X-Amz-Credential');
  return credential ? parseCredential(credential) : undefined;
}

/**
 * A request's SigV4 signature as AWS reads it before verifying anything: which form it came in,
 * who signed for which scope, what was signed, and when. `readSignature` finds it or says, in
 * AWS's words, what is wrong with it.
 */
export interface SigV4Signature {
  form: 'header' | 'query';
  /** The `Credential` component or `X-Amz-Credential` parameter as sent. */
  credentialText: string;
  credential: CredentialScope;
  /** Lower-case header names, in the order signed. */
  signedHeaders: string[];
  /** Hex, as sent. */
  signature: string;
  /** The signing time, `yyyymmddThhmmssZ` (a `Date` header is converted to this form). */
  amzDate: string;
  /** The signing time in milliseconds since the epoch. */
  signedAtMs: number;
  /** Presigned URLs: seconds the signature is good for (X-Amz-Expires, 1 to 604800). */
  expiresSeconds?: number;
  /** X-Amz-Security-Token, from the header or the query. */
  securityToken?: string;
}

/** The headers `readSignature` reads. */
export interface SignatureHeaders {
  authorization?: string | undefined;
  'x-amz-date'?: string | undefined;
  date?: string | undefined;
  'x-amz-security-token'?: string | undefined;
}

/** A week: the longest a presigned URL may be good for. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604800;

const incomplete = (message: string) => new AwsError('IncompleteSignatureException', message, 400);

/**
 * The signature of a request, from its Authorization header or its presigned query; undefined when
 * it carries no SigV4 at all (AWS answers MissingAuthenticationTokenException). A signature that
 * is there but malformed throws AWS's IncompleteSignatureException naming what is missing, and a
 * request signed both ways InvalidSignatureException. Nothing is verified here: the region, the
 * key and the signature are the caller's to check.
 */
export function readSignature(headers: SignatureHeaders, query: URLSearchParams | undefined): SigV4Signature | undefined {
  // X-Amz-Algorithm alone makes a presigned query: AWS answers a query with every other part but
  // that one as it answers no signature at all (MissingAuthenticationTokenException).
  const inQuery = query?.has('X-Amz-Algorithm') === true;
  const authorization = headers.authorization;
  if (authorization !== undefined && inQuery) {
    throw new AwsError(
      'InvalidSignatureException',
      "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
      400,
    );
  }
  if (authorization !== undefined) return readAuthorizationHeader(authorization, headers);
  if (inQuery) return readPresignedQuery(query);
  return undefined;
}

function readAuthorizationHeader(header: string, headers: SignatureHeaders): SigV4Signature {
  // AWS splits the components on commas and spaces: a stray space inside a credential makes
  // its second half a component without '='.
  const [algorithm = '', ...parts] = header.trim().split(/[\s,]+/);
  const fields = new Map<string, string>();
  for (const part of parts) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw incomplete(`'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`);
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const amzDate = headers['x-amz-date'] ?? (headers.date !== undefined ? isoBasicOf(headers.date) : undefined);
  const missing = ['Credential', 'Signature', 'SignedHeaders']
    .filter((name) => !fields.get(name))
    .map((name) => `Authorization header requires '${name}' parameter. `);
  if (headers['x-amz-date'] === undefined && headers.date === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
  }
  if (missing.length > 0) throw incomplete(`${missing.join('')}Authorization=${header}`);
  if (algorithm !== SIGV4_ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`);
  const credentialText = fields.get('Credential')!;
  return {
    form: 'header',
    credentialText,
    credential: readCredential(credentialText),
    signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!,
    ...signingTime(amzDate ?? headers.date!),
    ...(headers['x-amz-security-token'] !== undefined ? { securityToken: headers['x-amz-security-token'] } : {}),
  };
}

const QUERY_PARAMETERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'];

function readPresignedQuery(query: URLSearchParams): SigV4Signature {
  const missing = QUERY_PARAMETERS.filter((name) => !query.get(name)).map((name) => `AWS query-string parameters must include '${name}'. `);
  if (missing.length > 0) throw incomplete(`${missing.join('')}Re-examine the query-string parameters.`);
  const algorithm = query.get('X-Amz-Algorithm')!;
  if (algorithm !== SIGV4_ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`);
  const expires = query.get('X-Amz-Expires');
  let expiresSeconds: number | undefined;
  if (expires !== null) {
    expiresSeconds = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
    if (!(expiresSeconds >= 1)) throw incomplete(`X-Amz-Expires must be a positive integer number of seconds, got '${expires}'`);
    if (expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
      throw incomplete(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRES_SECONDS}`);
    }
  }
  const credentialText = query.get('X-Amz-Credential')!;
  const token = query.get('X-Amz-Security-Token');
  return {
    form: 'query',
    credentialText,
    credential: readCredential(credentialText),
    signedHeaders: query.get('X-Amz-SignedHeaders')!.split(';'),
    signature: query.get('X-Amz-Signature')!,
    ...signingTime(query.get('X-Amz-Date')!),
    ...(expiresSeconds !== undefined ? { expiresSeconds } : {}),
    ...(token !== null ? { securityToken: token } : {}),
  };
}

/**
 * The credential scope, strictly: five elements, a date, a region and service in SigV4's syntax
 * (lower case), the `aws4_request` terminator. Whether the region is served is the gateway's check.
 */
function readCredential(text: string): CredentialScope {
  const parts = text.split('/');
  if (parts.length !== 5) {
    throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${text}'`);
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== 'aws4_request')
    throw incomplete(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);
  if (!/^[a-z0-9-]+$/.test(region)) throw incomplete(`Credential should be scoped to a valid region, not '${region}'. `);
  if (!/^[a-z0-9-]+$/.test(service)) throw incomplete(`Credential should be scoped to correct service: '${service}'. `);
  if (!/^\d{8}$/.test(date)) throw incomplete(`Credential should be scoped to a valid date, not '${date}'. `);
  if (!accessKeyId) throw incomplete(`Credential must name an access key, got '${text}'`);
  return { accessKeyId, date, region, service };
}

const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function signingTime(amzDate: string): { amzDate: string; signedAtMs: number } {
  const m = ISO_BASIC.exec(amzDate);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (!Number.isFinite(ms) || isoBasic(ms) !== amzDate) {
    throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  return { amzDate, signedAtMs: ms };
}

/** An HTTP `Date` header (RFC 7231) in SigV4's basic ISO-8601 form; the text as is if it is not a date. */
function isoBasicOf(httpDate: string): string {
  const ms = Date.parse(httpDate);
  return Number.isFinite(ms) ? isoBasic(ms) : httpDate;
}

/** `yyyymmddThhmmssZ` of a time in milliseconds. */
export function isoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
}

/**
 * What verifying a signature needs of a request: the request line and headers as they came, the
 * body, the signature read from it, and the signing name of the service it was routed to.
 */
export interface SignedRequest {
  method: string;
  /** The request target as sent: the path and the query, still percent-encoded. */
  url: string;
  /** Header names and values in the order received, as Node's `rawHeaders` gives them. */
  rawHeaders: readonly string[];
  body: Buffer;
  signature: SigV4Signature;
  /** The service's SigV4 name (`kinesis`, `s3`, `kinesisvideo`): S3 paths are not encoded twice. */
  signingName: string;
}
