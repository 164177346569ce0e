/**
 * Tables of bad requests and AWS's answers, GENERATED from the model: for every operation, every
 * constrained field at any depth (required members, string/blob/list/map lengths, number ranges,
 * patterns, enums, members of lists and maps) gets a request that breaks exactly that rule and the
 * exact message AWS gives. Likewise every member gets values of the wrong JSON type.
 *
 * The expected texts are built here independently of src/protocol/validation.ts (only the model is
 * shared), and awsTexts.test.ts pins the texts AWS itself gave, so the generator and the validator
 * cannot silently agree on a wrong rule.
 *
 * Inputs are JSON wire bodies (blobs as base64 text, timestamps as epoch seconds), so the same
 * tables can be driven over HTTP: `JSON.stringify(input)` is the request body.
 */
import { readFileSync } from 'node:fs';
import type { OperationName } from '../../src/services/kinesis/shapes.generated.js';
import { samplePattern } from './patternSample.js';

export interface ProtocolCase {
  /** What the case breaks, e.g. `PutRecords records.1.member.partitionKey: max length`. */
  name: string;
  operation: OperationName;
  /** The request body as a JSON value. */
  input: Record<string, unknown>;
  expectedType: 'ValidationException' | 'SerializationException';
  /** A RegExp only where AWS's text holds a Java identity hash (lists of structures). */
  expectedMessage: string | RegExp;
}

interface Shape {
  type: string;
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
}

interface Model {
  operations: Record<string, { input?: { shape: string } }>;
  shapes: Record<string, Shape>;
}

const model: Model = JSON.parse(readFileSync(new URL('../../../../aws/models/kinesis-2013-12-02.json', import.meta.url), 'utf8'));

const shape = (name: string): Shape => model.shapes[name]!;
const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const joinPath = (parent: string, child: string) => (parent ? `${parent}.${child}` : child);

/** AWS prints ShardIteratorType in its own order (kinesalite test/getShardIterator.js). */
const AWS_ENUM_ORDER: Record<string, string[]> = {
  ShardIteratorType: ['AFTER_SEQUENCE_NUMBER', 'LATEST', 'AT_TIMESTAMP', 'AT_SEQUENCE_NUMBER', 'TRIM_HORIZON'],
};

const SAMPLE_SECONDS = 1700000000;

// ---- Valid values ----

function validString(name: string, s: Shape, length = Math.max(s.min ?? 0, 1)): string {
  if (s.enum) return s.enum[0]!;
  if (s.pattern) return samplePattern(s.pattern, length);
  return 'a'.repeat(length);
}

/** The smallest valid wire value of a shape: required members only, one member per list or map. */
function validValue(name: string): unknown {
  const s = shape(name);
  switch (s.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const member of s.required ?? []) out[member] = validValue(s.members![member]!.shape);
      return out;
    }
    case 'list':
      return Array.from({ length: Math.max(s.min ?? 0, 1) }, () => validValue(s.member!.shape));
    case 'map':
      return { [validValue(s.key!.shape) as string]: validValue(s.value!.shape) };
    case 'string':
      return validString(name, s);
    case 'integer':
    case 'long':
      return Math.min(s.min ?? 1, s.max ?? Infinity);
    case 'boolean':
      return true;
    case 'blob':
      return Buffer.from('data').toString('base64');
    case 'timestamp':
      return SAMPLE_SECONDS;
    default:
      throw new Error(`no sample for ${name} (${s.type})`);
  }
}

/** A request every validator accepts: the operation's required members, each valid. */
export function validInputOf(operation: OperationName): Record<string, unknown> {
  return validValue(model.operations[operation]!.input!.shape) as Record<string, unknown>;
}

// ---- Expected texts, written from AWS's recorded rules ----

const line = (shown: string, path: string, rule: string) => `Value ${shown} at '${path}' failed to satisfy constraint: ${rule}`;
const message = (lines: string[]) => `${lines.length} validation error${lines.length === 1 ? '' : 's'} detected: ${lines.join('; ')}`;
/** AWS-style quoting, cut as Freshet cuts values past 64 Ki characters (docs/compatibility.md). */
const MAX_QUOTED_CHARACTERS = 64 * 1024;
const quoted = (text: string) => `'${text.length > MAX_QUOTED_CHARACTERS ? text.slice(0, MAX_QUOTED_CHARACTERS) + '...' : text}'`;
const heapByteBuffer = (length: number) => `java.nio.HeapByteBuffer[pos=0 lim=${length} cap=${length}]`;

const ruleText = {
  pattern: (p: string) => `Member must satisfy regular expression pattern: ${p}`,
  minLength: (n: number) => `Member must have length greater than or equal to ${n}`,
  maxLength: (n: number) => `Member must have length less than or equal to ${n}`,
  minValue: (n: number) => `Member must have value greater than or equal to ${n}`,
  maxValue: (n: number) => `Member must have value less than or equal to ${n}`,
  enum: (name: string, s: Shape) => `Member must satisfy enum value set: [${(AWS_ENUM_ORDER[name] ?? s.enum!).join(', ')}]`,
  notNull: 'Member must not be null',
};

/** The rules of a member shape as AWS lists them inside `[...]`: max, min, pattern, enum. */
function groupedRules(name: string): string[] {
  const s = shape(name);
  const number = s.type === 'integer' || s.type === 'long';
  const rules: string[] = [];
  if (s.max !== undefined) rules.push(number ? ruleText.maxValue(s.max) : ruleText.maxLength(s.max));
  if (s.min !== undefined) rules.push(number ? ruleText.minValue(s.min) : ruleText.minLength(s.min));
  if (s.pattern !== undefined) rules.push(ruleText.pattern(s.pattern));
  if (s.enum !== undefined) rules.push(ruleText.enum(name, s));
  return rules;
}

/** String rules in AWS's order for a value at its own path: pattern, min length, max length. */
function stringViolations(name: string, value: string): string[] {
  const s = shape(name);
  const rules: string[] = [];
  if (s.pattern !== undefined && !new RegExp(`^(?:${s.pattern})$`).test(value)) rules.push(ruleText.pattern(s.pattern));
  if (s.min !== undefined && value.length < s.min) rules.push(ruleText.minLength(s.min));
  if (s.max !== undefined && value.length > s.max) rules.push(ruleText.maxLength(s.max));
  if (s.enum !== undefined && !s.enum.includes(value)) rules.push(ruleText.enum(name, s));
  return rules;
}

/** A member value that breaks a simple shape's rules, for the list/map group cases. */
function invalidSimpleValue(name: string): string | number | undefined {
  const s = shape(name);
  if (s.enum) return 'NOT_A_VALID_VALUE';
  if (s.type === 'string') {
    if ((s.min ?? 0) >= 1) return '';
    if (s.max !== undefined) return 'a'.repeat(s.max + 1);
    if (s.pattern) return 'a b';
  }
  if (s.type === 'integer' || s.type === 'long') {
    if (s.min !== undefined) return s.min - 1;
    if (s.max !== undefined) return s.max + 1;
  }
  return undefined;
}

// ---- The generator ----

type Place = (value: unknown) => Record<string, unknown>;

/** Records one case; `what` names the field's path and the rule broken. */
type Emit = (what: string, input: Record<string, unknown>, expected: string | RegExp) => void;

function stringCases(name: string, put: Place, path: string, emit: Emit): void {
  const s = shape(name);
  const tryValue = (what: string, value: string) => {
    const rules = stringViolations(name, value);
    if (rules.length > 0) emit(`${path}: ${what}`, put(value), message(rules.map((rule) => line(quoted(value), path, rule))));
  };
  if (s.enum) tryValue('enum', 'NOT_A_VALID_VALUE');
  if (s.pattern) tryValue('pattern', 'a b');
  if ((s.min ?? 0) >= 1) tryValue('min length', s.pattern ? samplePattern(s.pattern).slice(0, s.min! - 1) : 'a'.repeat(s.min! - 1));
  if (s.max !== undefined) {
    const stretched = validString(name, s, s.max + 1);
    // A pattern with no open-ended repeat cannot grow past the maximum and still match.
    tryValue('max length', stretched.length > s.max ? stretched : 'a'.repeat(s.max + 1));
  }
}

function numberCases(name: string, put: Place, path: string, emit: Emit): void {
  const s = shape(name);
  if (s.min !== undefined)
    emit(`${path}: min value`, put(s.min - 1), message([line(quoted(String(s.min - 1)), path, ruleText.minValue(s.min))]));
  if (s.max !== undefined)
    emit(`${path}: max value`, put(s.max + 1), message([line(quoted(String(s.max + 1)), path, ruleText.maxValue(s.max))]));
}

function blobCases(name: string, put: Place, path: string, emit: Emit): void {
  const s = shape(name);
  const blobOf = (length: number) => Buffer.alloc(length, 7).toString('base64');
  if ((s.min ?? 0) >= 1) {
    emit(
      `${path}: min length`,
      put(blobOf(s.min! - 1)),
      message([line(quoted(heapByteBuffer(s.min! - 1)), path, ruleText.minLength(s.min!))]),
    );
  }
  if (s.max !== undefined) {
    emit(
      `${path}: max length`,
      put(blobOf(s.max + 1)),
      message([line(quoted(heapByteBuffer(s.max + 1)), path, ruleText.maxLength(s.max))]),
    );
  }
}

/** How AWS prints a list of simple values: Java's List.toString. */
const printList = (items: unknown[]) => `[${items.join(', ')}]`;
const printMap = (map: Record<string, unknown>) =>
  `{${Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`;
/** Java's default toString of a structure: the hash is AWS's own, so only its form is checked. */
const STRUCTURE_IN_LIST = (shapeName: string) => `com\\.amazonaws\\.kinesis\\.v20131202\\.${shapeName}@[0-9a-f]+`;

function listCases(name: string, put: Place, path: string, emit: Emit): void {
  const s = shape(name);
  const memberName = s.member!.shape;
  const member = shape(memberName);
  const isStructure = member.type === 'structure';
  const expectList = (items: unknown[], rule: string): string | RegExp => {
    if (!isStructure || items.length === 0) return message([line(quoted(printList(items)), path, rule)]);
    const shown = `\\[${items.map(() => STRUCTURE_IN_LIST(memberName)).join(', ')}\\]`;
    return new RegExp(`^${escapeRegex(message([line("'@LIST@'", path, rule)])).replace('@LIST@', shown)}$`);
  };
  if ((s.min ?? 0) >= 1) emit(`${path}: min length`, put([]), expectList([], ruleText.minLength(s.min!)));
  if (s.max !== undefined) {
    const items = distinctValidMembers(memberName, s.max + 1);
    emit(`${path}: max length`, put(items), expectList(items, ruleText.maxLength(s.max)));
  }
  if (isStructure) {
    structureCases(memberName, (v) => put([v]), `${path}.1.member`, emit);
    return;
  }
  const bad = invalidSimpleValue(memberName);
  if (bad !== undefined) {
    const items = [validValue(memberName), bad];
    emit(
      `${path}: member rules`,
      put(items),
      message([line(quoted(printList(items)), path, `Member must satisfy constraint: [${groupedRules(memberName).join(', ')}]`)]),
    );
  }
}

/** Members for an over-long list: enum values in turn, strings numbered so they read well. */
function distinctValidMembers(memberName: string, count: number): unknown[] {
  const member = shape(memberName);
  return Array.from({ length: count }, (_, i) => {
    if (member.enum) return member.enum[i % member.enum.length];
    if (member.type === 'string' && !member.pattern) return `k${i}`;
    return validValue(memberName);
  });
}

function mapCases(name: string, put: Place, path: string, emit: Emit): void {
  const s = shape(name);
  const keyName = s.key!.shape;
  const valueName = s.value!.shape;
  const validEntryValue = validValue(valueName);
  const expectMap = (map: Record<string, unknown>, rule: string) => message([line(quoted(printMap(map)), path, rule)]);
  if ((s.min ?? 0) >= 1) emit(`${path}: min length`, put({}), expectMap({}, ruleText.minLength(s.min!)));
  if (s.max !== undefined) {
    const map = Object.fromEntries(Array.from({ length: s.max + 1 }, (_, i) => [`k${i}`, validEntryValue]));
    emit(`${path}: max length`, put(map), expectMap(map, ruleText.maxLength(s.max)));
  }
  const badKey = invalidSimpleValue(keyName);
  if (badKey !== undefined) {
    const map = { [String(badKey)]: validEntryValue };
    emit(`${path}: key rules`, put(map), expectMap(map, `Map keys must satisfy constraint: [${groupedRules(keyName).join(', ')}]`));
  }
  const badValue = invalidSimpleValue(valueName);
  if (badValue !== undefined) {
    const map = { [validValue(keyName) as string]: badValue };
    emit(`${path}: value rules`, put(map), expectMap(map, `Map value must satisfy constraint: [${groupedRules(valueName).join(', ')}]`));
  }
}

function valueCases(name: string, put: Place, path: string, emit: Emit): void {
  switch (shape(name).type) {
    case 'structure':
      return structureCases(name, put, path, emit);
    case 'list':
      return listCases(name, put, path, emit);
    case 'map':
      return mapCases(name, put, path, emit);
    case 'string':
      return stringCases(name, put, path, emit);
    case 'integer':
    case 'long':
      return numberCases(name, put, path, emit);
    case 'blob':
      return blobCases(name, put, path, emit);
    default:
      return; // booleans and timestamps carry no constraints
  }
}

function structureCases(name: string, place: Place, path: string, emit: Emit): void {
  const s = shape(name);
  const base = validValue(name) as Record<string, unknown>;
  for (const [member, ref] of Object.entries(s.members ?? {})) {
    const memberPath = joinPath(path, lowerFirst(member));
    if (s.required?.includes(member)) {
      const { [member]: _omitted, ...rest } = base;
      emit(`${memberPath}: required`, place(rest), message([line('null', memberPath, ruleText.notNull)]));
    }
    valueCases(ref.shape, (value) => place({ ...base, [member]: value }), memberPath, emit);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function operations(): OperationName[] {
  return Object.keys(model.operations).filter((op) => model.operations[op]!.input) as OperationName[];
}

function generateValidationCases(): ProtocolCase[] {
  const cases: ProtocolCase[] = [];
  for (const operation of operations()) {
    const emit: Emit = (what, input, expectedMessage) =>
      cases.push({ name: `${operation} ${what}`, operation, input, expectedType: 'ValidationException', expectedMessage });
    structureCases(model.operations[operation]!.input!.shape, (value) => value as Record<string, unknown>, '', emit);
  }
  return cases;
}

// ---- Wrong JSON types (SerializationException) ----

const LIST_FOUND = 'Start of list found where not expected';
const OBJECT_FOUND = 'Start of structure or map found where not expected.';
const BIG_NUMBER = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';

/** AWS's answers to wrong JSON types, by shape type (kinesalite test/helpers.js assertType). */
function wrongTypes(type: string): Array<[unknown, string]> {
  switch (type) {
    case 'string':
      return [
        [true, 'class java.lang.Boolean can not be converted to an String'],
        [23, `${BIG_NUMBER} can not be converted to an String`],
        [[], LIST_FOUND],
        [{}, OBJECT_FOUND],
      ];
    case 'integer':
      return [
        ['23', 'class java.lang.String can not be converted to an Integer'],
        [true, 'class java.lang.Boolean can not be converted to an Integer'],
        [[], LIST_FOUND],
        [{}, OBJECT_FOUND],
      ];
    case 'long':
      return [
        ['23', 'class java.lang.String can not be converted to an Long'],
        [true, 'class java.lang.Boolean can not be converted to an Long'],
        [[], LIST_FOUND],
        [{}, OBJECT_FOUND],
      ];
    case 'boolean':
      return [
        ['23', "'23' can not be converted to an Boolean"],
        [23, `${BIG_NUMBER} can not be converted to an Boolean`],
        [[], LIST_FOUND],
        [{}, OBJECT_FOUND],
      ];
    case 'blob':
      return [
        [true, 'class java.lang.Boolean can not be converted to a Blob'],
        [23, `${BIG_NUMBER} can not be converted to a Blob`],
        [[], LIST_FOUND],
        [{}, OBJECT_FOUND],
        ['23456', "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5"],
        ['=+/=', "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='"],
        ['+/+=', "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"],
      ];
    case 'timestamp':
      return [
        ['x', 'class java.lang.String can not be converted to milliseconds since epoch'],
        [true, 'class java.lang.Boolean can not be converted to milliseconds since epoch'],
        [[], LIST_FOUND],
        [{}, OBJECT_FOUND],
      ];
    case 'list':
      return [
        ['23', 'Expected list or null'],
        [true, 'Expected list or null'],
        [23, 'Expected list or null'],
        [{}, OBJECT_FOUND],
      ];
    case 'map':
      return [
        ['23', 'Expected map or null'],
        [true, 'Expected map or null'],
        [23, 'Expected map or null'],
        [[], LIST_FOUND],
      ];
    case 'structure':
      return [
        ['23', 'Expected null'],
        [true, 'Expected null'],
        [23, 'Expected null'],
        [[], LIST_FOUND],
      ];
    default:
      return [];
  }
}

function typeCases(name: string, put: Place, path: string, emit: Emit): void {
  const s = shape(name);
  for (const [value, text] of wrongTypes(s.type)) emit(`${path}: ${JSON.stringify(value)}`, put(value), text);
  if (s.type === 'structure') {
    const base = validValue(name) as Record<string, unknown>;
    for (const [member, ref] of Object.entries(s.members ?? {})) {
      typeCases(ref.shape, (value) => put({ ...base, [member]: value }), joinPath(path, member), emit);
    }
  } else if (s.type === 'list') {
    typeCases(s.member!.shape, (value) => put([value]), `${path}.0`, emit);
  } else if (s.type === 'map') {
    typeCases(s.value!.shape, (value) => put({ a: value }), `${path}.a`, emit);
  }
}

function generateSerializationCases(): ProtocolCase[] {
  const cases: ProtocolCase[] = [];
  for (const operation of operations()) {
    const inputShape = shape(model.operations[operation]!.input!.shape);
    const base = validInputOf(operation);
    for (const [member, ref] of Object.entries(inputShape.members ?? {})) {
      const emit: Emit = (what, input, expectedMessage) =>
        cases.push({ name: `${operation} ${what}`, operation, input, expectedType: 'SerializationException', expectedMessage });
      typeCases(ref.shape, (value) => ({ ...base, [member]: value }), member, emit);
    }
  }
  return cases;
}

export const validationCases: readonly ProtocolCase[] = generateValidationCases();
export const serializationCases: readonly ProtocolCase[] = generateSerializationCases();
