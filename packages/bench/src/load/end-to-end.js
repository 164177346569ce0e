import { KinesisClient, SubscribeToShardCommand } from '@aws-sdk/client-kinesis';
import { KinesisHttp } from '../kinesis/http.js';
import { listShardIds } from '../kinesis/streams.js';
import { partitionKey } from '../kinesis/records.js';
import { LatencySamples } from '../util/stats.js';

const MAX_OUTSTANDING = 256;
const GRACE_MS = 5_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// End-to-end latency: a producer calls PutRecord at `rate` per second, each record carrying its
// send time; a consumer on every shard receives it. Producer and consumers share this process,
// hence one clock. Two consumers: GetRecords polling, and SubscribeToShard (enhanced fan-out).

/** Latency bookkeeping shared by both consumers; duplicates (same sequence number) count once. */
function makeRecorder(measureFrom) {
  const latency = new LatencySamples();
  const seen = new Set();
  const state = { produced: 0, received: 0, duplicates: 0, errors: {}, latency };
  state.countError = (type) => (state.errors[type] = (state.errors[type] ?? 0) + 1);
  state.onRecord = (sequenceNumber, data, now) => {
    if (seen.has(sequenceNumber)) return void state.duplicates++;
    seen.add(sequenceNumber);
    const sentAt = Number(data.toString('latin1', 0, 40).split(' ')[0]);
    if (sentAt >= measureFrom) {
      latency.add(now - sentAt);
      state.received++;
    }
  };
  state.summary = () => ({
    produced: state.produced,
    received: state.received,
    lost: Math.max(0, state.produced - state.received),
    duplicates: state.duplicates,
    errors: state.errors,
    latencyMs: latency.summary(),
  });
  return state;
}

/** PutRecord at a fixed rate, open loop: a slow call does not delay the next (at most MAX_OUTSTANDING in flight). */
async function produce(client, { streamName, rate, recordSize, warmupMs, durationMs }, recorder, measureFrom) {
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
      () => (sentAt >= measureFrom ? recorder.produced++ : undefined),
      (error) => recorder.countError(error.type ?? 'Error'),
    );
    inFlight.add(put);
    put.finally(() => inFlight.delete(put));
  }
  await Promise.all(inFlight);
}

/** Waits for the consumers to catch up with the producer, at most GRACE_MS. */
async function awaitCatchUp(recorder) {
  const deadline = performance.now() + GRACE_MS;
  while (recorder.received < recorder.produced && performance.now() < deadline) await sleep(10);
}

/**
 * Polling consumer: one reader per shard from LATEST. A reader polls again at once after records
 * and waits `pollIntervalMs` after an empty answer, so the figure includes up to that much delay.
 */
export async function endToEndPolling({ endpoint, streamName, rate, recordSize, warmupMs, durationMs, pollIntervalMs }) {
  const client = new KinesisHttp(endpoint, { maxSockets: 64 });
  const shardIds = await listShardIds(client, streamName);
  const iterators = await Promise.all(
    shardIds.map(
      async (ShardId) =>
        (await client.call('GetShardIterator', { StreamName: streamName, ShardId, ShardIteratorType: 'LATEST' })).ShardIterator,
    ),
  );
  const measureFrom = performance.now() + warmupMs;
  const recorder = makeRecorder(measureFrom);
  let stop = false;

  async function readShard(iterator) {
    while (iterator && !stop) {
      let answer;
      try {
        answer = await client.call('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
      } catch (error) {
        recorder.countError(error.type ?? 'Error');
        await sleep(pollIntervalMs);
        continue;
      }
      const now = performance.now();
      for (const record of answer.Records) recorder.onRecord(record.SequenceNumber, Buffer.from(record.Data, 'base64'), now);
      iterator = answer.NextShardIterator;
      if (answer.Records.length === 0) await sleep(pollIntervalMs);
    }
  }

  const readers = Promise.all(iterators.map(readShard));
  await produce(client, { streamName, rate, recordSize, warmupMs, durationMs }, recorder, measureFrom);
  await awaitCatchUp(recorder);
  stop = true;
  await readers;
  client.close();
  return { consumer: 'GetRecords poll', rate, pollIntervalMs, ...recorder.summary() };
}

/**
 * Enhanced fan-out consumer: RegisterStreamConsumer, then SubscribeToShard (LATEST) on every shard
 * through SDK v3 and its default HTTP/2 handler, as an application would.
 */
export async function endToEndSubscribe({ endpoint, streamName, rate, recordSize, warmupMs, durationMs }) {
  const client = new KinesisHttp(endpoint, { maxSockets: 64 });
  const sdk = new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
    maxAttempts: 1,
  });
  const abort = new AbortController();
  try {
    const shardIds = await listShardIds(client, streamName);
    const consumerArn = await registerConsumer(client, streamName);
    let recorder;
    const subscriptions = await Promise.all(
      shardIds.map((ShardId) =>
        sdk.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId, StartingPosition: { Type: 'LATEST' } }), {
          abortSignal: abort.signal,
        }),
      ),
    );
    const readers = subscriptions.map(async ({ EventStream }) => {
      try {
        for await (const event of EventStream) {
          const now = performance.now();
          for (const record of event.SubscribeToShardEvent?.Records ?? [])
            recorder?.onRecord(record.SequenceNumber, Buffer.from(record.Data), now);
        }
      } catch (error) {
        if (!abort.signal.aborted) recorder?.countError(error.name ?? 'Error');
      }
    });
    const measureFrom = performance.now() + warmupMs;
    recorder = makeRecorder(measureFrom);
    await produce(client, { streamName, rate, recordSize, warmupMs, durationMs }, recorder, measureFrom);
    await awaitCatchUp(recorder);
    abort.abort();
    await Promise.race([Promise.all(readers), sleep(2_000)]);
    return { consumer: 'SubscribeToShard', rate, ...recorder.summary() };
  } finally {
    abort.abort();
    sdk.destroy();
    client.close();
  }
}

async function registerConsumer(client, streamName) {
  const { StreamDescriptionSummary: summary } = await client.call('DescribeStreamSummary', { StreamName: streamName });
  const { Consumer } = await client.call('RegisterStreamConsumer', { StreamARN: summary.StreamARN, ConsumerName: `bench-${process.pid}` });
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const { ConsumerDescription } = await client.call('DescribeStreamConsumer', { ConsumerARN: Consumer.ConsumerARN });
    if (ConsumerDescription.ConsumerStatus === 'ACTIVE') return Consumer.ConsumerARN;
    await sleep(50);
  }
  throw new Error('stream consumer not ACTIVE after 30 s');
}
