/**
 * Which service a request is for. AWS's clients say it in one of these ways, tried in this order:
 * - `X-Amz-Target: <targetPrefix>.<Operation>` (awsJson: Kinesis, Firehose, Analytics, CloudWatch's JSON);
 * - the SigV4 credential scope's service (`.../us-east-1/kinesisvideo/aws4_request`), for REST APIs
 *   whose paths alone could belong to several services, and awsQuery bodies (`Action=...`); where
 *   several services sign with one name (Video Streams' control, media and archived-media APIs),
 *   the one whose REST protocol recognizes the method and path;
 * - unsigned: the first REST service that recognizes the method and path (an unsigned awsQuery POST
 *   is not placed by its `Action=`: routing reads no body, and every AWS client signs);
 * - else the first registered service, whose protocol answers as AWS answers a request it cannot place.
 */
import type { CredentialScope } from '@freshet/aws';
import type { AnyRequest } from './listener.js';
import type { ProtocolBinding, RegisteredService } from './service.js';

export interface Route {
  target: RegisteredService;
  binding: ProtocolBinding;
}

export class Router {
  private readonly byTargetPrefix = new Map<string, RegisteredService>();
  private readonly bySigningName = new Map<string, RegisteredService[]>();
  private readonly restServices: RegisteredService[] = [];
  readonly fallback: RegisteredService;

  constructor(services: readonly RegisteredService[]) {
    if (services.length === 0) throw new Error('a gateway needs at least one service');
    this.fallback = services[0]!;
    for (const registered of services) {
      const { metadata } = registered.service.model;
      if (metadata.targetPrefix) this.claim(this.byTargetPrefix, metadata.targetPrefix, registered);
      const signingName = metadata.signingName ?? metadata.endpointPrefix;
      this.bySigningName.set(signingName, [...(this.bySigningName.get(signingName) ?? []), registered]);
      if (registered.rest) this.restServices.push(registered);
    }
  }

  /** `scope`: the request's SigV4 credential scope, read once by the gateway for routing and authentication. */
  route(req: AnyRequest, scope: CredentialScope | undefined): Route {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const dot = target.indexOf('.');
      const byTarget = dot > 0 ? this.byTargetPrefix.get(target.slice(0, dot)) : undefined;
      if (byTarget) return { target: byTarget, binding: byTarget.awsJson! };
    }
    const hasTarget = typeof target === 'string';
    const signers = scope ? this.bySigningName.get(scope.service) : undefined;
    if (signers) return bindingFor(signers.length === 1 ? signers[0]! : (recognizing(signers, req) ?? signers[0]!), hasTarget);
    const byPath = scope || hasTarget ? undefined : recognizing(this.restServices, req);
    return bindingFor(byPath ?? this.fallback, hasTarget);
  }

  /** How a request is answered before it is routed (a body over the limit): by the fallback. */
  fallbackRoute(): Route {
    return bindingFor(this.fallback, true);
  }

  private claim(table: Map<string, RegisteredService>, key: string, registered: RegisteredService): void {
    const holder = table.get(key);
    if (holder) throw new Error(`services ${holder.service.name} and ${registered.service.name} both claim ${key}`);
    table.set(key, registered);
  }
}

/** awsJson for requests that name a target, the REST or query protocol for the rest, whichever the service has. */
function bindingFor(target: RegisteredService, hasTarget: boolean): Route {
  const binding = hasTarget ? (target.awsJson ?? target.rest) : (target.rest ?? target.awsJson);
  return { target, binding: binding! };
}

function recognizing(services: readonly RegisteredService[], req: AnyRequest): RegisteredService | undefined {
  return services.find((service) => service.rest?.recognizes?.(req, service));
}

/** The query of a request's URL, if it has one (presigned URLs carry their SigV4 credential there). */
export function queryOf(url: string | undefined): URLSearchParams | undefined {
  const q = url?.indexOf('?') ?? -1;
  return q < 0 ? undefined : new URLSearchParams(url!.slice(q + 1));
}
