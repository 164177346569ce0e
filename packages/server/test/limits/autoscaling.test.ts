/**
 * ON_DEMAND streams scale themselves: hot shards are split under sustained write load, and cold
 * ones merged back after the cool-down, never below the 4 shards an on-demand stream starts with.
 * The node runs on a manual clock: load is measured per interval of the test's own time, so a
 * slow machine writes the same records per interval as a fast one.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CreateStreamCommand, ListShardsCommand, PutRecordsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import { uniqueName, waitForStatus } from '../helpers/clients.js';
import { startNode, type TestNode } from '../helpers/fixture.js';
import type { ManualClock } from '../../src/core/clock.js';

const HASH_SPACE = 1n << 128n;
const INTERVAL_MS = 400;
/** AWS's: merges wait 15 minutes after a split (the engine's default). */
const COOLDOWN_MS = 15 * 60_000;

async function openShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const { Shards } = await client.send(new ListShardsCommand({ StreamName: streamName, ShardFilter: { Type: 'AT_LATEST' } }));
  return Shards!;
}

/** Moves time on by one autoscaling interval and lets whatever it started settle. */
async function nextInterval(node: TestNode<ManualClock>, name: string): Promise<Shard[]> {
  await node.clock.advance(INTERVAL_MS);
  await node.engine.autoscaler.settled();
  await node.waitForStream(name, 'ACTIVE');
  return openShards(node.kinesis, name);
}

function assertPartition(shards: Shard[]): void {
  const ranges = shards
    .map((shard) => [BigInt(shard.HashKeyRange!.StartingHashKey!), BigInt(shard.HashKeyRange!.EndingHashKey!)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let next = 0n;
  for (const [start, end] of ranges) {
    assert.equal(start, next, 'open shards leave no gap and do not overlap');
    next = end + 1n;
  }
  assert.equal(next, HASH_SPACE, 'open shards cover the whole key space');
}

test('an on-demand stream splits hot shards under load and merges cold ones after the cool-down', async () => {
  const node = await startNode({ clock: 'manual', engine: { autoscaleIntervalMs: INTERVAL_MS } });
  const client = node.kinesis;
  try {
    const name = uniqueName('ondemand');
    await client.send(new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    await waitForStatus(client, name, 'ACTIVE');
    assert.equal((await openShards(client, name)).length, 4);

    // 1,500 records per 400 ms interval: well over 80% of four shards' 1,000 records/s.
    const records = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.alloc(200, i) }));
    let peak = 4;
    for (let interval = 0; interval < 40 && peak < 6; interval++) {
      for (let call = 0; call < 3; call++) {
        const result = await client.send(new PutRecordsCommand({ StreamName: name, Records: records }));
        assert.equal(result.FailedRecordCount, 0);
      }
      peak = Math.max(peak, (await nextInterval(node, name)).length);
    }
    assert.ok(peak >= 6, `open shards under load: ${peak}`);
    assertPartition(await openShards(client, name));

    // Quiet now: still no merge just before the cool-down ends...
    await node.clock.advance(COOLDOWN_MS - 10 * INTERVAL_MS);
    await node.engine.autoscaler.settled();
    await node.waitForStream(name, 'ACTIVE');
    assert.equal((await openShards(client, name)).length, peak, 'no merge within the cool-down');
    // ...and after it, shards are merged back, but never below four.
    let low = peak;
    for (let interval = 0; interval < 100 && low > 4; interval++) {
      const open = await nextInterval(node, name);
      assertPartition(open);
      low = Math.min(low, open.length);
    }
    assert.equal(low, 4, 'merged back down to the initial four shards');
    for (let interval = 0; interval < 5; interval++) await nextInterval(node, name);
    assert.equal((await openShards(client, name)).length, 4, 'and not below');
  } finally {
    await node.dispose();
  }
});

test('a provisioned stream never scales itself', async () => {
  const node = await startNode({ clock: 'manual', engine: { autoscaleIntervalMs: INTERVAL_MS } });
  const client = node.kinesis;
  try {
    const name = uniqueName('provisioned');
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await waitForStatus(client, name, 'ACTIVE');
    const records = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.alloc(200) }));
    for (let interval = 0; interval < 5; interval++) {
      for (let call = 0; call < 2; call++) await client.send(new PutRecordsCommand({ StreamName: name, Records: records }));
      assert.equal((await nextInterval(node, name)).length, 1);
    }
  } finally {
    await node.dispose();
  }
});
