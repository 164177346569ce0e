/**
 * The awsQuery protocol (CloudWatch): the input is a flat form, in a POST body
 * (`application/x-www-form-urlencoded`) or a GET query string: `Action=PutMetricData&Version=
 * 2010-08-01&Namespace=App&MetricData.member.1.MetricName=Latency`. Lists are
 * `<Name>.member.<N>` (or `<Name>.<N>` when flattened, and `<Name>=` for an empty list), maps
 * `<Name>.entry.<N>.key` / `.value`, structures `<Name>.<Member>`. The answer is XML:
 * `<OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata><RequestId>` with the result
 * element named by the operation's `resultWrapper`; errors are `<ErrorResponse><Error><Type>
 * <Code><Message></Error><RequestId></ErrorResponse>`.
 */
import { queryDialect, type ErrorDialect } from './dialects.js';
import type { AwsError } from './errors.js';
import { inputShapeName, outputShapeName, shapeOf, type MemberRef, type ServiceModel, type Shape } from './model.js';
import type { HttpAnswer, HttpRequestParts, ProtocolCodec } from './protocol.js';
import { BadValueError } from './restBinding.js';
import { readScalar, ScalarError } from './scalars.js';
import { element, escapeXml, structureXml } from './xml.js';
import { inputViolations } from './validation.js';

/** The form of a request: its body's fields, then its query string's (a GET carries it all there). */
const formCache = new WeakMap<HttpRequestParts, Map<string, string>>();

function isForm(request: HttpRequestParts): boolean {
  const contentType = request.headers['content-type'];
  const mediaType = (Array.isArray(contentType) ? contentType[0] : contentType)?.split(';')[0]?.trim().toLowerCase();
  return mediaType === undefined || mediaType === 'application/x-www-form-urlencoded';
}

export function queryFormOf(request: HttpRequestParts): Map<string, string> {
  let form = formCache.get(request);
  if (!form) {
    form = new Map(request.query);
    if (request.body.length > 0 && isForm(request)) {
      for (const [key, value] of new URLSearchParams(request.body.toString('utf8'))) form.set(key, value);
    }
    formCache.set(request, form);
  }
  return form;
}

// ---- Reading the form ----

class FormReader {
  private readonly keys: string[];

  constructor(
    private readonly model: ServiceModel,
    private readonly form: Map<string, string>,
  ) {
    this.keys = [...form.keys()];
  }

  structure(shape: Shape, prefix: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const value = this.value(ref, prefix + (ref.locationName ?? name));
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  private value(ref: MemberRef, key: string): unknown {
    const shape = shapeOf(this.model, ref.shape);
    switch (shape.type) {
      case 'structure':
        return this.hasUnder(key) ? this.structure(shape, `${key}.`) : undefined;
      case 'list':
        return this.list(ref, shape, key);
      case 'map':
        return this.map(ref, shape, key);
      default:
        return this.scalar(ref, shape, key);
    }
  }

  private hasUnder(key: string): boolean {
    return this.keys.some((k) => k.startsWith(`${key}.`));
  }

  /** The item numbers present under `prefix.` in numeric order (`.member.2` before `.member.10`). */
  private indices(prefix: string): number[] {
    const found = new Set<number>();
    for (const key of this.keys) {
      if (!key.startsWith(`${prefix}.`)) continue;
      const n = Number(key.slice(prefix.length + 1).split('.')[0]);
      if (Number.isInteger(n) && n > 0) found.add(n);
    }
    return [...found].sort((a, b) => a - b);
  }

  private list(ref: MemberRef, shape: Shape, key: string): unknown[] | undefined {
    const memberRef = shape.member!;
    const itemsPrefix = ref.flattened || shape.flattened ? key : `${key}.${memberRef.locationName ?? 'member'}`;
    const indices = this.indices(itemsPrefix);
    // `Name=` with nothing under it is how the SDKs send an empty list.
    if (indices.length === 0) return this.form.get(key) === '' ? [] : undefined;
    return indices.map((n) => this.value(memberRef, `${itemsPrefix}.${n}`)).filter((item) => item !== undefined);
  }

  private map(ref: MemberRef, shape: Shape, key: string): Record<string, unknown> | undefined {
    const entriesPrefix = ref.flattened || shape.flattened ? key : `${key}.entry`;
    const indices = this.indices(entriesPrefix);
    if (indices.length === 0) return undefined;
    const out: Record<string, unknown> = {};
    for (const n of indices) {
      const entryKey = this.form.get(`${entriesPrefix}.${n}.${shape.key!.locationName ?? 'key'}`);
      const value = this.value(shape.value!, `${entriesPrefix}.${n}.${shape.value!.locationName ?? 'value'}`);
      if (entryKey !== undefined && value !== undefined) {
        Object.defineProperty(out, entryKey, { value, enumerable: true, writable: true, configurable: true });
      }
    }
    return out;
  }

  private scalar(ref: MemberRef, shape: Shape, key: string): unknown {
    const text = this.form.get(key);
    if (text === undefined) return undefined;
    try {
      return readScalar(shape, ref, text, 'iso8601');
    } catch (err) {
      if (err instanceof ScalarError) throw new BadValueError({ location: 'querystring', wireName: key, text, type: shape.type });
      throw err;
    }
  }
}

// ---- The codec ----

const EMPTY_FORM_KEYS = ['Action', 'Version'];

/** The XML namespace of a query API's answers: the model's, or the one AWS's convention gives. */
export function queryNamespaceOf(model: ServiceModel): string {
  const { xmlNamespace, endpointPrefix, apiVersion } = model.metadata;
  return xmlNamespace ?? `http://${endpointPrefix}.amazonaws.com/doc/${apiVersion}/`;
}

export class QueryCodec implements ProtocolCodec {
  constructor(readonly dialect: ErrorDialect = queryDialect) {}

  operationOf(model: ServiceModel, request: HttpRequestParts): string | undefined {
    const action = queryFormOf(request).get('Action');
    return action !== undefined && Object.hasOwn(model.operations, action) ? action : undefined;
  }

  decodeInput(model: ServiceModel, operation: string, request: HttpRequestParts): object {
    const shapeName = inputShapeName(model, operation);
    if (!shapeName) return {};
    const form = new Map(queryFormOf(request));
    for (const key of EMPTY_FORM_KEYS) form.delete(key);
    let input: Record<string, unknown>;
    try {
      input = new FormReader(model, form).structure(shapeOf(model, shapeName), '');
    } catch (err) {
      if (err instanceof BadValueError) throw this.dialect.unreadable(err.bad);
      throw err;
    }
    const violations = inputViolations(model, operation, input);
    if (violations.lines.length > 0) throw this.dialect.invalid(model, shapeName, violations);
    return input;
  }

  /** awsQuery puts the request id in every answer's body. */
  encodeOutput(model: ServiceModel, operation: string, output: unknown, requestId: string): HttpAnswer {
    const ns = ` xmlns="${escapeXml(queryNamespaceOf(model))}"`;
    const metadata = element('ResponseMetadata', element('RequestId', escapeXml(requestId)));
    const shapeName = outputShapeName(model, operation);
    let result = '';
    if (shapeName) {
      const { attributes, inner } = structureXml(model, shapeOf(model, shapeName), (output ?? {}) as Record<string, unknown>);
      result = element(model.operations[operation]?.output?.resultWrapper ?? `${operation}Result`, inner, attributes);
    }
    const xml = element(`${operation}Response`, result + metadata, ns);
    return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: Buffer.from(xml, 'utf8') };
  }

  encodeError(model: ServiceModel, err: AwsError, requestId: string): HttpAnswer {
    const message = err.hasMessage ? element('Message', escapeXml(err.message)) : '';
    const error = element('Error', element('Type', err.fault) + element('Code', escapeXml(err.code)) + message);
    const xml = element(
      'ErrorResponse',
      error + element('RequestId', escapeXml(requestId)),
      ` xmlns="${escapeXml(queryNamespaceOf(model))}"`,
    );
    return { status: err.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: Buffer.from(xml, 'utf8') };
  }
}

/** awsQuery with CloudWatch's wording for bad input. */
export const queryCodec = new QueryCodec();
