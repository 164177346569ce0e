/**
 * What every service's handler knows about the request it serves. The gateway fills it in before
 * a handler runs: the request id it answers with, the account and region the request acts in,
 * and the caller as its credentials name it.
 */

/** The caller, as its SigV4 credentials name it. Verified once the security work lands. */
export interface Principal {
  accessKeyId: string;
}

export interface RequestContext {
  /** The caller's account: from its credentials once authentication maps them, else the node's. */
  account: string;
  /** From the SigV4 credential scope (default us-east-1). */
  region: string;
  /** The `x-amzn-RequestId` of the answer; absent for calls that did not come over HTTP. */
  requestId?: string;
  principal?: Principal;
}
