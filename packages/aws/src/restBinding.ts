/**
 * What restJson1 and restXml share: finding the operation from the method, the path and the query
 * (the model's `http.requestUri` templates), and moving members between a structure and the
 * request's or answer's URI labels, query string, headers and status code. Only the body differs
 * between the two protocols (JSON or XML); each codec brings its own.
 */
import type { BadValue } from './dialects.js';
import { shapeOf, type MemberRef, type OperationModel, type ServiceModel, type Shape } from './model.js';
import type { HttpRequestParts } from './protocol.js';
import { readScalar, ScalarError, writeScalar, type TimestampFormat } from './scalars.js';

// ---- Routing ----

interface Route {
  operation: string;
  method: string;
  path: RegExp;
  /** The same template with labels allowed to be empty. */
  lenient: RegExp;
  labels: string[];
  /** Query keys the requestUri names literally (`?tagging`, `?list-type=2`): value or undefined for any. */
  literalQuery: Array<[string, string | undefined]>;
  /** Query keys and headers the input requires: UploadPart is PutObject plus `partNumber` and `uploadId`. */
  requiredQuery: string[];
  requiredHeaders: string[];
  /** Higher is more specific; routes are tried in that order. */
  score: number;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `/{Bucket}/{Key+}` -> a RegExp with one group per label; greedy labels may span slashes. */
function compilePath(template: string): { regex: RegExp; lenient: RegExp; labels: string[]; literalChars: number } {
  const labels: string[] = [];
  let literalChars = 0;
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const label = /^\{([^}+]+)(\+?)\}$/.exec(part);
      if (!label) {
        literalChars += part.length;
        return escapeRegex(part);
      }
      labels.push(label[1]!);
      return label[2] ? '(.+)' : '([^/]+)';
    })
    .join('');
  // A trailing slash is optional on the wire (`/2015-03-31/functions/` and `.../functions`).
  const trimmed = source.endsWith('/') && source.length > 1 ? source.slice(0, -1) : source;
  // The lenient form lets labels be empty, to tell a request that left one out what it lacks.
  const lenient = new RegExp(`^${trimmed.replaceAll('(.+)', '(.*)').replaceAll('([^/]+)', '([^/]*)')}/?$`);
  return { regex: new RegExp(`^${trimmed}/?$`), lenient, labels, literalChars };
}

function locatedRequired(model: ServiceModel, op: OperationModel, location: 'querystring' | 'header'): string[] {
  if (!op.input) return [];
  const shape = shapeOf(model, op.input.shape);
  return (
    (shape.required ?? [])
      .map((name) => [name, shape.members?.[name]] as const)
      .filter(([, ref]) => ref?.location === location)
      // Node gives header names in lower case; query keys keep their case.
      .map(([name, ref]) => (location === 'header' ? (ref!.locationName ?? name).toLowerCase() : (ref!.locationName ?? name)))
  );
}

function compileRoute(model: ServiceModel, name: string, op: OperationModel): Route {
  const [pathTemplate, queryTemplate = ''] = op.http!.requestUri.split('?');
  const { regex, lenient, labels, literalChars } = compilePath(pathTemplate!);
  const literalQuery = queryTemplate
    .split('&')
    .filter(Boolean)
    .map((part): [string, string | undefined] => {
      const eq = part.indexOf('=');
      return eq < 0 ? [part, undefined] : [part.slice(0, eq), part.slice(eq + 1)];
    });
  const requiredQuery = locatedRequired(model, op, 'querystring');
  const requiredHeaders = locatedRequired(model, op, 'header');
  const greedy = /\+\}/.test(pathTemplate!) ? 0 : 1;
  const score = (literalQuery.length + requiredQuery.length + requiredHeaders.length) * 1e6 + literalChars * 10 + greedy;
  return {
    operation: name,
    method: op.http!.method.toUpperCase(),
    path: regex,
    lenient,
    labels,
    literalQuery,
    requiredQuery,
    requiredHeaders,
    score,
  };
}

const routeTables = new WeakMap<ServiceModel, Route[]>();

function routesOf(model: ServiceModel): Route[] {
  let routes = routeTables.get(model);
  if (!routes) {
    routes = Object.entries(model.operations)
      .filter(([, op]) => op.http)
      .map(([name, op]) => compileRoute(model, name, op))
      .sort((a, b) => b.score - a.score);
    routeTables.set(model, routes);
  }
  return routes;
}

function routeMatches(route: Route, request: HttpRequestParts): RegExpExecArray | undefined {
  if (route.method !== request.method.toUpperCase()) return undefined;
  for (const [key, value] of route.literalQuery) {
    if (!request.query.has(key)) return undefined;
    if (value !== undefined && request.query.get(key) !== value) return undefined;
  }
  if (!route.requiredQuery.every((key) => request.query.has(key))) return undefined;
  if (!route.requiredHeaders.every((header) => request.headers[header] !== undefined)) return undefined;
  return route.path.exec(request.path) ?? undefined;
}

export interface RouteMatch {
  operation: string;
  /** Label values, percent-decoded. */
  labels: Record<string, string>;
}

/** The most specific operation whose method, path template and query the request fits. */
export function matchRoute(model: ServiceModel, request: HttpRequestParts): RouteMatch | undefined {
  for (const route of routesOf(model)) {
    const match = routeMatches(route, request);
    if (!match) continue;
    const labels: Record<string, string> = {};
    try {
      route.labels.forEach((label, i) => (labels[label] = decodeURIComponent(match[i + 1]!)));
    } catch {
      continue; // a label that is not valid percent-encoding names nothing
    }
    return { operation: route.operation, labels };
  }
  return undefined;
}

// ---- Reading located members ----

/** The members of a structure that travel outside the body. */
export function isLocated(ref: MemberRef): boolean {
  return ref.location !== undefined;
}

/** The member that is the whole body, if the shape names one. */
export function payloadOf(shape: Shape): { name: string; ref: MemberRef } | undefined {
  if (!shape.payload) return undefined;
  const ref = shape.members?.[shape.payload];
  return ref ? { name: shape.payload, ref } : undefined;
}

/** Whether anything of the shape travels in the body (a payload member or an unlocated one). */
export function hasBodyMembers(shape: Shape): boolean {
  return Object.values(shape.members ?? {}).some((ref) => !isLocated(ref));
}

function headerText(request: HttpRequestParts, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

const DEFAULT_TIMESTAMPS: Record<'uri' | 'querystring' | 'header' | 'headers', TimestampFormat> = {
  uri: 'iso8601',
  querystring: 'iso8601',
  header: 'rfc822',
  headers: 'rfc822',
};

type Location = keyof typeof DEFAULT_TIMESTAMPS;

/** Reads one text value; `bad` says how to report a value its type cannot take. */
function readText(model: ServiceModel, ref: MemberRef, text: string, location: Location, wireName: string): unknown {
  const shape = shapeOf(model, ref.shape);
  try {
    return readScalar(shape, ref, text, DEFAULT_TIMESTAMPS[location]);
  } catch (err) {
    if (err instanceof ScalarError) throw new BadValueError({ location, wireName, text, type: shape.type });
    throw err;
  }
}

/** Thrown by the readers here; the codec turns it into its dialect's error. */
export class BadValueError extends Error {
  constructor(readonly bad: BadValue) {
    super(`bad ${bad.type} '${bad.text}' in ${bad.location} ${bad.wireName}`);
  }
}

function readList(model: ServiceModel, ref: MemberRef, texts: string[], location: Location, wireName: string): unknown[] {
  const memberRef = shapeOf(model, ref.shape).member!;
  return texts.map((text) => readText(model, memberRef, text, location, wireName));
}

/** A header list is comma-separated; an HTTP-date has a comma of its own, so those split by pairs. */
function splitHeaderList(model: ServiceModel, ref: MemberRef, text: string): string[] {
  const memberShape = shapeOf(model, shapeOf(model, ref.shape).member!.shape);
  const parts = text.split(',').map((part) => part.trim());
  if (memberShape.type !== 'timestamp' || (memberShape.timestampFormat ?? 'rfc822') !== 'rfc822') return parts;
  const dates: string[] = [];
  for (let i = 0; i < parts.length; i += 2) dates.push(`${parts[i]}, ${parts[i + 1] ?? ''}`);
  return dates;
}

function readHeaderMember(model: ServiceModel, ref: MemberRef, name: string, request: HttpRequestParts): unknown {
  const text = headerText(request, name);
  if (text === undefined) return undefined;
  const shape = shapeOf(model, ref.shape);
  if (shape.type === 'list') return readList(model, ref, splitHeaderList(model, ref, text), 'header', name);
  return readText(model, ref, text, 'header', name);
}

/** `headers` maps gather every header with the prefix (`x-amz-meta-`), keyed by what follows it. */
function readHeaderMap(
  model: ServiceModel,
  ref: MemberRef,
  prefix: string,
  request: HttpRequestParts,
): Record<string, unknown> | undefined {
  const lowerPrefix = prefix.toLowerCase();
  const valueRef = shapeOf(model, ref.shape).value!;
  let out: Record<string, unknown> | undefined;
  for (const [header, value] of Object.entries(request.headers)) {
    if (value === undefined || !header.startsWith(lowerPrefix)) continue;
    out ??= {};
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[header.slice(lowerPrefix.length)] = readText(model, valueRef, text, 'headers', header);
  }
  return out;
}

function readQueryMember(model: ServiceModel, ref: MemberRef, name: string, request: HttpRequestParts): unknown {
  const shape = shapeOf(model, ref.shape);
  if (shape.type === 'list') {
    const texts = request.query.getAll(name);
    return texts.length === 0 ? undefined : readList(model, ref, texts, 'querystring', name);
  }
  const text = request.query.get(name);
  return text === null ? undefined : readText(model, ref, text, 'querystring', name);
}

/** A querystring map takes every query key no other member claims. */
function readQueryMap(
  model: ServiceModel,
  ref: MemberRef,
  claimed: Set<string>,
  request: HttpRequestParts,
): Record<string, unknown> | undefined {
  const valueRef = shapeOf(model, ref.shape).value!;
  const listValued = shapeOf(model, valueRef.shape).type === 'list';
  let out: Record<string, unknown> | undefined;
  for (const key of new Set(request.query.keys())) {
    if (claimed.has(key)) continue;
    out ??= {};
    out[key] = listValued
      ? readList(model, valueRef, request.query.getAll(key), 'querystring', key)
      : readText(model, valueRef, request.query.get(key)!, 'querystring', key);
  }
  return out;
}

function claimedQueryKeys(shape: Shape): Set<string> {
  const keys = new Set<string>();
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (ref.location === 'querystring' && ref.locationName) keys.add(ref.locationName);
    else if (ref.location === 'querystring') keys.add(name);
  }
  return keys;
}

/** Every member the request carries outside its body: labels, query, headers. */
export function readLocatedMembers(
  model: ServiceModel,
  shape: Shape,
  request: HttpRequestParts,
  labels: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const claimed = claimedQueryKeys(shape);
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const wireName = ref.locationName ?? name;
    let value: unknown;
    switch (ref.location) {
      case 'uri':
        // An empty label is a missing one: `/bucket/` names no key.
        value = labels[wireName] ? readText(model, ref, labels[wireName]!, 'uri', wireName) : undefined;
        break;
      case 'header':
        value = readHeaderMember(model, ref, wireName, request);
        break;
      case 'headers':
        value = readHeaderMap(model, ref, ref.locationName ?? '', request);
        break;
      case 'querystring':
        value =
          shapeOf(model, ref.shape).type === 'map'
            ? readQueryMap(model, ref, claimed, request)
            : readQueryMember(model, ref, wireName, request);
        break;
      default:
        continue;
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}

// ---- Writing located members ----

export interface LocatedOutput {
  status?: number;
  headers: Record<string, string>;
}

function headerValue(model: ServiceModel, ref: MemberRef, value: unknown): string {
  const shape = shapeOf(model, ref.shape);
  if (shape.type === 'list') {
    const memberRef = shape.member!;
    const memberShape = shapeOf(model, memberRef.shape);
    return (value as unknown[]).map((item) => writeScalar(memberShape, memberRef, item, 'rfc822')).join(', ');
  }
  return writeScalar(shape, ref, value, 'rfc822');
}

/** Headers (lower-case names) and the status code an output's located members set. */
export function writeLocatedMembers(model: ServiceModel, shape: Shape, output: Record<string, unknown>): LocatedOutput {
  const result: LocatedOutput = { headers: {} };
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const value = output[name];
    if (value === undefined || value === null) continue;
    if (ref.location === 'statusCode') result.status = Number(value);
    else if (ref.location === 'header') result.headers[(ref.locationName ?? name).toLowerCase()] = headerValue(model, ref, value);
    else if (ref.location === 'headers') {
      const valueRef = shapeOf(model, ref.shape).value!;
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        result.headers[`${ref.locationName ?? ''}${key}`.toLowerCase()] = headerValue(model, valueRef, item);
      }
    }
  }
  return result;
}

/** The output without its located members: what goes into the body. */
export function bodyMembersOf(shape: Shape, output: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (!isLocated(ref) && output[name] !== undefined) body[name] = output[name];
  }
  return body;
}

/** A streaming payload may be handed over as chunks; anything else is bytes already. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(String(value), 'utf8');
}

/** The label values of `operation`'s own template in `path` (empty when it does not fit). */
export function routeLabels(model: ServiceModel, operation: string, path: string): Record<string, string> {
  const route = routesOf(model).find((r) => r.operation === operation);
  const match = route?.lenient.exec(path);
  const labels: Record<string, string> = {};
  if (!route || !match) return labels;
  route.labels.forEach((label, i) => {
    try {
      labels[label] = decodeURIComponent(match[i + 1]!);
    } catch {
      labels[label] = match[i + 1]!;
    }
  });
  return labels;
}
