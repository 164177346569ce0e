#!/usr/bin/env node
/**
 * Enhanced fan-out benchmark (not a test): end-to-end latency and throughput of SubscribeToShard
 * through SDK v3, next to GetRecords polling, against a Freshet server on loopback.
 *
 *   node packages/server/scripts/fanout-bench.mjs [--url http://127.0.0.1:4567] [--shards 4]
 *        [--rate 500] [--seconds 15] [--consumers 1,5,20] [--backlog-mib 64] [--record-bytes 1024]
 *        [--fsync always|never]
 *
 * Without --url it starts its own server (a temporary data directory, instant status changes).
 *
 * 1. Latency: a producer calls PutRecord at --rate records/s (open loop, 100-byte records, keys
 *    spread over the shards); each record carries its send time. Consumers on every shard:
 *    N enhanced fan-out consumers (SubscribeToShard, TRIM_HORIZON of a fresh stream), or one
 *    GetRecords poller per shard (every 200 ms, AWS's 5 calls/s per shard; and "tight": again at
 *    once after records, 5 ms after an empty answer). Latency is measured from the PutRecord's
 *    acknowledgement (the producer has its sequence number) to the consumer's receipt, and from
 *    the send. Producer and consumers share this process, hence one clock.
 * 2. Throughput: a backlog of --backlog-mib is written, then read from TRIM_HORIZON by N fan-out
 *    consumers at once (each on every shard), or by N GetRecords readers (Limit 10,000) at once.
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  DescribeStreamConsumerCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
// Installed with @aws-sdk/client-kinesis (its HTTP/2 handler).
import { NodeHttp2Handler } from '@smithy/node-http-handler';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    shards: { type: 'string', default: '4' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '15' },
    consumers: { type: 'string', default: '1,5,20' },
    'backlog-mib': { type: 'string', default: '64' },
    'record-bytes': { type: 'string', default: '1024' },
    fsync: { type: 'string', default: 'always' },
  },
});
const SHARDS = Number(args.shards);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const CONSUMER_COUNTS = args.consumers.split(',').map(Number);
const BACKLOG_BYTES = Number(args['backlog-mib']) * 1024 * 1024;
const RECORD_BYTES = Number(args['record-bytes']);
const WARMUP_MS = 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };

// ---- server ------------------------------------------------------------------------------------

async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'freshet-fanout-bench-'));
  const bin = fileURLToPath(new URL('../bin/freshet.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--fsync',
      args.fsync,
      '--create-stream-ms',
      '0',
      '--delete-stream-ms',
      '0',
      '--register-consumer-ms',
      '0',
      '--deregister-consumer-ms',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---- helpers -----------------------------------------------------------------------------------

/**
 * SDK v3's Kinesis client isolates every request in its own HTTP/2 connection (for
 * SubscribeToShard's sake; event streams are isolated whatever the setting). `shared` clients
 * (producer, pollers) keep one connection for their unary calls instead, as a tuned client would.
 */
function client(url, shared = false) {
  return new KinesisClient({
    endpoint: url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    ...(shared ? { requestHandler: new NodeHttp2Handler({ disableConcurrentStreams: false }) } : {}),
  });
}

/** CPU time of a process in ms (Linux /proc), to show whether a run was CPU-bound. */
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

let streamCounter = 0;
async function createStream(kinesis) {
  const name = `fanout-bench-${process.pid}-${streamCounter++}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  for (;;) {
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (s.StreamStatus === 'ACTIVE') {
      const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: name }));
      return { name, arn: s.StreamARN, shardIds: Shards.map((shard) => shard.ShardId) };
    }
    await sleep(10);
  }
}

async function registerConsumers(kinesis, streamArn, count) {
  const arns = [];
  for (let i = 0; i < count; i++) {
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: `c${i}` }));
    for (;;) {
      const { ConsumerDescription } = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
      if (ConsumerDescription.ConsumerStatus === 'ACTIVE') break;
      await sleep(10);
    }
    arns.push(Consumer.ConsumerARN);
  }
  return arns;
}

function percentiles(samples) {
  if (samples.length === 0) return { n: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] };
}

const ms = (value) => (value === undefined ? '-' : value.toFixed(1).padStart(7));

/**
 * Keeps a subscription open on one shard for as long as `running()`: renews it (from the last
 * ContinuationSequenceNumber) when the server ends it, as a real consumer does.
 */
async function subscribeLoop(kinesis, consumerArn, shardId, running, onRecords, signal) {
  let position = { Type: 'TRIM_HORIZON' };
  while (running()) {
    try {
      const out = await kinesis.send(
        new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: position }),
        { abortSignal: signal },
      );
      for await (const event of out.EventStream) {
        const e = event.SubscribeToShardEvent;
        if (!e) continue;
        if (e.Records.length > 0) onRecords(e.Records, performance.now());
        if (e.ContinuationSequenceNumber) position = { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: e.ContinuationSequenceNumber };
        if (!running()) break;
      }
    } catch (err) {
      if (signal.aborted || !running()) return;
      if (err.name !== 'ResourceInUseException') throw err;
      await sleep(100);
    }
  }
}

/** Reads one shard with GetRecords; after records again at once, after an empty answer waits idleMs (or every intervalMs). */
async function pollLoop(kinesis, streamName, shardId, { intervalMs, idleMs }, running, onRecords, limit) {
  let { ShardIterator: iterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  while (running() && iterator) {
    const started = performance.now();
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, ...(limit ? { Limit: limit } : {}) }));
    if (page.Records.length > 0) onRecords(page.Records, performance.now());
    iterator = page.NextShardIterator;
    if (intervalMs) await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    else if (page.Records.length === 0) await sleep(idleMs);
  }
}

// ---- 1. latency --------------------------------------------------------------------------------

async function latencyRun(url, label, consume) {
  const producer = client(url, true);
  const consumers = client(url, label.startsWith('GetRecords'));
  const stream = await createStream(producer);
  const ackedAt = new Map();
  const early = new Map(); // sequence number -> receipts that came before its acknowledgement
  const fromAck = [];
  const fromSend = [];
  const measureFrom = performance.now() + WARMUP_MS;
  let received = 0;
  let duplicates = 0;
  const seen = new Map(); // sequence number -> receipts, one per consumer expected
  const onRecords = (records, now) => {
    for (const record of records) {
      const sent = Number(Buffer.from(record.Data).toString('latin1', 0, 24).split(' ')[0]);
      const count = (seen.get(record.SequenceNumber) ?? 0) + 1;
      seen.set(record.SequenceNumber, count);
      if (count > expectedReceipts) duplicates++;
      if (sent < measureFrom) continue;
      received++;
      fromSend.push(now - sent);
      const acked = ackedAt.get(record.SequenceNumber);
      if (acked !== undefined) fromAck.push(now - acked);
      else early.set(record.SequenceNumber, [...(early.get(record.SequenceNumber) ?? []), now]);
    }
  };
  let producing = true;
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // one signal for every subscription loop
  const { expectedReceipts, loops } = await consume({
    kinesis: consumers,
    stream,
    running: () => producing,
    onRecords,
    signal: abort.signal,
  });
  await sleep(300);

  // Open-loop producer.
  const total = Math.floor(((WARMUP_MS + SECONDS * 1000) * RATE) / 1000);
  const cpuBefore = { client: process.cpuUsage(), server: serverPid ? cpuMsOf(serverPid) : 0 };
  const start = performance.now();
  let measured = 0;
  const inFlight = new Set();
  let errors = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sent = performance.now();
    if (sent >= measureFrom) measured++;
    const data = Buffer.alloc(100, 0x20);
    data.write(`${sent} `, 'latin1');
    const call = producer
      .send(new PutRecordCommand({ StreamName: stream.name, PartitionKey: `k${i}`, Data: data }))
      .then((out) => {
        const now = performance.now();
        // Receipts before the acknowledgement count as negative latency from it.
        for (const at of early.get(out.SequenceNumber) ?? []) fromAck.push(at - now);
        early.delete(out.SequenceNumber);
        ackedAt.set(out.SequenceNumber, now);
      })
      .catch(() => errors++)
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - start;
  const cpu = {
    client: (process.cpuUsage(cpuBefore.client).user + process.cpuUsage(cpuBefore.client).system) / 1000 / elapsedMs,
    server: serverPid ? (cpuMsOf(serverPid) - cpuBefore.server) / elapsedMs : undefined,
  };
  const deadline = performance.now() + 5000;
  while (received < measured * expectedReceipts && performance.now() < deadline) await sleep(50);
  producing = false;
  abort.abort();
  await Promise.allSettled(loops);
  producer.destroy();
  consumers.destroy();
  const ack = percentiles(fromAck);
  const send = percentiles(fromSend);
  return { label, expected: measured * expectedReceipts, received, duplicates, errors, ack, send, cpu };
}

function fanOutConsumers(count) {
  return async ({ kinesis, stream, running, onRecords, signal }) => {
    const arns = await registerConsumers(kinesis, stream.arn, count);
    const loops = arns.flatMap((arn) => stream.shardIds.map((shardId) => subscribeLoop(kinesis, arn, shardId, running, onRecords, signal)));
    for (const loop of loops) loop.catch((err) => console.error('subscription failed:', err.name, err.message));
    return { expectedReceipts: count, loops };
  };
}

function pollers(options) {
  return async ({ kinesis, stream, running, onRecords }) => {
    const loops = stream.shardIds.map((shardId) => pollLoop(kinesis, stream.name, shardId, options, running, onRecords));
    for (const loop of loops) loop.catch((err) => console.error('poller failed:', err.name, err.message));
    return { expectedReceipts: 1, loops };
  };
}

// ---- 2. throughput -----------------------------------------------------------------------------

async function writeBacklog(kinesis, stream) {
  const perCall = Math.max(1, Math.min(500, Math.floor((4 * 1024 * 1024) / RECORD_BYTES)));
  const count = Math.ceil(BACKLOG_BYTES / RECORD_BYTES);
  const data = Buffer.alloc(RECORD_BYTES, 0x61);
  for (let start = 0; start < count; start += perCall) {
    const Records = [];
    for (let i = start; i < Math.min(count, start + perCall); i++) Records.push({ PartitionKey: `k${i}`, Data: data });
    await kinesis.send(new PutRecordsCommand({ StreamName: stream.name, Records }));
  }
  return count;
}

async function throughputRun(url, label, count, mode) {
  const setup = client(url, true);
  const stream = await createStream(setup);
  const records = await writeBacklog(setup, stream);
  const arns = mode === 'fanout' ? await registerConsumers(setup, stream.arn, count) : [];
  // SDK defaults here: shared connections carrying several ~14 MB GetRecords answers at once made
  // the (CPU-bound) client reset its own streams (NGHTTP2_ENHANCE_YOUR_CALM) with 20 readers.
  const readers = Array.from({ length: count }, () => client(url));
  let got = 0;
  const target = records * count;
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // one signal for every subscription loop
  const cpuBefore = { client: process.cpuUsage(), server: serverPid ? cpuMsOf(serverPid) : 0 };
  const started = performance.now();
  const running = () => got < target;
  const onRecords = (list) => (got += list.length);
  const loops = [];
  for (let c = 0; c < count; c++) {
    for (const shardId of stream.shardIds) {
      loops.push(
        mode === 'fanout'
          ? subscribeLoop(readers[c], arns[c], shardId, running, onRecords, abort.signal)
          : pollLoop(readers[c], stream.name, shardId, { idleMs: 5 }, running, onRecords, 10_000),
      );
    }
  }
  while (running()) await sleep(5);
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(cpuBefore.client);
  const cpu = {
    client: (clientCpu.user + clientCpu.system) / 1000 / (seconds * 1000),
    server: serverPid ? (cpuMsOf(serverPid) - cpuBefore.server) / (seconds * 1000) : undefined,
  };
  abort.abort();
  await Promise.allSettled(loops);
  for (const reader of readers) reader.destroy();
  await setup.send(new DeleteStreamCommand({ StreamName: stream.name, EnforceConsumerDeletion: true }));
  setup.destroy();
  const mib = (records * RECORD_BYTES * count) / (1024 * 1024);
  return { label, seconds, mibPerSecond: mib / seconds, recordsPerSecond: (records * count) / seconds, cpu };
}

// ---- main --------------------------------------------------------------------------------------

const server = args.url ? undefined : await startServer();
const url = args.url ?? server.url;
const serverPid = server?.pid;
const stopServer = () => server?.stop().catch(() => {});
process.on('uncaughtException', async (err) => {
  console.error('fanout-bench failed:', err);
  await stopServer();
  process.exit(1);
});
process.on('unhandledRejection', async (err) => {
  console.error('fanout-bench failed:', err);
  await stopServer();
  process.exit(1);
});
console.log(`Freshet at ${url}${server ? ` (started here, --fsync ${args.fsync})` : ''}; ${SHARDS} shards; node ${process.version}`);

console.log(`\n1. End-to-end latency: PutRecord at ${RATE} records/s of 100 B for ${SECONDS} s (after ${WARMUP_MS} ms warm-up)`);
console.log(
  'consumer                          received/expected   from ack: p50     p90     p99     max | from send: p50     p99 | CPU server client',
);
const latencyRuns = [
  ...CONSUMER_COUNTS.map((n) => [`SubscribeToShard, ${n} consumer${n > 1 ? 's' : ''}`, fanOutConsumers(n)]),
  ['GetRecords poll, 200 ms', pollers({ intervalMs: 200 })],
  ['GetRecords poll, tight (5 ms idle)', pollers({ idleMs: 5 })],
];
for (const [label, consume] of latencyRuns) {
  const r = await latencyRun(url, label, consume);
  console.log(
    `${label.padEnd(34)}${`${r.received}/${r.expected}`.padStart(17)}   ${ms(r.ack.p50)} ${ms(r.ack.p90)} ${ms(r.ack.p99)} ${ms(r.ack.max)} |  ${ms(r.send.p50)} ${ms(r.send.p99)} |` +
      ` ${r.cpu.server === undefined ? '   -' : `${Math.round(r.cpu.server * 100)}%`.padStart(5)} ${`${Math.round(r.cpu.client * 100)}%`.padStart(6)}` +
      (r.duplicates || r.errors ? `  (${r.duplicates} duplicates, ${r.errors} put errors)` : ''),
  );
}

console.log(
  `\n2. Throughput: a backlog of ${args['backlog-mib']} MiB in ${RECORD_BYTES}-byte records, read from TRIM_HORIZON by N readers at once`,
);
console.log('reader                                   seconds   MiB/s (all)   records/s (all) | CPU server client');
for (const n of CONSUMER_COUNTS) {
  for (const [mode, label] of [
    ['fanout', `SubscribeToShard, ${n} consumer${n > 1 ? 's' : ''}`],
    ['poll', `GetRecords, ${n} reader${n > 1 ? 's' : ''}`],
  ]) {
    const r = await throughputRun(url, label, n, mode);
    console.log(
      `${label.padEnd(40)}${r.seconds.toFixed(2).padStart(8)}${r.mibPerSecond.toFixed(1).padStart(14)}${Math.round(r.recordsPerSecond).toString().padStart(18)} |` +
        ` ${r.cpu.server === undefined ? '   -' : `${Math.round(r.cpu.server * 100)}%`.padStart(5)} ${`${Math.round(r.cpu.client * 100)}%`.padStart(6)}`,
    );
  }
}

await stopServer();
