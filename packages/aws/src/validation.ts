/**
 * Input validation derived from the model: required members, lengths, value ranges, patterns and
 * enums, answered with AWS's ValidationException texts. Nothing here knows any operation: each
 * shape is compiled once into a closure that checks a decoded value.
 *
 * AWS's rules, as recorded against real AWS by kinesalite (mhart/kinesalite validations/index.js
 * and test/*.js) and by AWS users' reports of other Coral services:
 * - one line per failed constraint: `Value <v> at '<path>' failed to satisfy constraint: <rule>`;
 * - lines joined with "; " after `N validation error(s) detected: `; at most 10 are listed, and N
 *   counts the listed ones;
 * - a string's constraints are checked pattern first, then minimum, then maximum length;
 * - a list (or map) of simple values gets one line for all its members at the list's path:
 *   `Member must satisfy constraint: [<every rule of the member shape>]` (maps: `Map keys must ...`,
 *   `Map value must ...`), listing the member's rules maximum first, then minimum, then pattern;
 * - a list of structures is checked member by member at `<list>.<1-based index>.member.<field>`.
 */
import { validationError } from './errors.js';
import { inputShapeName, lowerFirst, memoizeByShape, shapeOf, type ServiceModel, type Shape } from './model.js';

/** AWS lists at most this many violations in one message. */
export const MAX_LISTED_VIOLATIONS = 10;

/**
 * Enum value sets that AWS prints in an order other than the model's. AWS's order comes from its
 * internal model; the only one on record is ShardIteratorType (kinesalite test/getShardIterator.js:
 * `[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]`).
 */
const AWS_ENUM_ORDER: Record<string, readonly string[]> = {
  ShardIteratorType: ['AFTER_SEQUENCE_NUMBER', 'LATEST', 'AT_TIMESTAMP', 'AT_SEQUENCE_NUMBER', 'TRIM_HORIZON'],
};

/**
 * How much of a client's value an error message quotes. AWS quotes the value a rule refused, and
 * quotes long ones whole as far as recordings go: kinesalite's recordings against Kinesis have a
 * 257-character partition key and a 501-entry Records list printed as Java objects (about 33,000
 * characters) in full. Nothing on record shows a bound, but a 15 MiB value echoed whole costs the
 * server its memory twice over and the client a useless answer; so values are quoted whole up to
 * 64 Ki characters, twice the longest quote on record, and longer ones are cut there and end with
 * `...` (docs/compatibility.md).
 */
export const MAX_QUOTED_CHARACTERS = 64 * 1024;

/** A client's value as an error message quotes it: whole when short, else its beginning and `...`. */
export function quotable(text: string): string {
  if (text.length <= MAX_QUOTED_CHARACTERS) return text;
  // Do not cut a surrogate pair in half: the message must stay valid UTF-16 (and UTF-8 on the wire).
  const end = /[\ud800-\udbff]/.test(text.charAt(MAX_QUOTED_CHARACTERS - 1)) ? MAX_QUOTED_CHARACTERS - 1 : MAX_QUOTED_CHARACTERS;
  return text.slice(0, end) + '...';
}

/** A value is printed the way AWS's Java service prints it (String.valueOf of the bound object). */
type Printer = (value: unknown) => string;

/** Which kind of rule a value broke; APIs other than Coral's word each kind their own way. */
export type ViolationKind = 'required' | 'pattern' | 'min' | 'max' | 'enum' | 'group';

/**
 * One broken rule, as data: `path` is Coral's (`metricData.1.member.metricName`), from which a
 * codec finds the member on its own wire (`MetricData.member.1.MetricName`, a header, a label).
 */
export interface Violation {
  path: string;
  kind: ViolationKind;
  value: unknown;
  /** Coral's words for the rule (`Member must have length less than or equal to 128`). */
  rule: string;
}

/** Collects violation lines until AWS's limit is reached. */
export class Violations {
  readonly lines: string[] = [];
  /** The same violations as data, in the same order. */
  readonly found: Violation[] = [];

  get full(): boolean {
    return this.lines.length >= MAX_LISTED_VIOLATIONS;
  }

  add(value: unknown, print: Printer, path: string, rule: string, kind: ViolationKind = 'group'): void {
    if (this.full) return;
    const shown = value === null || value === undefined ? 'null' : `'${quotable(print(value))}'`;
    this.lines.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${rule}`);
    this.found.push({ path, kind, value, rule });
  }

  message(): string {
    const count = this.lines.length;
    return `${count} validation error${count === 1 ? '' : 's'} detected: ${this.lines.join('; ')}`;
  }
}

/** Checks one non-null value of a shape found at `path`. */
type Validator = (value: any, path: string, violations: Violations) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Rule {
  kind: 'pattern' | 'min' | 'max' | 'enum' | 'group';
  holds: (value: any) => boolean; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

// ---- Rules of scalar shapes ----

function enumValues(shapeName: string, shape: Shape): readonly string[] {
  const awsOrder = AWS_ENUM_ORDER[shapeName];
  const modelValues = shape.enum!;
  const samePermutation = awsOrder && awsOrder.length === modelValues.length && modelValues.every((v) => awsOrder.includes(v));
  return samePermutation ? awsOrder : modelValues;
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  return Object.keys(value as object).length;
}

/**
 * The models' patterns are Java regexes. Two Java features a JS RegExp lacks by default:
 * Unicode classes like `\p{L}` (JS knows them only in `u` mode, which is stricter about other
 * escapes, so only the patterns that need it get it), and possessive quantifiers like `\d{1}+`
 * (Kinesis Analytics' ApplicationARN), which JS refuses outright; for a whole-value match they
 * accept what the plain quantifier does, so a pattern JS refuses is retried without them.
 */
export function modelPatternRegex(pattern: string): RegExp {
  const source = `^(?:${pattern})$`;
  if (/\\[pP]\{/.test(pattern)) {
    try {
      return new RegExp(source, 'u');
    } catch {
      // fall through: a pattern u mode refuses keeps the plain reading
    }
  }
  try {
    return new RegExp(source);
  } catch (err) {
    const withoutPossessives = source.replace(/([}*?+])\+/g, '$1');
    if (withoutPossessives === source) throw err;
    return new RegExp(withoutPossessives);
  }
}

/** Rules in the order AWS reports them for a value at its own path. */
function rulesOf(shapeName: string, shape: Shape): Rule[] {
  const rules: Rule[] = [];
  if (shape.pattern !== undefined) {
    const regex = modelPatternRegex(shape.pattern); // AWS matches the whole value
    rules.push({
      kind: 'pattern',
      holds: (v: string) => regex.test(v),
      text: `Member must satisfy regular expression pattern: ${shape.pattern}`,
    });
  }
  const isNumber = shape.type === 'integer' || shape.type === 'long' || shape.type === 'double' || shape.type === 'float';
  if (shape.min !== undefined) {
    const min = shape.min;
    rules.push(
      isNumber
        ? { kind: 'min', holds: (v: number) => v >= min, text: `Member must have value greater than or equal to ${min}` }
        : { kind: 'min', holds: (v) => lengthOf(v) >= min, text: `Member must have length greater than or equal to ${min}` },
    );
  }
  if (shape.max !== undefined) {
    const max = shape.max;
    rules.push(
      isNumber
        ? { kind: 'max', holds: (v: number) => v <= max, text: `Member must have value less than or equal to ${max}` }
        : { kind: 'max', holds: (v) => lengthOf(v) <= max, text: `Member must have length less than or equal to ${max}` },
    );
  }
  if (shape.enum !== undefined) {
    const values = enumValues(shapeName, shape);
    const allowed = new Set(values);
    rules.push({ kind: 'enum', holds: (v: string) => allowed.has(v), text: `Member must satisfy enum value set: [${values.join(', ')}]` });
  }
  return rules;
}

/** The same rules as AWS lists them inside `[...]` for members of a list or map: max, min, pattern, enum. */
const NESTED_RULE_ORDER: Rule['kind'][] = ['max', 'min', 'pattern', 'enum'];

function nestedRuleTexts(rules: Rule[]): string[] {
  const rank = (rule: Rule) => NESTED_RULE_ORDER.indexOf(rule.kind);
  return [...rules].sort((a, b) => rank(a) - rank(b)).map((rule) => rule.text);
}

// ---- Printing values as AWS does ----

/** Java's String.hashCode, as Object.toString would show a structure's identity. */
function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash >>> 0;
}

/** A content description for hashing; blobs count by length so a 10 MiB record stays cheap. */
function describeForHash(value: unknown): string {
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(describeForHash).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}:${describeForHash(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The Java package of a Coral service's model classes: `com.amazonaws.kinesis.v20131202`. */
function javaPackageOf(model: ServiceModel): string {
  const { endpointPrefix, apiVersion } = model.metadata;
  return `com.amazonaws.${endpointPrefix}.v${apiVersion.replaceAll('-', '')}`;
}

/**
 * AWS prints a structure as Java's default toString, `com.amazonaws.kinesis.v20131202.<Shape>@<hash>`.
 * Its hash is content-derived but not reproducible from outside; ours is content-derived too.
 */
const printers = memoizeByShape<Printer>((shape, printerOf, name, model) => {
  switch (shape.type) {
    case 'structure': {
      const javaClass = `${javaPackageOf(model)}.${name}`;
      return (value) => `${javaClass}@${javaStringHash(describeForHash(value)).toString(16)}`;
    }
    case 'list': {
      const printMember = printerOf(shape.member!.shape);
      return (value) => joinQuotable('[', (value as unknown[]).length, (i) => printMember((value as unknown[])[i]), ']');
    }
    case 'map': {
      const printValue = printerOf(shape.value!.shape);
      return (value) => {
        const map = value as Record<string, unknown>;
        const keys = Object.keys(map);
        return joinQuotable('{', keys.length, (i) => `${keys[i]}=${printValue(map[keys[i]!])}`, '}');
      };
    }
    case 'blob':
      return (value) => {
        const length = (value as Uint8Array).byteLength;
        return `java.nio.HeapByteBuffer[pos=0 lim=${length} cap=${length}]`;
      };
    case 'timestamp':
      return (value) => (value as Date).toISOString();
    default:
      return (value) => String(value);
  }
});

/**
 * `open`, the `count` items joined with ", ", and `close`, as Java prints a collection; but only
 * as far as a message would quote it (quotable cuts the rest), so a list of a million members
 * costs no more to print than one of a thousand.
 */
function joinQuotable(open: string, count: number, item: (i: number) => string, close: string): string {
  let out = open;
  for (let i = 0; i < count; i++) {
    if (out.length > MAX_QUOTED_CHARACTERS) return out;
    out += (i > 0 ? ', ' : '') + item(i);
  }
  return out + close;
}

/** What compiling the validators of one model needs at hand. */
interface Compiling {
  shape(name: string): Shape;
  printerOf(name: string): Printer;
  validatorOf(name: string): Validator;
}

// ---- Validators ----

function scalarValidator(rules: Rule[], print: Printer): Validator {
  return (value, path, violations) => {
    for (const rule of rules) if (!rule.holds(value)) violations.add(value, print, path, rule.text, rule.kind);
  };
}

function structureValidator(c: Compiling, shape: Shape): Validator {
  const required = new Set(shape.required ?? []);
  const members = Object.entries(shape.members ?? {}).map(([name, ref]) => ({
    name,
    segment: lowerFirst(name),
    required: required.has(name),
    print: c.printerOf(ref.shape),
    validate: c.validatorOf(ref.shape),
  }));
  return (value, path, violations) => {
    for (const member of members) {
      if (violations.full) return;
      const memberValue = value[member.name];
      const memberPath = path ? `${path}.${member.segment}` : member.segment;
      if (memberValue === undefined || memberValue === null) {
        if (member.required) violations.add(null, member.print, memberPath, 'Member must not be null', 'required');
      } else {
        member.validate(memberValue, memberPath, violations);
      }
    }
  };
}

/** Members that are structures or collections are checked one by one; simple members as a group. */
function isCompound(shape: Shape): boolean {
  return shape.type === 'structure' || shape.type === 'list' || shape.type === 'map';
}

/** One line for the whole collection if any member breaks any of the member shape's rules. */
function groupRule(c: Compiling, memberShapeName: string, prefix: string): Rule | undefined {
  const memberRules = rulesOf(memberShapeName, c.shape(memberShapeName));
  if (memberRules.length === 0) return undefined;
  const everyMemberHolds = (v: unknown) => memberRules.every((rule) => rule.holds(v));
  return {
    kind: 'group',
    holds: (members: unknown[]) => members.every(everyMemberHolds),
    text: `${prefix} must satisfy constraint: [${nestedRuleTexts(memberRules).join(', ')}]`,
  };
}

function listValidator(c: Compiling, name: string, shape: Shape): Validator {
  const print = c.printerOf(name);
  const ownRules = rulesOf(name, shape);
  const memberShapeName = shape.member!.shape;
  if (isCompound(c.shape(memberShapeName))) {
    const validateMember = c.validatorOf(memberShapeName);
    return (value: unknown[], path, violations) => {
      for (const rule of ownRules) if (!rule.holds(value)) violations.add(value, print, path, rule.text, rule.kind);
      for (let i = 0; i < value.length && !violations.full; i++) {
        validateMember(value[i], `${path}.${i + 1}.member`, violations);
      }
    };
  }
  const memberRule = groupRule(c, memberShapeName, 'Member');
  return scalarValidator(memberRule ? [...ownRules, memberRule] : ownRules, print);
}

function mapValidator(c: Compiling, name: string, shape: Shape): Validator {
  const print = c.printerOf(name);
  const rules = rulesOf(name, shape);
  const keyRule = groupRule(c, shape.key!.shape, 'Map keys');
  if (keyRule) rules.push({ kind: 'group', holds: (v: object) => keyRule.holds(Object.keys(v)), text: keyRule.text });
  const valueShapeName = shape.value!.shape;
  if (!isCompound(c.shape(valueShapeName))) {
    const valueRule = groupRule(c, valueShapeName, 'Map value'); // sic: AWS says "value", not "values"
    if (valueRule) rules.push({ kind: 'group', holds: (v: object) => valueRule.holds(Object.values(v)), text: valueRule.text });
    return scalarValidator(rules, print);
  }
  const validateValue = c.validatorOf(valueShapeName);
  return (value: Record<string, unknown>, path, violations) => {
    for (const rule of rules) if (!rule.holds(value)) violations.add(value, print, path, rule.text, rule.kind);
    for (const key of Object.keys(value)) {
      if (violations.full) return;
      validateValue(value[key], `${path}.${quotable(key)}.member`, violations);
    }
  };
}

/** The validator of a shape, compiled on first use and kept. */
export const validatorOf: (model: ServiceModel, shapeName: string) => Validator = memoizeByShape<Validator>(
  (shape, validatorOf, name, model) => {
    const c: Compiling = { shape: (n) => shapeOf(model, n), printerOf: (n) => printers(model, n), validatorOf };
    switch (shape.type) {
      case 'structure':
        return structureValidator(c, shape);
      case 'list':
        return listValidator(c, name, shape);
      case 'map':
        return mapValidator(c, name, shape);
      default:
        return scalarValidator(rulesOf(name, shape), c.printerOf(name));
    }
  },
);

/** The violations of an operation's input, in AWS's order; none when it is valid. */
export function inputViolations(model: ServiceModel, op: string, input: object): Violations {
  const violations = new Violations();
  const shapeName = inputShapeName(model, op);
  if (shapeName) validatorOf(model, shapeName)(input, '', violations);
  return violations;
}

/** Throws AWS's ValidationException if a decoded input breaks any rule of its operation's model. */
export function validateInput(model: ServiceModel, op: string, input: object): void {
  const violations = inputViolations(model, op, input);
  if (violations.lines.length > 0) throw validationError(violations.message());
}

/** Compiles every operation's validator now, so the first request pays nothing. */
export function compileAllValidators(model: ServiceModel): void {
  for (const op of Object.keys(model.operations)) {
    const shapeName = inputShapeName(model, op);
    if (shapeName) validatorOf(model, shapeName);
  }
}
