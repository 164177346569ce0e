import { KinesisHttp } from '../kinesis/http.js';
import { listShardIds } from '../kinesis/streams.js';
import { LatencySamples } from '../util/stats.js';

/**
 * Reads a stream from TRIM_HORIZON to its end with GetRecords (Limit 10,000), all shards at once,
 * one reader per shard as a consumer would. A shard is drained when a call returns no records and
 * MillisBehindLatest is 0 (or absent); the whole drain stops at `expectedRecords` or `timeCapMs`.
 * Responses are parsed with JSON.parse: a real consumer pays that too, and it runs in this process.
 */
export async function drain({ endpoint, streamName, expectedRecords, timeCapMs }) {
  const client = new KinesisHttp(endpoint, { maxSockets: 64 });
  const shardIds = await listShardIds(client, streamName);
  const callLatency = new LatencySamples();
  const totals = { records: 0, bytes: 0, calls: 0, emptyCalls: 0 };
  const start = performance.now();
  const deadline = start + timeCapMs;
  let finishedAt = start;

  async function readShard(shardId) {
    let { ShardIterator: iterator } = await client.call('GetShardIterator', { StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' });
    while (iterator && totals.records < expectedRecords && performance.now() < deadline) {
      const sentAt = performance.now();
      const answer = await client.call('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
      finishedAt = performance.now();
      callLatency.add(finishedAt - sentAt);
      totals.calls++;
      totals.records += answer.Records.length;
      for (const record of answer.Records) totals.bytes += Math.floor((record.Data.length * 3) / 4);
      if (answer.Records.length === 0) {
        totals.emptyCalls++;
        if (!answer.MillisBehindLatest) return;
      }
      iterator = answer.NextShardIterator;
    }
  }

  try {
    await Promise.all(shardIds.map(readShard));
  } finally {
    client.close();
  }
  const elapsedMs = Math.max(1, finishedAt - start);
  return {
    ...totals,
    shards: shardIds.length,
    elapsedMs,
    timedOut: totals.records < expectedRecords && performance.now() >= deadline,
    recordsPerSecond: (totals.records * 1000) / elapsedMs,
    bytesPerSecond: (totals.bytes * 1000) / elapsedMs,
    callLatencyMs: callLatency.summary(),
  };
}
