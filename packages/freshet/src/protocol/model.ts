/**
 * The Kinesis service model (botocore-style JSON), loaded once at start-up. Every decoder, encoder
 * and validator in the protocol layer is compiled from it, so a new operation or constraint in the
 * model needs no code here.
 */
import { readFileSync } from 'node:fs';
import type { OperationName } from './shapes.generated.js';

export interface MemberRef {
  shape: string;
}

export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'float' | 'boolean' | 'blob' | 'timestamp';
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  /** Structures that only ever travel inside an event stream (SubscribeToShard). */
  eventstream?: boolean;
  exception?: boolean;
}

interface Operation {
  input?: MemberRef;
  output?: MemberRef;
}

export interface ServiceModel {
  metadata: { targetPrefix: string; apiVersion: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

/** Compiled code lives in dist/src/protocol/, the model in models/ at the package root. */
const MODEL_URL = new URL('../../../models/kinesis-2013-12-02.json', import.meta.url);

export const model: ServiceModel = JSON.parse(readFileSync(MODEL_URL, 'utf8'));

export function shapeNamed(name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model has no shape ${name}`);
  return shape;
}

export function inputShapeName(op: OperationName): string | undefined {
  return model.operations[op]?.input?.shape;
}

export function outputShapeName(op: OperationName): string | undefined {
  return model.operations[op]?.output?.shape;
}

/** AWS names members in messages the way its Java beans do: `StreamName` -> `streamName`. */
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Memoizes a compiler over shape names, so that each shape is compiled once and recursive
 * shapes (none in Kinesis today, but the model allows them) resolve through a late-bound stub.
 */
export function memoizeByShape<F extends (...args: never[]) => unknown>(compile: (name: string) => F): (name: string) => F {
  const compiled = new Map<string, F>();
  return function get(name: string): F {
    let fn = compiled.get(name);
    if (fn) return fn;
    let resolved: F | undefined;
    const stub = ((...args: never[]) => resolved!(...args)) as F;
    compiled.set(name, stub);
    resolved = compile(name);
    compiled.set(name, resolved);
    return resolved;
  };
}
