/**
 * The evaluator against a small reference evaluator of AWS's documented rules, written here
 * separately and plainly (recursive wildcard matching, CIDR by arithmetic, no caches, no
 * regular expressions), over generated policies, principals, resources and request contexts.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { conditionContext, evaluate, parsePolicy, type Decision } from '../../src/security/policy/index.js';

const A = '111111111111';
const B = '222222222222';
const PRINCIPALS = [
  `arn:aws:iam::${A}:user/alice`,
  `arn:aws:iam::${A}:user/bob`,
  `arn:aws:iam::${B}:user/carol`,
  `arn:aws:iam::${A}:root`,
  `arn:aws:iam::${B}:root`,
];
const ACTIONS = ['kinesis:PutRecord', 'kinesis:GetRecords', 'kinesis:ListStreams'];
const ACTION_PATTERNS = [...ACTIONS, 'kinesis:*', 'kinesis:Put*', 'kinesis:Get?ecords', '*', 'KINESIS:putrecord', 'kinesis:List*s'];
const RESOURCES = [
  `arn:aws:kinesis:us-east-1:${A}:stream/a`,
  `arn:aws:kinesis:us-east-1:${A}:stream/b`,
  `arn:aws:kinesis:us-east-1:${B}:stream/a`,
];
const RESOURCE_PATTERNS = [
  ...RESOURCES,
  '*',
  `arn:aws:kinesis:*:${A}:stream/*`,
  'arn:aws:kinesis:us-east-1:*:stream/?',
  `arn:aws:kinesis:us-east-1:${A}:stream/A`,
];
const PRINCIPAL_NAMES = ['*', A, B, `arn:aws:iam::${A}:root`, `arn:aws:iam::${B}:root`, ...PRINCIPALS.filter((p) => p.includes(':user/'))];
const USERNAMES = ['alice', 'bob', 'carol'];
const IPS = ['10.0.0.1', '10.200.3.4', '192.168.1.1', '127.0.0.1'];
const CIDRS = ['10.0.0.0/8', '10.0.0.0/24', '192.168.0.0/16', '127.0.0.1/32', '0.0.0.0/0'];

type Condition = { op: string; key: string; values: readonly string[] };
interface GenStatement {
  effect: 'Allow' | 'Deny';
  not: { action: boolean; resource: boolean; principal: boolean };
  actions: string[];
  resources: string[];
  principals: string[];
  conditions: Condition[];
}

const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({
    op: fc.constantFrom('StringEquals', 'StringNotEquals', 'StringLike', 'StringEqualsIfExists'),
    key: fc.constant('aws:username'),
    values: fc.uniqueArray(fc.constantFrom(...USERNAMES, 'a*', '?ob'), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    op: fc.constantFrom('IpAddress', 'NotIpAddress'),
    key: fc.constant('aws:SourceIp'),
    values: fc.uniqueArray(fc.constantFrom(...CIDRS), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({ op: fc.constant('Bool'), key: fc.constant('aws:SecureTransport'), values: fc.constantFrom(['true'], ['false']) }),
  fc.record({
    op: fc.constant('Null'),
    key: fc.constantFrom('aws:username', 'aws:SourceIp'),
    values: fc.constantFrom(['true'], ['false']),
  }),
);

const statement: fc.Arbitrary<GenStatement> = fc.record({
  effect: fc.constantFrom('Allow' as const, 'Allow' as const, 'Deny' as const),
  not: fc.record({ action: fc.boolean(), resource: fc.boolean(), principal: fc.constantFrom(false, false, false, true) }),
  actions: fc.uniqueArray(fc.constantFrom(...ACTION_PATTERNS), { minLength: 1, maxLength: 3 }),
  resources: fc.uniqueArray(fc.constantFrom(...RESOURCE_PATTERNS), { minLength: 1, maxLength: 3 }),
  principals: fc.uniqueArray(fc.constantFrom(...PRINCIPAL_NAMES), { minLength: 1, maxLength: 2 }),
  conditions: fc.uniqueArray(condition, { maxLength: 2, selector: (c) => `${c.op} ${c.key}` }),
});

function document(statements: GenStatement[], kind: 'identity' | 'resource'): object {
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      const out: Record<string, unknown> = { Effect: s.effect };
      out[s.not.action ? 'NotAction' : 'Action'] = s.actions;
      out[s.not.resource ? 'NotResource' : 'Resource'] = s.resources;
      if (kind === 'resource') out[s.not.principal ? 'NotPrincipal' : 'Principal'] = { AWS: s.principals };
      if (s.conditions.length > 0) {
        const block: Record<string, Record<string, readonly string[]>> = {};
        for (const c of s.conditions) (block[c.op] ??= {})[c.key] = c.values;
        out.Condition = block;
      }
      return out;
    }),
  };
}

// ---------------------------------------------------------------- the reference evaluator

interface Req {
  principal: string;
  action: string;
  resource: string;
  facts: Record<string, string>;
}

const accountOfArn = (arn: string) => arn.split(':')[4]!;

function globMatch(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  if (pattern[0] === '*') return globMatch(pattern.slice(1), text) || (text !== '' && globMatch(pattern, text.slice(1)));
  if (text === '') return false;
  return (pattern[0] === '?' || pattern[0] === text[0]) && globMatch(pattern.slice(1), text.slice(1));
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipNumber(ip) / size) === Math.floor(ipNumber(base!) / size);
}

function conditionOk(c: Condition, facts: Record<string, string>): boolean {
  const value = facts[c.key];
  if (c.op === 'Null') return (c.values[0] === 'true') === (value === undefined);
  const negated = c.op === 'StringNotEquals' || c.op === 'NotIpAddress';
  if (value === undefined) return negated || c.op.endsWith('IfExists');
  const one = (p: string): boolean => {
    if (c.op.startsWith('StringLike')) return globMatch(p, value);
    if (c.op.includes('IpAddress')) return inCidr(value, p);
    if (c.op === 'Bool') return p === value;
    return p === value;
  };
  const any = c.values.some(one);
  return negated ? !any : any;
}

function statementApplies(s: GenStatement, req: Req): boolean {
  const actionHit = s.actions.some((p) => globMatch(p.toLowerCase(), req.action.toLowerCase()));
  const resourceHit = s.resources.some((p) => globMatch(p, req.resource));
  return actionHit !== s.not.action && resourceHit !== s.not.resource && s.conditions.every((c) => conditionOk(c, req.facts));
}

/** 'direct' (the principal itself, or everyone), 'account' (its account only), or no. */
function named(s: GenStatement, req: Req): 'direct' | 'account' | undefined {
  const account = accountOfArn(req.principal);
  const direct = s.principals.some((p) => p === '*' || p === req.principal);
  const byAccount = s.principals.some((p) => p === account || p === `arn:aws:iam::${account}:root`);
  if (s.not.principal) return direct || byAccount ? undefined : 'direct';
  return direct ? 'direct' : byAccount ? 'account' : undefined;
}

function reference(req: Req, identity: GenStatement[], resource: GenStatement[]): Decision {
  const account = accountOfArn(req.principal);
  const resourceAccount = req.resource === '*' ? account : accountOfArn(req.resource);
  const identityHits = identity.filter((s) => statementApplies(s, req));
  if (identityHits.some((s) => s.effect === 'Deny')) return { allowed: false, denial: 'explicit-deny-identity' };
  const resourceHits = resource.filter((s) => named(s, req) !== undefined && statementApplies(s, req));
  if (resourceHits.some((s) => s.effect === 'Deny')) return { allowed: false, denial: 'explicit-deny-resource' };
  const identityAllows = req.principal.endsWith(':root') || identityHits.length > 0;
  const resourceAllows = resourceHits.length > 0;
  const resourceAllowsDirectly = resourceHits.some((s) => named(s, req) === 'direct');
  if (account === resourceAccount)
    return identityAllows || resourceAllowsDirectly ? { allowed: true } : { allowed: false, denial: 'no-identity-allow' };
  if (!identityAllows) return { allowed: false, denial: 'no-identity-allow' };
  return resourceAllows ? { allowed: true } : { allowed: false, denial: 'no-resource-allow' };
}

// ---------------------------------------------------------------- the property

test('the evaluator decides as the reference evaluator of the documented rules', () => {
  const scenario = fc.record({
    principal: fc.constantFrom(...PRINCIPALS),
    action: fc.constantFrom(...ACTIONS),
    resource: fc.constantFrom(...RESOURCES, '*'),
    username: fc.option(fc.constantFrom(...USERNAMES), { nil: undefined }),
    sourceIp: fc.option(fc.constantFrom(...IPS), { nil: undefined }),
    secure: fc.constantFrom('true', 'false'),
    identity: fc.array(statement, { maxLength: 3 }),
    resourcePolicy: fc.option(fc.array(statement, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(scenario, (s) => {
      const facts: Record<string, string> = { 'aws:SecureTransport': s.secure };
      if (s.username !== undefined) facts['aws:username'] = s.username;
      if (s.sourceIp !== undefined) facts['aws:SourceIp'] = s.sourceIp;
      const req: Req = { principal: s.principal, action: s.action, resource: s.resource, facts };
      const identityPolicies = s.identity.length > 0 ? [parsePolicy(document(s.identity, 'identity'))] : [];
      const resourcePolicy = s.resourcePolicy && parsePolicy(document(s.resourcePolicy, 'resource'), 'resource');
      const actual = evaluate(
        {
          principalArn: s.principal,
          principalAccount: accountOfArn(s.principal),
          action: s.action,
          resource: s.resource,
          resourceAccount: s.resource === '*' ? accountOfArn(s.principal) : accountOfArn(s.resource),
          context: conditionContext(facts),
        },
        identityPolicies,
        resourcePolicy,
      );
      assert.deepEqual(actual, reference(req, s.identity, s.resourcePolicy ?? []));
    }),
    { numRuns: 3000, seed: 16 },
  );
});
