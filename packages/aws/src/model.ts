/**
 * AWS service models (botocore-style JSON, the files in models/), loaded by uid. Every decoder,
 * encoder and validator of this package is compiled from a model, per model: two models may both
 * have a shape called `Tag` and each keeps its own. A new operation or constraint in a model needs
 * no code here.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface MemberRef {
  shape: string;
  /** restJson1/restXml: where the member travels (`uri`, `querystring`, `header`, `headers`, `statusCode`). */
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
  /** The member is the whole HTTP body (a blob, a string or a structure). */
  streaming?: boolean;
  xmlNamespace?: { uri: string };
  xmlAttribute?: boolean;
  flattened?: boolean;
  jsonvalue?: boolean;
  timestampFormat?: 'iso8601' | 'rfc822' | 'unixTimestamp';
  eventpayload?: boolean;
  hostLabel?: boolean;
}

export type ShapeType =
  'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'float' | 'boolean' | 'blob' | 'timestamp';

export interface Shape {
  type: ShapeType;
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef & { locationName?: string };
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  /** Structures that only ever travel inside an event stream (SubscribeToShard). */
  eventstream?: boolean;
  /** A union of event structures, the payload of an event stream. */
  event?: boolean;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  /** restJson1/restXml: which member is the whole body. */
  payload?: string;
  flattened?: boolean;
  timestampFormat?: 'iso8601' | 'rfc822' | 'unixTimestamp';
  streaming?: boolean;
  union?: boolean;
  sensitive?: boolean;
  locationName?: string;
  xmlNamespace?: { uri: string };
}

export interface OperationModel {
  name: string;
  http?: { method: string; requestUri: string; responseCode?: number };
  input?: MemberRef & { locationName?: string; xmlNamespace?: { uri: string } };
  output?: MemberRef & { resultWrapper?: string };
  errors?: MemberRef[];
}

export type ProtocolName = 'json' | 'rest-json' | 'rest-xml' | 'query' | 'ec2' | 'smithy-rpc-v2-cbor';

export interface ServiceMetadata {
  apiVersion: string;
  endpointPrefix: string;
  protocol: ProtocolName;
  protocols?: ProtocolName[];
  jsonVersion?: string;
  targetPrefix?: string;
  signingName?: string;
  serviceId: string;
  serviceFullName: string;
  uid: string;
  xmlNamespace?: string;
}

export interface ServiceModel {
  metadata: ServiceMetadata;
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
}

/** Compiled code lives in dist/src/, the models in models/ at the package root. */
const MODELS_DIR = new URL('../../models/', import.meta.url);

/** The uid of every model this package ships (`kinesis-2013-12-02`, `firehose-2015-08-04`, ...). */
export function modelIds(): string[] {
  return readdirSync(MODELS_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

const loaded = new Map<string, ServiceModel>();

/** The model of `uid`, read once and shared by everyone who asks for it. */
export function loadModel(uid: string): ServiceModel {
  let model = loaded.get(uid);
  if (!model) {
    if (!/^[a-z0-9-]+$/.test(uid)) throw new Error(`not a model uid: ${uid}`);
    model = JSON.parse(readFileSync(new URL(`${uid}.json`, MODELS_DIR), 'utf8')) as ServiceModel;
    loaded.set(uid, model);
  }
  return model;
}

export function shapeOf(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model ${model.metadata.uid} has no shape ${name}`);
  return shape;
}

export function inputShapeName(model: ServiceModel, op: string): string | undefined {
  return model.operations[op]?.input?.shape;
}

export function outputShapeName(model: ServiceModel, op: string): string | undefined {
  return model.operations[op]?.output?.shape;
}

/** AWS names members in messages the way its Java beans do: `StreamName` -> `streamName`. */
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Compiles one shape; `recurse` gives the compiled form of another shape of the same model. */
export type ShapeCompiler<F> = (shape: Shape, recurse: (name: string) => F, name: string, model: ServiceModel) => F;

/**
 * Memoizes a compiler over (model, shape name), so that each shape of each model is compiled
 * once, and recursive shapes resolve through a late-bound stub.
 */
export function memoizeByShape<F extends (...args: never[]) => unknown>(
  compile: ShapeCompiler<F>,
): (model: ServiceModel, name: string) => F {
  const perModel = new WeakMap<ServiceModel, (name: string) => F>();
  return (model, name) => {
    let get = perModel.get(model);
    if (!get) {
      get = memoizeOneModel(model, compile);
      perModel.set(model, get);
    }
    return get(name);
  };
}

function memoizeOneModel<F extends (...args: never[]) => unknown>(model: ServiceModel, compile: ShapeCompiler<F>): (name: string) => F {
  const compiled = new Map<string, F>();
  return function get(name: string): F {
    const known = compiled.get(name);
    if (known) return known;
    const late: { fn?: F } = {};
    const stub = ((...args: never[]) => late.fn!(...args)) as F;
    compiled.set(name, stub);
    late.fn = compile(shapeOf(model, name), get, name, model);
    compiled.set(name, late.fn);
    return late.fn;
  };
}
