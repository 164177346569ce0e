/**
 * What every service's handler knows about the request it serves. The gateway fills it in before
 * a handler runs: the request id it answers with, the account and region the request acts in,
 * the caller as its credentials name it, and the facts policy conditions read.
 */

/** An identity policy attached to a principal: its name and its JSON document, as configured. */
export interface AttachedPolicy {
  name: string;
  document: unknown;
}

/**
 * The caller. Without authentication only `accessKeyId` is known (from the credential scope, not
 * verified); with authentication the gateway has verified the signature and filled in the rest.
 */
export interface Principal {
  accessKeyId: string;
  /** AWS's form: arn:aws:iam::ACCOUNT:user/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root. */
  arn?: string;
  /** The principal's own account (12 digits). */
  account?: string;
  /** Identity policies that apply to the principal (its own and those of its role). */
  policies?: readonly AttachedPolicy[];
  /** Whether the request's signature was verified against a known secret. */
  verified?: boolean;
}

export interface RequestContext {
  /** The caller's account: from its credentials once authentication maps them, else the node's. */
  account: string;
  /** From the SigV4 credential scope (default us-east-1). */
  region: string;
  /** The `x-amzn-RequestId` of the answer; absent for calls that did not come over HTTP. */
  requestId?: string;
  principal?: Principal;
  /** The client's address as the socket sees it (policy condition aws:SourceIp; audit log). */
  sourceIp?: string;
  /** True when the request came over TLS (policy condition aws:SecureTransport). */
  secureTransport?: boolean;
  /** The request's User-Agent header (audit log). */
  userAgent?: string;
}
