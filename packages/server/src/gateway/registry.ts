/**
 * Registering a service with the gateway: every operation of its model must have a handler, and
 * its protocols a binding (awsJson for models with a target prefix, the codec of its REST or query
 * protocol otherwise, or both, as CloudWatch speaks awsJson 1.0 and awsQuery).
 */
import { outputShapeName, type ServiceModel } from '@freshet/aws';
import { awsJsonBinding } from './awsJsonBinding.js';
import { codecBinding } from './codecBinding.js';
import type { OperationHandler, ProtocolCodecs, RegisteredService, Service } from './service.js';

export function registerService(service: Service, codecs: ProtocolCodecs = {}): RegisteredService {
  const handlers = new Map<string, OperationHandler>();
  const streaming = new Set<string>();
  const table = service.handlers as Record<string, OperationHandler | undefined>;
  for (const op of Object.keys(service.model.operations)) {
    const handler = table[op];
    if (typeof handler !== 'function') throw new Error(`service ${service.name} has no handler for ${op}`);
    handlers.set(op, handler);
    if (hasEventStreamOutput(service.model, op)) streaming.add(op);
  }
  if (streaming.size > 0 && !service.hooks?.encodeEvent) throw new Error(`service ${service.name} streams events but cannot encode them`);
  const { protocol, protocols = [protocol], targetPrefix } = service.model.metadata;
  const awsJson = targetPrefix && protocols.includes('json') ? awsJsonBinding : undefined;
  const other = protocols.find((name) => name !== 'json' && codecs[name]);
  const rest = other ? codecBinding(codecs[other]!) : undefined;
  if (!awsJson && !rest) throw new Error(`service ${service.name}: no codec for ${protocols.join(', ')}`);
  return { service, handlers, streaming, awsJson, rest };
}

function hasEventStreamOutput(model: ServiceModel, op: string): boolean {
  const output = outputShapeName(model, op);
  const members = output ? model.shapes[output]?.members : undefined;
  return Object.values(members ?? {}).some((ref) => model.shapes[ref.shape]?.eventstream === true);
}
