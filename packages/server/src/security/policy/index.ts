/**
 * IAM policies: parse a document strictly (parsePolicy), and decide whether a request is allowed
 * by the identity policies of its principal and the resource policy of its resource (evaluate),
 * with AWS's documented logic. Pure functions of their inputs; parsed documents are cached.
 */
import { parsePolicy, type Policy, type PolicyKind } from './document.js';

export { parsePolicy, MalformedPolicyError, CONDITION_OPERATORS } from './document.js';
export type { Policy, PolicyKind, Statement, ConditionClause, ConditionOperator, PrincipalSet, Effect } from './document.js';

const byObject = new WeakMap<object, Policy>();
const byText = new Map<string, Policy>();
const MAX_TEXTS = 1000;

/**
 * parsePolicy, remembered: an object document by identity (WeakMap, so a reloaded auth file's
 * policies are parsed once and dropped with it), a JSON text (a stored resource policy) by value.
 */
export function cachedPolicy(document: unknown, kind: PolicyKind): Policy {
  if (typeof document === 'string') {
    const key = kind + document;
    let policy = byText.get(key);
    if (!policy) {
      policy = parsePolicy(document, kind);
      if (byText.size >= MAX_TEXTS) byText.clear();
      byText.set(key, policy);
    }
    return policy;
  }
  if (typeof document !== 'object' || document === null) return parsePolicy(document, kind);
  let policy = byObject.get(document);
  if (!policy || policy.kind !== kind) {
    policy = parsePolicy(document, kind);
    byObject.set(document, policy);
  }
  return policy;
}

export { evaluate } from './evaluate.js';
export type { AuthorizationRequest, Decision, Denial } from './evaluate.js';
export { conditionContext, type ConditionContext } from './context.js';
