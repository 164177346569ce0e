import { after, before, describe } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../../src/storage/jetstream/connection.js';
import { JetStreamMetadataStore } from '../../../src/storage/jetstream/metadataStore.js';
import { startNatsCluster, type NatsCluster } from '../../helpers/natsCluster.js';
import { leaseContract } from '../leaseContract.js';

describe('lease on the JetStream KV metadata store, two nodes on different servers', { timeout: 120_000 }, () => {
  let cluster: NatsCluster;
  const connections: NatsConnection[] = [];
  let tests = 0;
  const storeOn = async (server: number) => {
    const nc = await connectNats({ servers: [cluster.urls[server]] });
    connections.push(nc);
    return JetStreamMetadataStore.open(nc);
  };
  before(async () => {
    cluster = await startNatsCluster(3);
  });
  after(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await cluster?.stop();
  });

  leaseContract(async () => ({ a: await storeOn(0), b: await storeOn(2), prefix: `t${++tests}/`, done: async () => undefined }));
});
