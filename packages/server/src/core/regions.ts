/**
 * The regions a request may act in. A region names where resources live (stream keys, ARNs, the
 * per-account-and-region shard quota), and it comes from the client's SigV4 credential scope, so
 * it is client-controlled text: only the names listed here are accepted, everything else is
 * refused at the gateway before any service sees it.
 *
 * The list is AWS's regions of every partition, as the AWS SDK's endpoint rules (partitions.json
 * of @aws-sdk/core and botocore, 2025) list them, without the `aws-global`-style pseudo-regions,
 * which are endpoint aliases: AWS refuses a credential scoped to one ("Credential should be scoped
 * to a valid region, not 'aws-global'", aws/aws-sdk-java-v2#988). A node may narrow or replace
 * the list (`--regions`).
 */

export interface Partition {
  /** The ARN partition: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, ... */
  id: string;
  regions: readonly string[];
}

export const AWS_PARTITIONS: readonly Partition[] = [
  {
    id: 'aws',
    regions: [
      'af-south-1',
      'ap-east-1',
      'ap-east-2',
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-northeast-3',
      'ap-south-1',
      'ap-south-2',
      'ap-southeast-1',
      'ap-southeast-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
      'ap-southeast-6',
      'ap-southeast-7',
      'ca-central-1',
      'ca-west-1',
      'eu-central-1',
      'eu-central-2',
      'eu-north-1',
      'eu-south-1',
      'eu-south-2',
      'eu-west-1',
      'eu-west-2',
      'eu-west-3',
      'il-central-1',
      'me-central-1',
      'me-south-1',
      'me-west-1',
      'mx-central-1',
      'sa-east-1',
      'sa-west-1',
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
    ],
  },
  { id: 'aws-cn', regions: ['cn-north-1', 'cn-northwest-1'] },
  { id: 'aws-us-gov', regions: ['us-gov-east-1', 'us-gov-west-1'] },
  { id: 'aws-iso', regions: ['us-iso-east-1', 'us-iso-west-1'] },
  { id: 'aws-iso-b', regions: ['us-isob-east-1', 'us-isob-west-1'] },
  { id: 'aws-iso-e', regions: ['eu-isoe-west-1'] },
  { id: 'aws-iso-f', regions: ['us-isof-east-1', 'us-isof-south-1'] },
  { id: 'aws-eusc', regions: ['eusc-de-east-1'] },
];

/** Every AWS region, the default of `--regions`. */
export const AWS_REGIONS: readonly string[] = AWS_PARTITIONS.flatMap((partition) => partition.regions);

/** The region of unsigned requests (and of signed ones, when it is allowed), as AWS's CLI defaults. */
export const DEFAULT_REGION = 'us-east-1';

/**
 * What a configured region name may look like: it becomes part of metadata keys, ARNs and shard
 * iterators (one length byte), so lower-case letters, digits and inner hyphens, at most 32.
 */
const REGION_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export function isWellFormedRegionName(name: string): boolean {
  return REGION_NAME.test(name);
}

/** The partition a region belongs to, by AWS's naming (a configured region of no partition is `aws`'s). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** The regions a node accepts, and the one unsigned requests act in. */
export class RegionList {
  private readonly allowed: ReadonlySet<string>;
  /** us-east-1 when it is accepted, else the first region listed. */
  readonly defaultRegion: string;

  constructor(regions: readonly string[] = AWS_REGIONS) {
    if (regions.length === 0) throw new Error('a node needs at least one region');
    for (const region of regions) {
      if (!isWellFormedRegionName(region)) throw new Error(`'${region}' is not a region name (lower-case letters, digits, hyphens)`);
    }
    this.allowed = new Set(regions);
    this.defaultRegion = this.allowed.has(DEFAULT_REGION) ? DEFAULT_REGION : regions[0]!;
  }

  has(region: string): boolean {
    return this.allowed.has(region);
  }
}
