/**
 * Generates, from any model, a valid input for each operation and one invalid input per broken
 * rule (a required member missing, a string over its maximum length, a value outside its enum, a
 * number under its minimum), and turns inputs into requests of the model's own protocol.
 */
import type { HttpRequestParts, MemberRef, ServiceModel, Shape } from '../../src/index.js';
import { inputShapeName, jsonBody, lowerFirst, modelPatternRegex, quotable, shapeOf, xmlBody } from '../../src/index.js';

/** Strings tried, in order, for a member with a pattern; an operation that needs another is skipped. */
const CANDIDATES = [
  'a',
  'abc',
  'a1',
  '1',
  '123456789012',
  'abcdefghij1234567890-abc',
  'a/b',
  '/mnt/a',
  's3://a/b',
  'https://a',
  'UTF-8',
  '$LATEST',
  'arn:aws:kinesis:us-east-1:123456789012:stream/a',
  'arn:aws:firehose:us-east-1:123456789012:deliverystream/a',
  'arn:aws:iam::123456789012:role/a',
  'arn:aws:kms:us-east-1:123456789012:key/a',
  'arn:aws:s3:::a',
  'arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1',
  'arn:aws:lambda:us-east-1:123456789012:function:a',
  'arn:aws:kinesisanalytics:us-east-1:123456789012:application/a',
  'arn:aws:lambda:us-east-1:123456789012:layer:a:1',
  'SampleCount',
  'o-abcdefghij',
  'lambda:GetLayerVersion',
  'lambda:a',
  'aws:a',
  'aaaaaaaaaaa',
];

export class CannotSample extends Error {}

function sampleString(shape: Shape): string {
  if (shape.enum) return shape.enum[0]!;
  const min = shape.min ?? 0;
  const max = shape.max ?? Infinity;
  const fits = (s: string) => s.length >= min && s.length <= max && (!shape.pattern || modelPatternRegex(shape.pattern).test(s));
  for (const candidate of CANDIDATES) {
    const padded = candidate.length < min && !shape.pattern ? candidate.padEnd(min, 'a') : candidate;
    if (fits(padded)) return padded;
  }
  const plain = 'a'.repeat(Math.max(min, 1));
  if (fits(plain)) return plain;
  throw new CannotSample(`no sample for pattern ${shape.pattern}`);
}

/** A valid value of a shape: required members only, one item per collection. */
export function sampleOf(model: ServiceModel, name: string, depth = 0): unknown {
  if (depth > 8) throw new CannotSample(`shape ${name} nests too deep`);
  const shape = shapeOf(model, name);
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const member of shape.required ?? []) out[member] = sampleOf(model, shape.members![member]!.shape, depth + 1);
      if (shape.union) {
        const [first] = Object.entries(shape.members ?? {});
        if (first) out[first[0]] = sampleOf(model, first[1].shape, depth + 1);
      }
      return out;
    }
    case 'list':
      return Array.from({ length: Math.max(shape.min ?? 1, 1) }, () => sampleOf(model, shape.member!.shape, depth + 1));
    case 'map':
      return { [sampleString(shapeOf(model, shape.key!.shape))]: sampleOf(model, shape.value!.shape, depth + 1) };
    case 'string':
      return sampleString(shape);
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      return Math.min(Math.max(shape.min ?? 1, 1), shape.max ?? Infinity);
    case 'boolean':
      return true;
    case 'blob':
      return Buffer.alloc(Math.max(shape.min ?? 1, 1), 0x61);
    case 'timestamp':
      return new Date(1_700_000_000_000);
  }
}

export interface InvalidCase {
  operation: string;
  title: string;
  input: Record<string, unknown>;
  member: string;
  ref: MemberRef;
  kind: 'required' | 'max' | 'enum' | 'min';
  /** Coral's line for the broken rule (required cases: 'Member must not be null'). */
  line: string;
}

function lineOf(member: string, shown: string, rule: string): string {
  return `Value ${shown} at '${lowerFirst(member)}' failed to satisfy constraint: ${rule}`;
}

/** One invalid input per rule a top-level member of the operation's input can break. */
export function invalidCases(model: ServiceModel, operation: string, valid: Record<string, unknown>): InvalidCase[] {
  const shapeName = inputShapeName(model, operation)!;
  const shape = shapeOf(model, shapeName);
  const cases: InvalidCase[] = [];
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    const memberShape = shapeOf(model, ref.shape);
    const base = { operation, member, ref };
    if (shape.required?.includes(member)) {
      const input = { ...valid };
      delete input[member];
      cases.push({
        ...base,
        title: `${operation}: ${member} missing`,
        input,
        kind: 'required',
        line: lineOf(member, 'null', 'Member must not be null'),
      });
    }
    if (memberShape.type === 'string' && memberShape.max !== undefined && !memberShape.enum && memberShape.max < 5000) {
      const value = 'a'.repeat(memberShape.max + 1);
      cases.push({
        ...base,
        title: `${operation}: ${member} over ${memberShape.max}`,
        input: { ...valid, [member]: value },
        kind: 'max',
        line: lineOf(member, `'${quotable(value)}'`, `Member must have length less than or equal to ${memberShape.max}`),
      });
    }
    if (memberShape.type === 'string' && memberShape.enum) {
      const value = 'NOT_IN_THE_ENUM';
      // Only the start of the rule: AWS prints some value sets in an order of its own (validation.ts).
      cases.push({
        ...base,
        title: `${operation}: ${member} outside its enum`,
        input: { ...valid, [member]: value },
        kind: 'enum',
        line: lineOf(member, `'${value}'`, 'Member must satisfy enum value set: ['),
      });
    }
    if ((memberShape.type === 'integer' || memberShape.type === 'long') && memberShape.min !== undefined && memberShape.min > -1000) {
      const value = memberShape.min - 1;
      cases.push({
        ...base,
        title: `${operation}: ${member} under ${memberShape.min}`,
        input: { ...valid, [member]: value },
        kind: 'min',
        line: lineOf(member, `'${value}'`, `Member must have value greater than or equal to ${memberShape.min}`),
      });
    }
  }
  return cases;
}

// ---- Requests of each protocol ----

/** awsJson: the JSON body, with blobs in base64 and timestamps in epoch seconds. */
export function awsJsonBody(input: unknown): Buffer {
  // The replacer sees values after toJSON; `this[key]` is the value before it.
  return Buffer.from(
    JSON.stringify(input, function (this: Record<string, unknown>, key, value) {
      const raw = this[key];
      if (raw instanceof Date) return raw.getTime() / 1000;
      if (Buffer.isBuffer(raw)) return raw.toString('base64');
      return value;
    }),
    'utf8',
  );
}

function textOf(model: ServiceModel, ref: MemberRef, value: unknown): string {
  const shape = shapeOf(model, ref.shape);
  if (value instanceof Date)
    return shape.type === 'timestamp' && !ref.location?.startsWith('query') ? value.toUTCString() : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return String(value);
}

/** restJson1 / restXml: labels in the path, query members, headers, the rest as the body. */
export function restRequest(model: ServiceModel, operation: string, input: Record<string, unknown>, xml: boolean): HttpRequestParts {
  const op = model.operations[operation]!;
  const shapeName = inputShapeName(model, operation)!;
  const shape = shapeOf(model, shapeName);
  const [template, literal = ''] = op.http!.requestUri.split('?');
  const query = new URLSearchParams(literal);
  const headers: Record<string, string> = {};
  let path = template!;
  const body: Record<string, unknown> = {};
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    const value = input[member];
    const wire = ref.locationName ?? member;
    if (ref.location === 'uri') {
      const text = value === undefined ? '' : textOf(model, ref, value);
      path = path.replace(`{${wire}+}`, text.split('/').map(encodeURIComponent).join('/')).replace(`{${wire}}`, encodeURIComponent(text));
    } else if (value === undefined) {
      continue;
    } else if (ref.location === 'querystring') {
      if (Array.isArray(value)) for (const item of value) query.append(wire, textOf(model, shapeOf(model, ref.shape).member!, item));
      else if (shapeOf(model, ref.shape).type === 'map') for (const [k, v] of Object.entries(value as object)) query.append(k, String(v));
      else query.set(wire, textOf(model, ref, value));
    } else if (ref.location === 'header') {
      headers[wire.toLowerCase()] = Array.isArray(value) ? value.join(',') : textOf(model, ref, value);
    } else if (ref.location === 'headers') {
      for (const [k, v] of Object.entries(value as object)) headers[`${wire}${k}`.toLowerCase()] = String(v);
    } else {
      body[member] = value;
    }
  }
  return { method: op.http!.method, path, query, headers, body: restBody(model, shapeName, shape, body, xml) };
}

function restBody(model: ServiceModel, shapeName: string, shape: Shape, body: Record<string, unknown>, xml: boolean): Buffer {
  const codec = xml ? xmlBody : jsonBody;
  if (shape.payload) {
    const value = body[shape.payload];
    const ref = shape.members![shape.payload]!;
    const payloadShape = shapeOf(model, ref.shape);
    if (value === undefined) return Buffer.alloc(0);
    if (payloadShape.type === 'blob') return Buffer.from(value as Uint8Array);
    if (payloadShape.type === 'string') return Buffer.from(String(value));
    return codec.writePayload(model, shape.payload, ref, value);
  }
  if (Object.keys(body).length === 0) return Buffer.alloc(0);
  return codec.writeMembers(model, shapeName, shape, body);
}

/** awsQuery: the input flattened into a form. */
export function queryRequest(model: ServiceModel, operation: string, input: Record<string, unknown>): HttpRequestParts {
  const form = new URLSearchParams({ Action: operation, Version: model.metadata.apiVersion });
  flatten(model, shapeOf(model, inputShapeName(model, operation)!), input, '', form);
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(form.toString()),
  };
}

function flatten(model: ServiceModel, shape: Shape, value: Record<string, unknown>, prefix: string, form: URLSearchParams): void {
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    if (value[member] !== undefined) flattenValue(model, ref, value[member], prefix + (ref.locationName ?? member), form);
  }
}

function flattenValue(model: ServiceModel, ref: MemberRef, value: unknown, key: string, form: URLSearchParams): void {
  const shape = shapeOf(model, ref.shape);
  if (shape.type === 'structure') flatten(model, shape, value as Record<string, unknown>, `${key}.`, form);
  else if (shape.type === 'list')
    (value as unknown[]).forEach((item, i) => flattenValue(model, shape.member!, item, `${key}.member.${i + 1}`, form));
  else if (shape.type === 'map') {
    Object.entries(value as object).forEach(([k, v], i) => {
      form.set(`${key}.entry.${i + 1}.key`, k);
      flattenValue(model, shape.value!, v, `${key}.entry.${i + 1}.value`, form);
    });
  } else form.set(key, value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('base64') : String(value));
}
