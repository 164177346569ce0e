/**
 * Which service a request is for. AWS's clients say it in one of three ways, tried in this order:
 * - `X-Amz-Target: <targetPrefix>.<Operation>` (awsJson: Kinesis, Firehose, Analytics, CloudWatch's JSON);
 * - the SigV4 credential scope's service (`.../us-east-1/kinesisvideo/aws4_request`), for REST APIs
 *   whose paths alone could belong to several services, and awsQuery bodies (`Action=...`);
 * - the first registered service, whose protocol then answers as AWS answers a request it cannot place.
 */
import { credentialScopeOf } from '@freshet/aws';
import type { AnyRequest } from './listener.js';
import type { RegisteredService } from './service.js';

export class Router {
  private readonly byTargetPrefix = new Map<string, RegisteredService>();
  private readonly bySigningName = new Map<string, RegisteredService>();
  readonly fallback: RegisteredService;

  constructor(services: readonly RegisteredService[]) {
    if (services.length === 0) throw new Error('a gateway needs at least one service');
    this.fallback = services[0]!;
    for (const registered of services) {
      const { metadata } = registered.service.model;
      if (metadata.targetPrefix) this.claim(this.byTargetPrefix, metadata.targetPrefix, registered);
      this.claim(this.bySigningName, metadata.signingName ?? metadata.endpointPrefix, registered);
    }
  }

  route(req: AnyRequest): RegisteredService {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const dot = target.indexOf('.');
      const byTarget = dot > 0 ? this.byTargetPrefix.get(target.slice(0, dot)) : undefined;
      if (byTarget) return byTarget;
    }
    const scope = credentialScopeOf(req.headers.authorization);
    return (scope && this.bySigningName.get(scope.service)) ?? this.fallback;
  }

  private claim(table: Map<string, RegisteredService>, key: string, registered: RegisteredService): void {
    const holder = table.get(key);
    if (holder) throw new Error(`services ${holder.service.name} and ${registered.service.name} both claim ${key}`);
    table.set(key, registered);
  }
}
