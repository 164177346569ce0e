import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../../src/storage/jetstream/connection.js';
import { decodeKey, encodeKey, JetStreamMetadataStore } from '../../../src/storage/jetstream/metadataStore.js';
import { RevisionMismatchError } from '../../../src/storage/types.js';
import { startNatsCluster, type NatsCluster } from '../../helpers/natsCluster.js';
import { metadataContract } from '../metadataContract.js';

describe('JetStream KV metadata store', { timeout: 120_000 }, () => {
  let cluster: NatsCluster;
  const connections: NatsConnection[] = [];
  let tests = 0;
  /** A connection to one server of the cluster only, as a Freshet node configured with that one. */
  const connectTo = async (server: number) => {
    const nc = await connectNats({ servers: [cluster.urls[server]] });
    connections.push(nc);
    return nc;
  };
  before(async () => {
    cluster = await startNatsCluster(3);
  });
  after(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await cluster?.stop();
  });

  // One bucket for the suite: each test works under its own prefix.
  metadataContract(async () => {
    const meta = await JetStreamMetadataStore.open(await connectTo(tests % 3));
    return { meta, prefix: `t${++tests}/`, done: () => meta.close() };
  });

  it('two nodes racing to create the same key, and to update it from the same revision: exactly one wins each time', async () => {
    const a = await JetStreamMetadataStore.open(await connectTo(0));
    const b = await JetStreamMetadataStore.open(await connectTo(1));
    for (let round = 0; round < 20; round++) {
      const key = `race/${round}`;
      const created = await Promise.allSettled([a.put(key, 'a', 0), b.put(key, 'b', 0)]);
      const winners = created.filter((r) => r.status === 'fulfilled');
      assert.equal(winners.length, 1, `round ${round}: one create wins`);
      const loser = created.find((r) => r.status === 'rejected')!;
      assert.ok(loser.reason instanceof RevisionMismatchError);
      const revision = (winners[0] as PromiseFulfilledResult<number>).value;
      assert.equal(loser.reason.actual, revision, 'the loser learns the winning revision');
      const updated = await Promise.allSettled([a.put(key, 'a2', revision), b.put(key, 'b2', revision)]);
      assert.equal(updated.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: one update wins`);
      // Each node reads the other's write at once (reads go to the bucket's leader).
      assert.deepEqual(await a.get(key), await b.get(key));
    }
  });

  it('keeps every acknowledged write when the bucket leader is SIGKILLed', async () => {
    const nc = await connectNats({ servers: cluster.urls });
    connections.push(nc);
    const meta = await JetStreamMetadataStore.open(nc);
    const written = await meta.put('survives/one', { acknowledged: true });
    const leader = await bucketLeader(nc);
    await cluster.kill(leader, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        assert.deepEqual(await meta.get('survives/one'), { value: { acknowledged: true }, revision: written });
        assert.ok((await meta.put('survives/one', { after: true }, written)) > written);
        break;
      } catch (e) {
        if (Date.now() > deadline || e instanceof assert.AssertionError) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await cluster.restart(leader);
  });

  it('encodes keys into KV keys and back, one character at a time', () => {
    for (const key of ['streams/a_b-c', 'a.b', '=', ' ', 'ü🚀', '*>']) {
      assert.match(encodeKey(key), /^[-/_=A-Za-z0-9]+$/);
      assert.equal(decodeKey(encodeKey(key)), key);
    }
    assert.ok(encodeKey('ab.c').startsWith(encodeKey('ab.')));
  });

  async function bucketLeader(nc: NatsConnection): Promise<number> {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const info = await (await jetstreamManager(nc)).streams.info('KV_freshet_meta');
    return cluster.nodes.findIndex((_, i) => cluster.serverName(i) === info.cluster?.leader);
  }
});
