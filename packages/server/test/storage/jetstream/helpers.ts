/** Helpers for the JetStream storage tests. */

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { JetStreamRecordStore, type JetStreamRecordStoreOptions } from '../../../src/storage/jetstream/recordStore.js';
import { KeyUnavailableError, type DataKeySource } from '../../../src/storage/types.js';

export interface JetStreamNode {
  nc: NatsConnection;
  store: JetStreamRecordStore;
  close(): Promise<void>;
}

/** A store as a Freshet node would hold it: its own connection to the cluster. */
export async function openNode(urls: string[], options: Partial<JetStreamRecordStoreOptions> = {}): Promise<JetStreamNode> {
  const nc = await connect({ servers: urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const store = new JetStreamRecordStore({ js: jetstream(nc), jsm: await jetstreamManager(nc), ...options });
  return {
    nc,
    store,
    async close() {
      await store.close();
      await nc.close();
    },
  };
}

/** Data keys "wrapped" in the clear behind a tag; `enabled = false` makes every use fail. */
export interface TestKeySource extends DataKeySource {
  enabled: boolean;
  generation: number;
}

export function testKeySource(): TestKeySource {
  const tag = Buffer.from('test-key:');
  const source = {
    enabled: true,
    generation: 1,
    generateDataKey(keyRef: string) {
      if (!source.enabled) throw new KeyUnavailableError('Disabled', `${keyRef} is disabled`);
      const plaintext = Buffer.alloc(32, 7);
      return { plaintext, wrapped: Buffer.concat([tag, plaintext]) };
    },
    unwrapDataKey(wrapped: Buffer) {
      if (!source.enabled) throw new KeyUnavailableError('Disabled', 'the key is disabled');
      return Buffer.from(wrapped.subarray(tag.length));
    },
  };
  return source;
}
