/**
 * ON_DEMAND streams scale themselves: hot shards are split under sustained write load, and cold
 * ones merged back after the cool-down, never below the 4 shards an on-demand stream starts with.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  CreateStreamCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { kinesisClient, uniqueName, waitForStatus } from '../helpers/clients.js';
import { startServer } from '../helpers/server.js';

const HASH_SPACE = 1n << 128n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function openShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const { Shards } = await client.send(new ListShardsCommand({ StreamName: streamName, ShardFilter: { Type: 'AT_LATEST' } }));
  return Shards!;
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
  const server = await startServer({ args: ['--autoscale-interval-ms', '400', '--autoscale-cooldown-ms', '1200'] });
  const client = kinesisClient(server.url);
  try {
    const name = uniqueName('ondemand');
    await client.send(new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    await waitForStatus(client, name, 'ACTIVE');
    assert.equal((await openShards(client, name)).length, 4);

    // Well over 80% of four shards' 1,000 records/s, sustained over several intervals.
    const records = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.alloc(200, i) }));
    let peak = 4;
    const loadUntil = Date.now() + 10_000;
    while (Date.now() < loadUntil && peak < 6) {
      const result = await client.send(new PutRecordsCommand({ StreamName: name, Records: records }));
      assert.equal(result.FailedRecordCount, 0);
      peak = Math.max(peak, (await openShards(client, name)).length);
    }
    assert.ok(peak >= 6, `open shards under load: ${peak}`);
    assertPartition(await openShards(client, name));

    // Quiet now: after the cool-down, shards are merged back, but never below four.
    let low = peak;
    const quietUntil = Date.now() + 15_000;
    while (Date.now() < quietUntil && low > 4) {
      await sleep(200);
      const open = await openShards(client, name);
      assertPartition(open);
      low = Math.min(low, open.length);
    }
    assert.equal(low, 4, 'merged back down to the initial four shards');
    await sleep(1500);
    assert.equal((await openShards(client, name)).length, 4, 'and not below');
  } finally {
    client.destroy();
    await server.dispose();
  }
});

test('a provisioned stream never scales itself', async () => {
  const server = await startServer({ args: ['--autoscale-interval-ms', '200'] });
  const client = kinesisClient(server.url);
  try {
    const name = uniqueName('provisioned');
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await waitForStatus(client, name, 'ACTIVE');
    const records = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.alloc(200) }));
    const until = Date.now() + 1500;
    while (Date.now() < until) await client.send(new PutRecordsCommand({ StreamName: name, Records: records }));
    await sleep(500);
    assert.equal((await openShards(client, name)).length, 1);
  } finally {
    client.destroy();
    await server.dispose();
  }
});
