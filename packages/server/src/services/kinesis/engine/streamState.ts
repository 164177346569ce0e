/**
 * The durable state of one stream, as kept in the MetadataStore, and the naming rules (keys,
 * ARNs) around it.
 */
import { partitionOf } from '../../../core/regions.js';
import type { MetricsName } from '../shapes.generated.js';
import type { ShardState } from './shards.js';

/** A reshard waiting for the stream's UPDATING to end (kept in the state, so it survives a restart). */
export type ReshardPlan =
  | { kind: 'split'; shardIndex: number; newStartingHashKey: string }
  | { kind: 'merge'; shardIndex: number; adjacentIndex: number }
  | { kind: 'scale'; targetCount: number };

export type StreamStatus = 'CREATING' | 'DELETING' | 'ACTIVE' | 'UPDATING';
export type StreamMode = 'PROVISIONED' | 'ON_DEMAND';

export interface StreamState {
  /** Unique per incarnation: a stream deleted and created again under the same name gets a new id. */
  id: string;
  account: string;
  region: string;
  name: string;
  status: StreamStatus;
  /** When a transitional status (CREATING, UPDATING, DELETING) completes, epoch ms. */
  transitionEndsMs?: number;
  mode: StreamMode;
  createdMs: number;
  retentionHours: number;
  shards: ShardState[];
  nextShardIndex: number;
  /** Tags in insertion order. */
  tags: Record<string, string>;
  shardLevelMetrics: MetricsName[];
  encryption: { type: 'NONE' | 'KMS'; keyId?: string };
  maxRecordSizeKiB: number;
  warmThroughputMiBps?: number;
  /** Resource policy documents by ARN (the stream's own, and later its consumers'). */
  policies: Record<string, string>;
  /** When the capacity mode was switched, epoch ms (AWS allows two switches per 24 hours). */
  modeSwitchesMs: number[];
  /** When UpdateShardCount was called, epoch ms (AWS allows ten calls per rolling 24 hours). */
  scalingCallsMs?: number[];
  /** A reshard accepted and applied when the UPDATING status completes. */
  pendingReshard?: ReshardPlan;
  /** Enhanced fan-out consumers, in registration order (absent in states stored before them). */
  consumers?: ConsumerState[];
}

/**
 * A registered enhanced fan-out consumer. Its status is derived from the clock: CREATING until
 * activeMs, then ACTIVE; DELETING from its deregistration until goneMs, then gone (and pruned at
 * the stream's next change). So a restart needs no timers to finish a transition.
 */
export interface ConsumerState {
  name: string;
  /** Epoch ms; the consumer ARN ends with it in whole seconds. */
  createdMs: number;
  activeMs: number;
  goneMs?: number;
  tags: Record<string, string>;
}

export interface StreamAddress {
  account: string;
  region: string;
  name: string;
}

export function streamKey(address: StreamAddress): string {
  return `streams/${address.account}/${address.region}/${address.name}`;
}

export function streamKeyPrefix(account: string, region: string): string {
  return `streams/${account}/${region}/`;
}

/** In the region's partition: `arn:aws-cn:kinesis:cn-north-1:...` in China, as AWS writes it. */
export function streamArn(address: StreamAddress): string {
  return `arn:${partitionOf(address.region)}:kinesis:${address.region}:${address.account}:stream/${address.name}`;
}

const STREAM_ARN = /^arn:aws[\w-]*:kinesis:([^:]*):(\d{12}):stream\/([a-zA-Z0-9_.-]{1,128})$/;

/** Parses a stream ARN; undefined when it does not name a stream. */
export function parseStreamArn(arn: string): StreamAddress | undefined {
  const match = STREAM_ARN.exec(arn);
  if (!match) return undefined;
  const [, region, account, name] = match as unknown as [string, string, string, string];
  return { account, region, name };
}

/** Every shard-level metric, what `ALL` stands for. */
export const ALL_SHARD_LEVEL_METRICS = [
  'IncomingBytes',
  'IncomingRecords',
  'OutgoingBytes',
  'OutgoingRecords',
  'WriteProvisionedThroughputExceeded',
  'ReadProvisionedThroughputExceeded',
  'IteratorAgeMilliseconds',
] as const satisfies readonly MetricsName[];
