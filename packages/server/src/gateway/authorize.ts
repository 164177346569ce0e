/**
 * The authorize step: with a verified principal (authentication on), the call's action
 * (`<signing name>:<Operation>`, e.g. `kinesis:PutRecord`) on the resource the service names is
 * evaluated against the principal's identity policies and the resource's stored policy, and
 * refused with AWS's AccessDeniedException. Without a verified principal every call is allowed,
 * as before authentication existed.
 */
import { AwsError } from '@freshet/aws';
import { parseArn } from '../core/arn.js';
import type { RequestContext } from '../core/context.js';
import { systemClock, type Clock } from '../core/clock.js';
import { cachedPolicy, conditionContext, evaluate, type ConditionContext, type Denial, type Policy } from '../security/policy/index.js';
import type { Call } from './service.js';

export function authorize(call: Call, clock: Clock = systemClock): void {
  const { ctx, operation, input } = call;
  const principal = ctx.principal;
  if (!principal?.verified || principal.arn === undefined || principal.account === undefined) return;
  const { service } = call.target;
  const action = `${service.model.metadata.signingName ?? service.model.metadata.endpointPrefix}:${operation}`;
  const resource = service.hooks?.resourceOf?.(ctx, operation, input) ?? '*';
  const identityPolicies = (principal.policies ?? []).map(({ document }) => cachedPolicy(document, 'identity'));
  const decision = evaluate(
    {
      principalArn: principal.arn,
      principalAccount: principal.account,
      action,
      resource,
      resourceAccount: resourceAccountOf(resource, ctx),
      context: requestFacts(ctx, clock.now()),
    },
    identityPolicies,
    storedPolicy(resource, service.hooks?.resourcePolicyOf),
  );
  if (!decision.allowed) throw accessDenied(principal.arn, action, resource, decision.denial);
}

/** The account owning a resource: the one its ARN names (cross-account access), else the caller's. */
function resourceAccountOf(resource: string, ctx: RequestContext): string {
  const account = resource === '*' ? undefined : parseArn(resource)?.account;
  return account || ctx.account;
}

/**
 * The resource's policy. Services check a policy when it is stored (PutResourcePolicy); one that
 * no longer parses (stored before policies were evaluated) grants nothing and denies nothing.
 */
function storedPolicy(resource: string, lookup: ((arn: string) => unknown) | undefined): Policy | undefined {
  const document = resource === '*' ? undefined : lookup?.(resource);
  if (document === undefined) return undefined;
  try {
    return cachedPolicy(document, 'resource');
  } catch {
    return undefined;
  }
}

/** The global condition keys Freshet knows for a request (IAM User Guide, "AWS global condition context keys"). */
export function requestFacts(ctx: RequestContext, nowMs: number): ConditionContext {
  const principal = ctx.principal!;
  const arn = principal.arn ?? '';
  return conditionContext({
    'aws:SourceIp': ctx.sourceIp,
    'aws:SecureTransport': String(ctx.secureTransport === true),
    'aws:PrincipalAccount': principal.account,
    'aws:PrincipalArn': arn,
    'aws:PrincipalType': principalTypeOf(arn),
    'aws:RequestedRegion': ctx.region,
    'aws:CurrentTime': new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(nowMs / 1000)),
    // IAM users only, as in AWS: the last part of arn:aws:iam::A:user/path/NAME.
    'aws:username': /:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1],
    // AWS's unique ids (AIDA..., AROA...:session) are not kept; the access key id stands in.
    'aws:userid': principal.accessKeyId,
  });
}

function principalTypeOf(arn: string): string {
  if (/:root$/.test(arn)) return 'Account';
  if (arn.includes(':assumed-role/')) return 'AssumedRole';
  return 'User';
}

/**
 * AWS's AccessDeniedException (HTTP 400 on awsJson APIs), worded as IAM's authorization errors:
 * "User: <arn> is not authorized to perform: <action> on resource: <arn> because no
 * identity-based policy allows the <action> action" and its siblings.
 */
export function accessDenied(principalArn: string, action: string, resource: string, denial: Denial): AwsError {
  const reasons: Record<Denial, string> = {
    'explicit-deny-identity': 'with an explicit deny in an identity-based policy',
    'explicit-deny-resource': 'with an explicit deny in a resource-based policy',
    'no-identity-allow': `because no identity-based policy allows the ${action} action`,
    'no-resource-allow': `because no resource-based policy allows the ${action} action`,
  };
  const message = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${reasons[denial]}`;
  return new AwsError('AccessDeniedException', message, 400);
}
