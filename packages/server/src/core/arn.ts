/**
 * Amazon Resource Names, the way every service names its resources:
 * `arn:<partition>:<service>:<region>:<account>:<resource>`. The resource part is the service's
 * own (`stream/orders`, `deliverystream/logs`, `stream/orders/consumer/c:1700000000`); it may hold
 * colons, so only the first five separate fields.
 */
import { partitionOf } from './regions.js';

/** The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, the ISO ones): kept with the region list. */
export { partitionOf };

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function formatArn(arn: Omit<Arn, 'partition'> & { partition?: string }): string {
  const partition = arn.partition ?? partitionOf(arn.region);
  return `arn:${partition}:${arn.service}:${arn.region}:${arn.account}:${arn.resource}`;
}

/** The parts of an ARN, or undefined if the text is not one. */
export function parseArn(text: string): Arn | undefined {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 5; i++) {
    const colon = text.indexOf(':', at);
    if (colon < 0) return undefined;
    fields.push(text.slice(at, colon));
    at = colon + 1;
  }
  const [prefix, partition, service, region, account] = fields as [string, string, string, string, string];
  const resource = text.slice(at);
  if (prefix !== 'arn' || !/^aws[a-z-]*$/.test(partition) || !/^[a-z0-9-]+$/.test(service) || resource === '') return undefined;
  return { partition, service, region, account, resource };
}
