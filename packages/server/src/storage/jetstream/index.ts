/**
 * The JetStream storage engine (cluster mode): records in JetStream streams, metadata in a KV
 * bucket, both on a NATS cluster that every Freshet node of the cluster connects to. The same
 * shape as `openLocalStorage`'s, so the node starts either behind the same seam. See
 * docs/storage.md, "The JetStream engine".
 */

import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, type NatsConnectionOptions } from './connection.js';
import { JetStreamMetadataStore } from './metadataStore.js';
import { DEFAULT_REPLICAS, JetStreamRecordStore } from './recordStore.js';
import type { DamagedRange, DataKeySource, MetadataStore, RecordStore } from '../types.js';

export { NatsUnavailableError, type NatsConnectionOptions, type NatsTlsOptions } from './connection.js';

export interface JetStreamStorageOptions {
  connection: NatsConnectionOptions;
  /** Copies of every record and metadata entry (1, 3 or 5; default 3; 1 for a single server). */
  replicas?: number;
  /** The clock (epoch ms) of arrival times and retention. Default Date.now. */
  now?: () => number;
  /** The KMS keyring, as for the local engine. */
  keys?: DataKeySource;
}

export interface JetStreamStorage {
  records: RecordStore;
  metadata: MetadataStore;
  /** JetStream checks its own files; what reads found is in `records`. No metadata file can be damaged here. */
  damage(): { metadata: never[]; records: DamagedRange[] };
  close(): Promise<void>;
}

export async function openJetStreamStorage(options: JetStreamStorageOptions): Promise<JetStreamStorage> {
  const replicas = options.replicas ?? DEFAULT_REPLICAS;
  const nc = await connectNats(options.connection);
  try {
    const metadata = await JetStreamMetadataStore.open(nc, { replicas });
    const records = new JetStreamRecordStore({
      js: jetstream(nc),
      jsm: await jetstreamManager(nc),
      replicas,
      ...(options.now ? { now: options.now } : {}),
      ...(options.keys ? { keys: options.keys } : {}),
    });
    return {
      records,
      metadata,
      damage: () => ({ metadata: [], records: records.damage() }),
      close: async () => {
        await records.close();
        await metadata.close();
        await drain(nc);
      },
    };
  } catch (error) {
    await drain(nc);
    throw error;
  }
}

/** Lets pending publishes and replies finish, then closes (close() alone would drop them). */
async function drain(nc: NatsConnection): Promise<void> {
  if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
}
