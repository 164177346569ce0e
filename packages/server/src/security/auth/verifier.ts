/**
 * SigV4 verification against the keys of the auth file, with AWS's rules and AWS's errors: the
 * credential scoped to the service and to the signing day, the signing time within 15 minutes of
 * the server's (a presigned URL: until it expires), a known access key, its session token if it
 * has one and not expired, and the signature itself, compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError, isoBasic, SIGV4_ALGORITHM, type SignedRequest } from '@freshet/aws';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/context.js';
import { partitionOf } from '../../core/regions.js';
import type { AuthConfig, AuthCredential } from './authFile.js';
import { canonicalRequest, payloadHashOf, sha256Hex } from './canonical.js';

/** How far a signing time may be from the server's, either way (AWS: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Derived signing keys kept; each is one day's key of one secret, region and service. */
const MAX_SIGNING_KEYS = 10_000;

export const signatureMismatch = () =>
  new AwsError(
    'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    400,
  );
export const unrecognizedClient = () =>
  new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
export const expiredToken = () => new AwsError('ExpiredTokenException', 'The security token included in the request is expired', 400);
const invalidSignature = (message: string) => new AwsError('InvalidSignatureException', message, 400);

export class SigV4Verifier {
  private readonly signingKeys = new Map<string, Buffer>();

  constructor(
    private readonly config: AuthConfig,
    private readonly clock: Clock,
  ) {}

  /** The principal that signed `request`, or AWS's error for why it is not believed. */
  verify(request: SignedRequest): Principal {
    const { signature } = request;
    const scope = signature.credential;
    if (!signature.signedHeaders.includes('host') && !signature.signedHeaders.includes(':authority')) {
      throw invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    if (scope.service !== request.signingName)
      throw invalidSignature(`Credential should be scoped to correct service: '${request.signingName}'. `);
    if (scope.date !== signature.amzDate.slice(0, 8)) {
      throw invalidSignature(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${signature.amzDate.slice(0, 8)}', from '${signature.amzDate}'.`,
      );
    }
    this.checkTime(signature.signedAtMs, signature.expiresSeconds);
    const credential = this.config.credentials.get(scope.accessKeyId);
    if (!credential) throw unrecognizedClient();
    this.checkSessionToken(credential, signature.securityToken);
    const payloadHash = payloadHashOf(request, headerValue(request.rawHeaders, 'x-amz-content-sha256'));
    if (payloadHash === undefined) throw signatureMismatch();
    const stringToSign = [
      SIGV4_ALGORITHM,
      signature.amzDate,
      `${scope.date}/${scope.region}/${scope.service}/aws4_request`,
      sha256Hex(canonicalRequest(request, payloadHash)),
    ].join('\n');
    const expected = createHmac('sha256', this.signingKey(credential, scope.date, scope.region, scope.service))
      .update(stringToSign)
      .digest();
    const given = /^[0-9a-f]{64}$/i.test(signature.signature) ? Buffer.from(signature.signature, 'hex') : undefined;
    if (!given || !timingSafeEqual(expected, given)) throw signatureMismatch();
    return principalOf(credential, scope.region);
  }

  /**
   * A header signature must be within 15 minutes of now; a presigned URL is good from its signing
   * time (less 15 minutes of skew) until X-Amz-Expires seconds after it.
   */
  private checkTime(signedAtMs: number, expiresSeconds: number | undefined): void {
    const now = this.clock.now();
    const signedAt = isoBasic(signedAtMs);
    if (signedAtMs > now + MAX_SKEW_MS) {
      throw invalidSignature(
        `Signature not yet current: ${signedAt} is still later than ${isoBasic(now + MAX_SKEW_MS)} (${isoBasic(now)} + 15 min.)`,
      );
    }
    if (expiresSeconds !== undefined) {
      if (signedAtMs + expiresSeconds * 1000 < now) {
        throw invalidSignature(
          `Signature expired: ${signedAt} is now earlier than ${isoBasic(now - expiresSeconds * 1000)} (${isoBasic(now)} - ${expiresSeconds} sec.)`,
        );
      }
    } else if (signedAtMs < now - MAX_SKEW_MS) {
      throw invalidSignature(
        `Signature expired: ${signedAt} is now earlier than ${isoBasic(now - MAX_SKEW_MS)} (${isoBasic(now)} - 15 min.)`,
      );
    }
  }

  /** Temporary credentials need their token, unexpired; long-term ones take none. */
  private checkSessionToken(credential: AuthCredential, token: string | undefined): void {
    if (credential.sessionToken === undefined) {
      if (token !== undefined) throw unrecognizedClient();
      return;
    }
    if (token === undefined || !sameText(token, credential.sessionToken)) throw unrecognizedClient();
    if (credential.expiresAtMs !== undefined && this.clock.now() >= credential.expiresAtMs) throw expiredToken();
  }

  /** kSigning = HMAC chain over the day, region, service and terminator, derived once per day and kept. */
  private signingKey(credential: AuthCredential, date: string, region: string, service: string): Buffer {
    const id = `${credential.accessKeyId}/${date}/${region}/${service}`;
    let key = this.signingKeys.get(id);
    if (!key) {
      key = hmac(`AWS4${credential.secretAccessKey}`, date);
      for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
      if (this.signingKeys.size >= MAX_SIGNING_KEYS) this.signingKeys.clear();
      this.signingKeys.set(id, key);
    }
    return key;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function headerValue(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) return rawHeaders[i + 1]!.trim();
  return undefined;
}

/** The verified caller: its ARN as AWS writes it (a user, or a role's session), account and policies. */
function principalOf(credential: AuthCredential, region: string): Principal {
  const { principal } = credential;
  const partition = partitionOf(region);
  const arn =
    principal.kind === 'user'
      ? `arn:${partition}:iam::${principal.account}:user/${principal.name}`
      : `arn:${partition}:sts::${principal.account}:assumed-role/${principal.name}/${credential.sessionName}`;
  return { accessKeyId: credential.accessKeyId, arn, account: principal.account, policies: principal.policies, verified: true };
}
