/**
 * Condition operators, as IAM documents them. A clause holds when the request's value of its key
 * matches any of its values (OR); negated operators (StringNotEquals, NotIpAddress, ...) hold
 * when it matches none. A key the request lacks: positive operators fail, negated ones hold,
 * `...IfExists` holds, `Null` checks exactly that. Multi-valued keys take the set qualifiers:
 * ForAnyValue (some request value matches), ForAllValues (every one does; true for none).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { ConditionClause, ConditionOperator } from './document.js';
import type { ConditionContext } from './context.js';
import { expandVariables, piecesRegex, piecesText } from './variables.js';
import { wildcardMatch } from './wildcard.js';

type Compare = (requestValue: string, policyValue: string) => boolean;

/** Each operator as the positive comparison it rests on, and whether it negates it. */
const OPERATORS: Record<ConditionOperator, { compare: Compare; negated?: true; textual?: 'exact' | 'ignoreCase' | 'like' }> = {
  StringEquals: { compare: (a, p) => a === p, textual: 'exact' },
  StringNotEquals: { compare: (a, p) => a === p, negated: true, textual: 'exact' },
  StringEqualsIgnoreCase: { compare: (a, p) => a.toLowerCase() === p.toLowerCase(), textual: 'ignoreCase' },
  StringNotEqualsIgnoreCase: { compare: (a, p) => a.toLowerCase() === p.toLowerCase(), negated: true, textual: 'ignoreCase' },
  StringLike: { compare: (a, p) => wildcardMatch(p, a), textual: 'like' },
  StringNotLike: { compare: (a, p) => wildcardMatch(p, a), negated: true, textual: 'like' },
  NumericEquals: { compare: numeric((a, p) => a === p) },
  NumericNotEquals: { compare: numeric((a, p) => a === p), negated: true },
  NumericLessThan: { compare: numeric((a, p) => a < p) },
  NumericLessThanEquals: { compare: numeric((a, p) => a <= p) },
  NumericGreaterThan: { compare: numeric((a, p) => a > p) },
  NumericGreaterThanEquals: { compare: numeric((a, p) => a >= p) },
  DateEquals: { compare: dates((a, p) => a === p) },
  DateNotEquals: { compare: dates((a, p) => a === p), negated: true },
  DateLessThan: { compare: dates((a, p) => a < p) },
  DateLessThanEquals: { compare: dates((a, p) => a <= p) },
  DateGreaterThan: { compare: dates((a, p) => a > p) },
  DateGreaterThanEquals: { compare: dates((a, p) => a >= p) },
  Bool: { compare: (a, p) => a.toLowerCase() === p.toLowerCase() },
  BinaryEquals: { compare: (a, p) => a === p },
  IpAddress: { compare: inCidr },
  NotIpAddress: { compare: inCidr, negated: true },
  ArnEquals: { compare: arnMatch },
  ArnLike: { compare: arnMatch },
  ArnNotEquals: { compare: arnMatch, negated: true },
  ArnNotLike: { compare: arnMatch, negated: true },
  Null: { compare: () => false },
};

/** Whether one condition clause holds for a request. `variables`: the policy is 2012-10-17. */
export function conditionHolds(clause: ConditionClause, context: ConditionContext, variables: boolean): boolean {
  const present = context.get(clause.key.toLowerCase());
  if (clause.operator === 'Null') {
    const absent = present === undefined || (Array.isArray(present) && present.length === 0);
    return clause.values.some((value) => (value.toLowerCase() === 'true') === absent);
  }
  const { compare, negated = false, textual } = OPERATORS[clause.operator];
  if (present === undefined) {
    return clause.ifExists || negated || clause.qualifier === 'ForAllValues';
  }
  const matchers = clause.values.map((value) => policyMatcher(value, compare, textual, context, variables));
  const satisfies = (requestValue: string) => matchers.some((matches) => matches(requestValue)) !== negated;
  const requestValues: readonly string[] = typeof present === 'string' ? [present] : present;
  if (clause.qualifier === 'ForAllValues') return requestValues.every(satisfies);
  return requestValues.some(satisfies);
}

/** One policy value as a test of a request value, its policy variables expanded first. */
function policyMatcher(
  value: string,
  compare: Compare,
  textual: 'exact' | 'ignoreCase' | 'like' | undefined,
  context: ConditionContext,
  variables: boolean,
): (requestValue: string) => boolean {
  if (!variables || !textual || !value.includes('${')) return (requestValue) => compare(requestValue, value);
  const pieces = expandVariables(value, context);
  if (!pieces) return () => false;
  if (textual === 'like') {
    const regex = piecesRegex(pieces, false);
    return (requestValue) => regex.test(requestValue);
  }
  const text = piecesText(pieces);
  return (requestValue) => compare(requestValue, text);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function numeric(compare: (a: number, p: number) => boolean): Compare {
  return (a, p) => NUMBER.test(a) && NUMBER.test(p) && compare(Number(a), Number(p));
}

/** Dates are ISO 8601 text or epoch seconds (aws:EpochTime); compared as milliseconds. */
export function parseDate(text: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function dates(compare: (a: number, p: number) => boolean): Compare {
  return (a, p) => {
    const [left, right] = [parseDate(a), parseDate(p)];
    return left !== undefined && right !== undefined && compare(left, right);
  };
}

const subnets = new Map<string, BlockList | null>();

/** Whether an address (IPv4, IPv6, or IPv4-mapped IPv6 as sockets report it) is in a CIDR block or is the address. */
function inCidr(address: string, cidr: string): boolean {
  const block = subnetOf(cidr);
  const plain = address.toLowerCase().startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  const family = isIPv4(plain) ? 'ipv4' : isIPv6(plain) ? 'ipv6' : undefined;
  return block !== null && family !== undefined && block.check(plain, family);
}

function subnetOf(cidr: string): BlockList | null {
  let block = subnets.get(cidr);
  if (block === undefined) {
    block = null;
    const [address = '', prefixText] = cidr.split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const prefix = prefixText === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefixText);
    const max = family === 'ipv4' ? 32 : 128;
    if (family && /^\d*$/.test(prefixText ?? '') && Number.isInteger(prefix) && prefix >= 0 && prefix <= max) {
      block = new BlockList();
      block.addSubnet(address, prefix, family);
    }
    if (subnets.size > 10_000) subnets.clear();
    subnets.set(cidr, block);
  }
  return block;
}

/** ArnEquals and ArnLike alike: each of the six colon-separated parts matched on its own, wildcards within it. */
function arnMatch(arn: string, pattern: string): boolean {
  const [have, want] = [arnParts(arn), arnParts(pattern)];
  return have !== undefined && want !== undefined && want.every((part, i) => wildcardMatch(part, have[i]!));
}

function arnParts(text: string): string[] | undefined {
  const parts = text.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}
