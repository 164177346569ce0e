import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsCluster, type NatsCluster } from '../../helpers/natsCluster.js';

describe('the NATS cluster test harness', { timeout: 120_000 }, () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  before(async () => {
    cluster = await startNatsCluster(3);
    nc = await connect({ servers: cluster.urls, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  });
  after(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('runs an R3 stream that keeps taking publishes after its leader is SIGKILLed', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'harness', subjects: ['harness.>'], num_replicas: 3 });
    const js = jetstream(nc, { timeout: 2000 });
    for (let i = 0; i < 10; i++) await js.publish('harness.a', `before ${i}`, { msgID: `before-${i}` });

    const info = await jsm.streams.info('harness');
    assert.equal(info.cluster?.replicas?.length, 2, 'two followers besides the leader');
    const leader = info.cluster?.leader;
    const leaderIndex = cluster.nodes.findIndex((_, i) => cluster.serverName(i) === leader);
    assert.ok(leaderIndex >= 0, `leader ${leader} is one of the cluster's nodes`);
    await cluster.kill(leaderIndex, 'SIGKILL');

    // Publish with the same message id until the election is over: JetStream de-duplicates a retry.
    for (let i = 0; i < 10; i++) await publishRetrying(() => js.publish('harness.a', `after ${i}`, { msgID: `after-${i}` }));
    const after = await jsm.streams.info('harness');
    assert.equal(after.state.messages, 20, 'every publish stored once');
    assert.notEqual(after.cluster?.leader, leader, 'a new leader was elected');

    await cluster.restart(leaderIndex);
  });
});

async function publishRetrying(publish: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await publish();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
