/**
 * The JetStream RecordStore: one JetStream stream per Kinesis stream log, created on first open
 * (file storage, `replicas` copies, no max_age: retention is `trim`, driven by the engine's clock),
 * deleted by destroy. See docs/storage.md, "The JetStream engine".
 */

import { randomBytes } from 'node:crypto';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { DamagedRange, DataKeySource, RecordStore, StreamLog } from '../types.js';
import { DEFAULT_PUBLISH_POLICY, DUPLICATE_WINDOW_MS, withRetries, type PublishPolicy } from './publish.js';
import { JetStreamStreamLog, jetStreamName, type JetStreamLogContext } from './streamLog.js';

export interface JetStreamRecordStoreOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Copies of every message (JetStream num_replicas): 3 by default, 1 for a single server. */
  replicas?: number;
  /** Prefix of stream names (`<prefix>_<id>`) and subjects (`<prefix>.<id>.<shard>`). */
  prefix?: string;
  now?: () => number;
  keys?: DataKeySource;
  publish?: Partial<PublishPolicy>;
}

export const DEFAULT_REPLICAS = 3;
export const DEFAULT_PREFIX = 'freshet';

export class JetStreamRecordStore implements RecordStore {
  private readonly ctx: JetStreamLogContext;
  private readonly replicas: number;
  private readonly logs = new Map<string, Promise<JetStreamStreamLog>>();
  private readonly closedLogDamage: DamagedRange[] = [];

  constructor(options: JetStreamRecordStoreOptions) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (!/^[a-z0-9-]+$/i.test(prefix)) throw new RangeError('a JetStream prefix is letters, digits and dashes');
    this.replicas = options.replicas ?? DEFAULT_REPLICAS;
    // Retries of one publish reuse its id, so JetStream stores it once; ids are never reused.
    const nodeId = randomBytes(12).toString('hex');
    let messageCount = 0;
    this.ctx = {
      js: options.js,
      jsm: options.jsm,
      prefix,
      now: options.now ?? Date.now,
      keys: options.keys,
      publish: { ...DEFAULT_PUBLISH_POLICY, ...options.publish },
      newMessageId: () => `${nodeId}-${++messageCount}`,
    };
  }

  open(id: string): Promise<StreamLog> {
    if (!/^[a-z0-9-]+$/i.test(id)) return Promise.reject(new RangeError(`log id ${JSON.stringify(id)} is not a valid JetStream name`));
    let log = this.logs.get(id);
    if (!log) {
      log = this.openLog(id);
      this.logs.set(id, log);
      log.catch(() => this.logs.delete(id));
    }
    return log;
  }

  /** Deletes the JetStream stream (on every replica). A stream that does not exist is a no-op. */
  async destroy(id: string): Promise<void> {
    if (this.logs.has(id)) throw new Error(`log ${id} is open`);
    try {
      await withRetries(this.ctx.publish, () => this.ctx.jsm.streams.delete(jetStreamName(this.ctx.prefix, id)));
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
  }

  damage(): DamagedRange[] {
    return [...this.closedLogDamage];
  }

  /** JetStream checks its own files (per-block checksums); Freshet's checks run on every read. */
  async verify(): Promise<DamagedRange[]> {
    return [];
  }

  async close(): Promise<void> {
    const logs = await Promise.allSettled([...this.logs.values()]);
    for (const log of logs) if (log.status === 'fulfilled') await log.value.close();
  }

  /** Creates the stream if absent; an existing one (made by another node) is used as it is. */
  private async openLog(id: string): Promise<JetStreamStreamLog> {
    const name = jetStreamName(this.ctx.prefix, id);
    const info = await withRetries(this.ctx.publish, async () => {
      try {
        return await this.ctx.jsm.streams.info(name);
      } catch (error) {
        if (!isStreamNotFound(error)) throw error;
        // Two nodes creating at once both succeed: JetStream accepts an identical config again.
        return await this.ctx.jsm.streams.add(this.streamConfig(name, id));
      }
    });
    const log: JetStreamStreamLog = new JetStreamStreamLog(this.ctx, id, info.state.last_seq, () => {
      this.closedLogDamage.push(...log.damage());
      this.logs.delete(id);
    });
    return log;
  }

  private streamConfig(name: string, id: string): Partial<StreamConfig> & { name: string } {
    return {
      name,
      subjects: [`${this.ctx.prefix}.${id}.*`],
      storage: StorageType.File,
      num_replicas: this.replicas,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      // Every message of an append is one message: the server's max_payload is the only bound.
      max_msg_size: -1,
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
      // Messages are only ever removed by trim (purge) or with the whole stream.
      deny_delete: true,
    };
  }
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}
