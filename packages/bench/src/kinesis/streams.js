import { sleep } from '../util/format.js';

/** Creates a provisioned stream and waits until it is ACTIVE (peers default to 500 ms in CREATING). */
export async function createActiveStream(client, streamName, shardCount, timeoutMs = 120_000) {
  await client.call('CreateStream', { StreamName: streamName, ShardCount: shardCount });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { StreamDescriptionSummary: summary } = await client.call('DescribeStreamSummary', { StreamName: streamName });
    if (summary.StreamStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`stream ${streamName} not ACTIVE after ${timeoutMs} ms`);
}

/** Every shard id of a stream, following ListShards pagination. */
export async function listShardIds(client, streamName) {
  const ids = [];
  let input = { StreamName: streamName };
  for (;;) {
    const { Shards, NextToken } = await client.call('ListShards', input);
    ids.push(...Shards.map((shard) => shard.ShardId));
    if (!NextToken) return ids;
    input = { NextToken };
  }
}
