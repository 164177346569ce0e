/**
 * IAM policy documents, parsed strictly: the grammar of AWS's policy language (Version,
 * Statement, Sid, Effect, Action/NotAction, Resource/NotResource, Principal/NotPrincipal,
 * Condition), with errors worded as IAM's MalformedPolicyDocument messages. A parsed policy is
 * plain data: what evaluate.ts matches requests against.
 */

/** An identity policy (attached to a principal, no Principal element) or a resource policy (must name one). */
export type PolicyKind = 'identity' | 'resource';
export type Effect = 'Allow' | 'Deny';

export interface Policy {
  /** 2008-10-17 (the default when absent) does not expand policy variables; 2012-10-17 does. */
  version: '2012-10-17' | '2008-10-17';
  kind: PolicyKind;
  statements: Statement[];
}

export interface Statement {
  sid?: string;
  effect: Effect;
  /** Exactly one of actions and notActions is set; the same for resources and notResources. */
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  /** Resource policies: whom the statement is about (exactly one of principal and notPrincipal). */
  principal?: PrincipalSet;
  notPrincipal?: PrincipalSet;
  /** All must hold (AND); each clause's values are alternatives (OR). */
  conditions: ConditionClause[];
}

/** The principals a Principal element names: everyone, AWS principals (accounts, users, roles), others (services...). */
export interface PrincipalSet {
  everyone: boolean;
  /** `*`, a 12-digit account, or an IAM/STS ARN, as written. */
  aws: string[];
  /** Service, Federated and CanonicalUser principals: accepted, never Freshet callers. */
  other: string[];
}

export interface ConditionClause {
  /** The operator without its qualifier and IfExists: `StringEquals`, `IpAddress`, `Null`. */
  operator: ConditionOperator;
  qualifier?: 'ForAllValues' | 'ForAnyValue';
  ifExists: boolean;
  /** The condition key, as written (keys compare case-insensitively). */
  key: string;
  values: string[];
}

export const CONDITION_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** A policy document IAM would refuse; the message is IAM's MalformedPolicyDocument text where it has one. */
export class MalformedPolicyError extends Error {
  override readonly name = 'MalformedPolicyDocument';
}

/**
 * Parses a policy document (a JSON text or the parsed object). Throws MalformedPolicyError naming
 * what is wrong. Identity policies must not have a Principal; resource policies must.
 */
export function parsePolicy(document: unknown, kind: PolicyKind = 'identity'): Policy {
  const root = typeof document === 'string' ? parseJson(document) : document;
  if (!isObject(root)) throw malformed('Syntax errors in policy.');
  checkFields(root, ['Version', 'Id', 'Statement'], 'policy');
  const version = root.Version ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') {
    throw malformed(`The policy failed legacy parsing: Version must be 2012-10-17 or 2008-10-17, not ${JSON.stringify(version)}.`);
  }
  if (root.Id !== undefined && typeof root.Id !== 'string') throw malformed('Syntax errors in policy: Id must be a string.');
  if (root.Statement === undefined) throw malformed('Missing required field Statement');
  const list = Array.isArray(root.Statement) ? root.Statement : [root.Statement];
  if (list.length === 0) throw malformed('Missing required field Statement');
  const statements = list.map((statement) => parseStatement(statement, kind));
  checkUniqueSids(statements);
  return { version, kind, statements };
}

function parseStatement(raw: unknown, kind: PolicyKind): Statement {
  if (!isObject(raw)) throw malformed('Syntax errors in policy: a Statement must be an object.');
  checkFields(
    raw,
    ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition'],
    'statement',
  );
  if (raw.Sid !== undefined && (typeof raw.Sid !== 'string' || (kind === 'identity' && !/^[A-Za-z0-9]*$/.test(raw.Sid)))) {
    throw malformed(`Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*`);
  }
  if (raw.Effect === undefined) throw malformed('Missing required field Effect');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') throw malformed(`Invalid effect: ${String(raw.Effect)}`);
  const statement: Statement = { effect: raw.Effect, conditions: parseConditions(raw.Condition) };
  if (raw.Sid !== undefined) statement.sid = raw.Sid as string;

  const [actions, notActions] = oneOf(raw, 'Action', 'NotAction', 'Policy statement must contain actions.');
  if (actions) statement.actions = actions.map(checkAction);
  if (notActions) statement.notActions = notActions.map(checkAction);
  const [resources, notResources] = oneOf(raw, 'Resource', 'NotResource', 'Policy statement must contain resources.');
  if (resources) statement.resources = resources.map(checkResource);
  if (notResources) statement.notResources = notResources.map(checkResource);

  const hasPrincipal = raw.Principal !== undefined || raw.NotPrincipal !== undefined;
  if (kind === 'identity' && hasPrincipal) throw malformed('Policy document should not specify a principal.');
  if (kind === 'resource') {
    if (!hasPrincipal) throw malformed('Missing required field Principal');
    if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) {
      throw malformed('Syntax errors in policy: a statement cannot have both Principal and NotPrincipal.');
    }
    if (raw.Principal !== undefined) statement.principal = parsePrincipal(raw.Principal);
    else statement.notPrincipal = parsePrincipal(raw.NotPrincipal);
  }
  return statement;
}

/** The list of exactly one of two exclusive elements (Action/NotAction, Resource/NotResource). */
function oneOf(raw: Record<string, unknown>, positive: string, negative: string, missing: string): [string[]?, string[]?] {
  if (raw[positive] !== undefined && raw[negative] !== undefined) {
    throw malformed(`Syntax errors in policy: a statement cannot have both ${positive} and ${negative}.`);
  }
  if (raw[positive] !== undefined) return [stringList(raw[positive], positive), undefined];
  if (raw[negative] !== undefined) return [undefined, stringList(raw[negative], negative)];
  throw malformed(missing);
}

function checkAction(action: string): string {
  if (action === '*' || /^[A-Za-z0-9-]+:[^:]*$/.test(action)) return action;
  throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
}

function checkResource(resource: string): string {
  if (resource === '*' || resource.startsWith('arn:')) return resource;
  throw malformed(`Resource ${resource} must be in ARN format or "*".`);
}

const AWS_PRINCIPAL = /^(\*|\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)|arn:aws[a-z-]*:sts::\d{12}:assumed-role\/.+\/.+)$/;

function parsePrincipal(raw: unknown): PrincipalSet {
  if (raw === '*') return { everyone: true, aws: [], other: [] };
  if (!isObject(raw)) throw malformed(`Invalid principal in policy: ${JSON.stringify(raw)}`);
  const set: PrincipalSet = { everyone: false, aws: [], other: [] };
  for (const [type, value] of Object.entries(raw)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(type)) throw malformed(`Invalid principal in policy: "${type}"`);
    for (const name of stringList(value, `Principal ${type}`)) {
      if (type !== 'AWS') set.other.push(name);
      else if (!AWS_PRINCIPAL.test(name)) throw malformed(`Invalid principal in policy: "AWS":"${name}"`);
      else if (name === '*') set.everyone = true;
      else set.aws.push(name);
    }
  }
  return set;
}

function parseConditions(raw: unknown): ConditionClause[] {
  if (raw === undefined) return [];
  if (!isObject(raw)) throw malformed('Syntax errors in policy: Condition must be an object.');
  const clauses: ConditionClause[] = [];
  for (const [name, keys] of Object.entries(raw)) {
    const { operator, qualifier, ifExists } = parseOperator(name);
    if (!isObject(keys)) throw malformed(`Syntax errors in policy: Condition ${name} must map keys to values.`);
    for (const [key, values] of Object.entries(keys)) {
      if (!/^[A-Za-z0-9-]+:.+/.test(key)) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      const clause: ConditionClause = { operator, ifExists, key, values: conditionValues(values, name) };
      if (qualifier) clause.qualifier = qualifier;
      clauses.push(clause);
    }
  }
  return clauses;
}

function parseOperator(name: string): Pick<ConditionClause, 'operator' | 'qualifier' | 'ifExists'> {
  const qualified = /^(ForAllValues|ForAnyValue):(.*)$/.exec(name);
  const qualifier = qualified?.[1] as ConditionClause['qualifier'];
  let base = qualified ? qualified[2]! : name;
  const ifExists = base !== 'Null' && base.endsWith('IfExists');
  if (ifExists) base = base.slice(0, -'IfExists'.length);
  if (!(CONDITION_OPERATORS as readonly string[]).includes(base)) throw malformed(`Invalid Condition type : ${name}.`);
  return { operator: base as ConditionOperator, qualifier, ifExists };
}

/** A condition's values as strings: IAM takes JSON numbers and booleans as their text. */
function conditionValues(raw: unknown, operator: string): string[] {
  const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  return list.map((value) => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw malformed(`Syntax errors in policy: the values of condition ${operator} must be strings, numbers or booleans.`);
  });
}

function stringList(raw: unknown, field: string): string[] {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string')) {
    throw malformed(`Syntax errors in policy: ${field} must be a string or a non-empty array of strings.`);
  }
  return list as string[];
}

function checkFields(raw: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const field of Object.keys(raw)) {
    if (!known.includes(field)) throw malformed(`Syntax errors in policy: unknown field ${field} in the ${where}.`);
  }
}

function checkUniqueSids(statements: Statement[]): void {
  const seen = new Set<string>();
  for (const { sid } of statements) {
    if (sid === undefined || sid === '') continue;
    if (seen.has(sid)) throw malformed('Statement IDs (SID) in a single policy must be unique.');
    seen.add(sid);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const malformed = (message: string) => new MalformedPolicyError(message);
