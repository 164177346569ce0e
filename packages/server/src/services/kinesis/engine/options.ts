import { systemClock, type Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { LimitsMode } from './throughput.js';

/** Engine settings, with the defaults Freshet runs with. */
export interface EngineOptions {
  /** The 12-digit account id streams belong to (until authentication maps callers to accounts). */
  account: string;
  /** How long CreateStream, DeleteStream and stream updates stay in their transitional status. */
  createStreamMs: number;
  deleteStreamMs: number;
  updateStreamMs: number;
  /** Open shards allowed per account and region (AWS: 500 in the largest regions). */
  shardLimit: number;
  /** On-demand streams allowed per account and region (AWS: 50). */
  onDemandStreamLimit: number;
  /** The length of one retention hour in ms: 3,600,000, or less to test retention quickly. */
  retentionHourMs: number;
  /** 'aws' enforces AWS's per-shard and control-plane rates; 'none' throttles nothing. */
  limits: LimitsMode;
  /** How often on-demand streams are checked for hot and cold shards. */
  autoscaleIntervalMs: number;
  /** How long after a split an on-demand stream may merge cold shards back. */
  autoscaleCooldownMs: number;
  /** How long a registered consumer stays CREATING, and a deregistered one DELETING. */
  registerConsumerMs: number;
  deregisterConsumerMs: number;
  /** How long a SubscribeToShard subscription lasts (AWS: 5 minutes). */
  subscriptionMs: number;
  /** Every reading of the time and every timer of the engine (default: the system clock). */
  clock: Clock;
  /** Where the engine reports failures it recovers from (default: a pino logger on stderr). */
  logger: Logger;
  /**
   * The KMS keys StartStreamEncryption checks (the storage encrypts with the same keyring).
   * Without one, any KeyId is accepted and encrypted appends fail when they need the key.
   */
  kms?: KeyChecker;
}

/** What StartStreamEncryption asks of a KMS: does the key exist, and may it be used? */
export interface KeyChecker {
  /** Throws KeyUnavailableError (storage/types.ts) when the key is missing or unusable. */
  checkKey(keyRef: string): void;
}

/** The defaults; the logger is made when an engine opens without one. */
export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, 'logger'> & { logger?: Logger } = {
  account: '000000000000',
  createStreamMs: 500,
  deleteStreamMs: 500,
  updateStreamMs: 500,
  shardLimit: 500,
  onDemandStreamLimit: 50,
  retentionHourMs: 3_600_000,
  limits: 'none',
  autoscaleIntervalMs: 10_000,
  autoscaleCooldownMs: 15 * 60_000,
  registerConsumerMs: 500,
  deregisterConsumerMs: 500,
  subscriptionMs: 300_000,
  clock: systemClock,
};

/** AWS's record limits. */
export const LIMITS = {
  defaultRetentionHours: 24,
  minRetentionHours: 24,
  maxRetentionHours: 8760,
  defaultMaxRecordSizeKiB: 1024,
  onDemandInitialShards: 4,
  maxTagsPerStream: 50,
  putRecordsMaxBytes: 5 * 1024 * 1024,
  getRecordsMaxRecords: 10_000,
  getRecordsMaxBytes: 10 * 1024 * 1024,
  modeSwitchesPerDay: 2,
} as const;
