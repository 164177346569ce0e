/**
 * Whether a request is allowed, by AWS's documented evaluation logic ("Policy evaluation logic",
 * "Cross-account policy evaluation logic", IAM User Guide):
 *
 * - an explicit Deny in any applicable policy wins;
 * - within one account, an Allow in the principal's identity policies or in the resource policy
 *   suffices; a resource policy that names only the account (`arn:aws:iam::A:root`, `A`)
 *   delegates to the account's identity policies and does not by itself allow its users;
 * - across accounts, the caller's identity policies AND the resource policy must both allow;
 * - the account root user (`arn:aws:iam::A:root`) needs no identity policy.
 *
 * Service control policies, permission boundaries and session policies are not modelled.
 */
import { conditionHolds } from './conditions.js';
import type { ConditionContext } from './context.js';
import type { Policy, PrincipalSet, Statement } from './document.js';
import { expandVariables, piecesRegex } from './variables.js';
import { wildcardMatch } from './wildcard.js';

export interface AuthorizationRequest {
  /** arn:aws:iam::A:user/N, arn:aws:iam::A:role/R, arn:aws:sts::A:assumed-role/R/S, or arn:aws:iam::A:root. */
  principalArn: string;
  principalAccount: string;
  /** `service:Operation`, e.g. `kinesis:PutRecord`. */
  action: string;
  /** The resource's ARN, or `*` for actions on no resource (ListStreams). */
  resource: string;
  /** The account the resource belongs to (the caller's own for `*`). */
  resourceAccount: string;
  context: ConditionContext;
}

/** Why a request was refused, in the terms of AWS's AccessDenied messages. */
export type Denial = 'explicit-deny-identity' | 'explicit-deny-resource' | 'no-identity-allow' | 'no-resource-allow';
export type Decision = { allowed: true } | { allowed: false; denial: Denial };

/** How a resource policy's Principal names the caller: itself (or everyone), or only its account. */
type PrincipalMatch = 'direct' | 'account' | undefined;

export function evaluate(request: AuthorizationRequest, identityPolicies: readonly Policy[], resourcePolicy?: Policy): Decision {
  let identityAllows = isAccountRoot(request.principalArn, request.principalAccount);
  for (const policy of identityPolicies) {
    for (const statement of policy.statements) {
      if (!applies(statement, policy, request)) continue;
      if (statement.effect === 'Deny') return { allowed: false, denial: 'explicit-deny-identity' };
      identityAllows = true;
    }
  }
  let resourceAllowsDirectly = false;
  let resourceAllows = false;
  for (const statement of resourcePolicy?.statements ?? []) {
    const named = principalMatch(statement, request);
    if (named === undefined || !applies(statement, resourcePolicy!, request)) continue;
    if (statement.effect === 'Deny') return { allowed: false, denial: 'explicit-deny-resource' };
    resourceAllows = true;
    if (named === 'direct') resourceAllowsDirectly = true;
  }
  if (request.principalAccount === request.resourceAccount) {
    return identityAllows || resourceAllowsDirectly ? ALLOWED : { allowed: false, denial: 'no-identity-allow' };
  }
  if (!identityAllows) return { allowed: false, denial: 'no-identity-allow' };
  return resourceAllows ? ALLOWED : { allowed: false, denial: 'no-resource-allow' };
}

const ALLOWED: Decision = { allowed: true };

/** Whether a statement's action, resource and conditions all match the request (Principal aside). */
function applies(statement: Statement, policy: Policy, request: AuthorizationRequest): boolean {
  const variables = policy.version === '2012-10-17';
  return (
    matchesAny(statement.actions, statement.notActions, (pattern) => wildcardMatch(pattern, request.action, true)) &&
    matchesAny(statement.resources, statement.notResources, (pattern) => resourceMatch(pattern, request, variables)) &&
    statement.conditions.every((clause) => conditionHolds(clause, request.context, variables))
  );
}

/** The element's patterns match (Action, Resource), or none of the Not-element's patterns does. */
function matchesAny(patterns: string[] | undefined, notPatterns: string[] | undefined, match: (pattern: string) => boolean): boolean {
  return patterns ? patterns.some(match) : !notPatterns!.some(match);
}

function resourceMatch(pattern: string, request: AuthorizationRequest, variables: boolean): boolean {
  if (!variables || !pattern.includes('${')) return wildcardMatch(pattern, request.resource);
  const pieces = expandVariables(pattern, request.context);
  return pieces !== undefined && piecesRegex(pieces, false).test(request.resource);
}

/** How a resource policy statement's Principal (or NotPrincipal) names the caller, if it does. */
function principalMatch(statement: Statement, request: AuthorizationRequest): PrincipalMatch {
  if (statement.principal) return namedIn(statement.principal, request);
  // NotPrincipal: everyone it does not name, as directly as Principal "*" would.
  return namedIn(statement.notPrincipal!, request) === undefined ? 'direct' : undefined;
}

function namedIn(set: PrincipalSet, request: AuthorizationRequest): PrincipalMatch {
  if (set.everyone) return 'direct';
  let match: PrincipalMatch;
  for (const name of set.aws) {
    if (name === request.principalArn || roleOfSession(name, request.principalArn)) return 'direct';
    if (accountOf(name) === request.principalAccount) match = 'account';
  }
  return match;
}

/** The account a Principal entry names as a whole (`A` or `arn:aws:iam::A:root`), if that is what it is. */
function accountOf(name: string): string | undefined {
  if (/^\d{12}$/.test(name)) return name;
  return /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(name)?.[1];
}

/** A role ARN in a Principal names every session of the role (arn:aws:sts::A:assumed-role/R/S). */
function roleOfSession(roleArn: string, principalArn: string): boolean {
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principalArn);
  return !!role && !!session && role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
}

function isAccountRoot(arn: string, account: string): boolean {
  return accountOf(arn) === account && arn.startsWith('arn:');
}
