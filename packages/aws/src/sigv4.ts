/**
 * Reading AWS Signature Version 4 from a request: the `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/kinesis/aws4_request, SignedHeaders=...,
 * Signature=...`) or the presigned query (`X-Amz-Credential=...&X-Amz-Signature=...`). Parsing
 * only: the gateway routes and scopes requests by what it finds; verifying the signature against a
 * secret is the security layer's work.
 */

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
