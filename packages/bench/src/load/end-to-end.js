import { KinesisHttp } from '../kinesis/http.js';
import { listShardIds } from '../kinesis/streams.js';
import { partitionKey } from '../kinesis/records.js';
import { LatencySamples } from '../util/stats.js';

const MAX_OUTSTANDING = 256;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * End-to-end latency, put to polling consumer: one reader per shard polls GetRecords from LATEST;
 * a producer calls PutRecord at `rate` per second, each record carrying its send time. Producer and
 * readers share this process, hence one clock. A reader polls again at once after records and waits
 * `pollIntervalMs` after an empty answer, so the figure includes up to that much polling delay.
 */
export async function endToEndPolling({ endpoint, streamName, rate, recordSize, warmupMs, durationMs, pollIntervalMs }) {
  const client = new KinesisHttp(endpoint, { maxSockets: 64 });
  const shardIds = await listShardIds(client, streamName);
  const iterators = await Promise.all(
    shardIds.map(async (ShardId) => (await client.call('GetShardIterator', { StreamName: streamName, ShardId, ShardIteratorType: 'LATEST' })).ShardIterator),
  );
  const latency = new LatencySamples();
  const errors = {};
  let produced = 0;
  let received = 0;
  let duplicates = 0;
  const seen = new Set();
  let producing = true;
  let stopReading = false;
  const measureFrom = performance.now() + warmupMs;

  async function readShard(iterator) {
    while (iterator && !stopReading) {
      let answer;
      try {
        answer = await client.call('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
      } catch (error) {
        errors[error.type ?? 'Error'] = (errors[error.type ?? 'Error'] ?? 0) + 1;
        await sleep(pollIntervalMs);
        continue;
      }
      const now = performance.now();
      for (const record of answer.Records) {
        // A record delivered twice (same sequence number) is counted once, and reported.
        if (seen.has(record.SequenceNumber)) {
          duplicates++;
          continue;
        }
        seen.add(record.SequenceNumber);
        const sentAt = Number(Buffer.from(record.Data, 'base64').toString('latin1').split(' ')[0]);
        if (sentAt >= measureFrom) {
          latency.add(now - sentAt);
          received++;
        }
      }
      iterator = answer.NextShardIterator;
      if (answer.Records.length === 0) {
        if (!producing && received >= produced) return;
        await sleep(pollIntervalMs);
      }
    }
  }

  // Open loop: a slow PutRecord does not delay the next one (at most MAX_OUTSTANDING in flight).
  async function produce() {
    const intervalMs = 1000 / rate;
    const start = performance.now();
    const count = Math.floor(((warmupMs + durationMs) * rate) / 1000);
    const inFlight = new Set();
    for (let i = 0; i < count; i++) {
      const wait = start + i * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.size >= MAX_OUTSTANDING) continue;
      const sentAt = performance.now();
      const data = Buffer.from(`${sentAt} `.padEnd(recordSize, 'x'));
      const put = client.call('PutRecord', { StreamName: streamName, PartitionKey: partitionKey(i, 0), Data: data.toString('base64') }).then(
        () => (sentAt >= measureFrom ? produced++ : undefined),
        (error) => (errors[error.type ?? 'Error'] = (errors[error.type ?? 'Error'] ?? 0) + 1),
      );
      inFlight.add(put);
      put.finally(() => inFlight.delete(put));
    }
    await Promise.all(inFlight);
    producing = false;
  }

  const readers = Promise.all(iterators.map(readShard));
  await produce();
  // Give the readers a bounded grace period for the last records.
  const timeout = sleep(5_000).then(() => (stopReading = true));
  await Promise.race([readers, timeout]);
  stopReading = true;
  await readers;
  client.close();
  return { rate, produced, received, lost: Math.max(0, produced - received), duplicates, errors, pollIntervalMs, latencyMs: latency.summary() };
}
