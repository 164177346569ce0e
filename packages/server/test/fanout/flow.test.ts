/**
 * Flow control and clean-up: a consumer that does not read is throttled by HTTP/2 flow control
 * (the server's memory does not grow with what it cannot send) and later receives everything in
 * order; a slow SDK v3 consumer gets every record; a client that disconnects mid-stream, over
 * HTTP/2 or HTTP/1.1, frees its subscription at once (a new one is accepted within the 5-second
 * window that would otherwise refuse it). With `--limits aws`, 2 MiB/s per subscription and one
 * call per second per consumer and shard.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { PutRecordsCommand, SubscribeToShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createActiveStream, rejects } from '../helpers/api.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { EventStreamDecoder } from '@freshet/aws';
import { activeConsumer, collect, dataOf, numbered, putNumbered, RawSubscription, rssOf, sleep, startFanoutServer } from './helpers.js';
import { formOnlySignature } from '../helpers/signing.js';

const SHARD = 'shardId-000000000000';
const MIB = 1024 * 1024;

describe('flow control and disconnects', () => {
  let server: TestServer;
  let kinesis: KinesisClient;
  before(async () => {
    server = await startFanoutServer(['--fsync', 'never']);
    kinesis = kinesisClient(server.url);
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  async function setUp() {
    const name = uniqueName('flow');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const consumerArn = await activeConsumer(kinesis, streamArn, 'app');
    return { name, consumerArn };
  }

  /** Writes `count` records of `size` bytes whose data starts with their number. */
  async function putBig(name: string, count: number, size: number): Promise<void> {
    const perCall = Math.max(1, Math.floor((4 * MIB) / size));
    for (let start = 0; start < count; start += perCall) {
      const Records = [];
      for (let i = start; i < Math.min(count, start + perCall); i++) {
        const data = Buffer.alloc(size, 0x61);
        data.write(`big-${i}:`);
        Records.push({ PartitionKey: 'k', Data: data });
      }
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records }));
      assert.equal(out.FailedRecordCount, 0);
    }
  }

  it('throttles a consumer that does not read, holding no backlog, then delivers everything in order', { timeout: 120_000 }, async () => {
    const { name, consumerArn } = await setUp();
    const count = 320;
    const size = 256 * 1024; // 80 MiB in all: about 109 MiB of base64 JSON events
    // Control: the same writes with no subscriber, so the write path's own memory is counted once.
    const control = await setUp();
    const idle = rssOf(server.child.pid!);
    await putBig(control.name, count, size);
    await sleep(300);
    const afterControl = rssOf(server.child.pid!);

    await putNumbered(kinesis, name, 1);
    const sub = new RawSubscription(server.url, { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } });
    await sub.waitFor(() => sub.records().length === 1, 'the first record');
    sub.stream.pause();
    await sleep(200);
    const before = rssOf(server.child.pid!);
    await putBig(name, count, size);
    await sleep(500);
    const stalled = rssOf(server.child.pid!);
    const growth = stalled - before;
    const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;
    process.stdout.write(
      `# server RSS: ${mib(idle)} -> ${mib(afterControl)} writing ${mib(count * size)} with no subscriber; ` +
        `${mib(before)} -> ${mib(stalled)} writing it again for a stalled subscriber\n`,
    );
    // The write path alone grows RSS by the control's growth (heap and page-cache-backed buffers
    // vary with the machine's load); buffering what the subscriber cannot take would add ~109 MiB
    // on top of that, flow control next to nothing.
    const controlGrowth = Math.max(0, afterControl - idle);
    assert.ok(
      growth < controlGrowth + 48 * MIB,
      `server RSS grew by ${(growth / MIB).toFixed(1)} MiB while the subscriber was stalled, ` +
        `${(controlGrowth / MIB).toFixed(1)} MiB with no subscriber`,
    );

    sub.stream.resume();
    await sub.waitFor(() => sub.records().length >= count + 1, 'every record after resuming', 60_000);
    const received = sub.records();
    assert.equal(received.length, count + 1);
    assert.equal(received[0], 'r-0');
    for (let i = 0; i < count; i++) {
      assert.ok(received[i + 1]!.startsWith(`big-${i}:`), `record ${i + 1} is big-${i}`);
      assert.equal(received[i + 1]!.length, size);
    }
    sub.close();
  });

  it('gives a slow SDK v3 consumer every record, in order', { timeout: 60_000 }, async () => {
    const { name, consumerArn } = await setUp();
    await putNumbered(kinesis, name, 2000, { pad: 2048 });
    const got = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } },
      {
        onEvent: () => sleep(150),
        until: (c) => c.records.length >= 2000,
        timeoutMs: 50_000,
      },
    );
    assert.equal(got.error, undefined, String(got.error));
    assert.deepEqual(
      dataOf(got.records).map((d) => d.replace(/\.+$/, '')),
      numbered(2000),
    );
  });

  it('frees the subscription of an HTTP/2 client that disconnects mid-stream, even while it is stalled', async () => {
    const { name, consumerArn } = await setUp();
    const input = { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' as const } };
    await putNumbered(kinesis, name, 1);
    const sub = new RawSubscription(server.url, input);
    await sub.waitFor(() => sub.records().length === 1, 'the first record');
    sub.stream.pause();
    await putBig(name, 40, 256 * 1024); // the server now waits for a window that never opens
    await sleep(200);
    sub.close();
    await sleep(100);
    const again = await collect(kinesis, input, { until: (c) => c.records.length >= 41 });
    assert.equal(again.error, undefined, String(again.error));
    assert.equal(again.records.length, 41);
  });

  it('frees the subscription of an HTTP/1.1 client that disconnects mid-stream', async () => {
    const { name, consumerArn } = await setUp();
    const input = { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' as const } };
    await putNumbered(kinesis, name, 3);
    const decoder = new EventStreamDecoder();
    const types: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        server.url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'Kinesis_20131202.SubscribeToShard',
            ...formOnlySignature(),
          },
        },
        (res) => {
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['content-type'], 'application/vnd.amazon.eventstream');
          assert.equal(res.headers['transfer-encoding'], 'chunked');
          res.on('data', (chunk: Buffer) => {
            for (const message of decoder.push(chunk)) types.push(String(message.headers[':event-type']));
            if (types.includes('SubscribeToShardEvent')) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', (err) => (types.includes('SubscribeToShardEvent') ? resolve() : reject(err)));
      req.end(JSON.stringify(input));
    });
    assert.deepEqual(types.slice(0, 2), ['initial-response', 'SubscribeToShardEvent']);
    await sleep(100);
    const again = await collect(kinesis, input, { until: (c) => c.records.length >= 3 });
    assert.equal(again.error, undefined, String(again.error));
    assert.deepEqual(dataOf(again.records), numbered(3));
  });
});

describe('--limits aws', () => {
  it('pushes at most 2 MiB/s per subscription', { timeout: 60_000 }, async () => {
    // The backlog is written without limits (1 MiB/s per shard would make this slow), then the
    // same data directory is served again with --limits aws.
    let server = await startFanoutServer(['--fsync', 'never']);
    const dataDir = server.dataDir;
    let kinesis = kinesisClient(server.url);
    const name = uniqueName('rate');
    const input = { ConsumerARN: '', ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' as const } };
    const count = 32;
    const size = 256 * 1024; // 8 MiB
    try {
      const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
      input.ConsumerARN = await activeConsumer(kinesis, streamArn, 'app');
      for (let start = 0; start < count; start += 8) {
        const Records = Array.from({ length: 8 }, (_, j) => ({ PartitionKey: 'k', Data: Buffer.alloc(size, 48 + ((start + j) % 10)) }));
        await kinesis.send(new PutRecordsCommand({ StreamName: name, Records }));
      }
      const started = Date.now();
      const free = await collect(kinesis, input, { until: (c) => c.records.length >= count });
      assert.equal(free.records.length, count);
      process.stdout.write(`# 8 MiB without limits: ${Date.now() - started} ms\n`);
    } finally {
      kinesis.destroy();
      await server.stop();
    }
    server = await startFanoutServer(['--fsync', 'never', '--limits', 'aws'], dataDir);
    kinesis = kinesisClient(server.url);
    try {
      const started = Date.now();
      const limited = await collect(kinesis, input, { until: (c) => c.records.length >= count, timeoutMs: 30_000 });
      const elapsed = Date.now() - started;
      process.stdout.write(`# 8 MiB at 2 MiB/s per subscription: ${elapsed} ms\n`);
      assert.equal(limited.error, undefined, String(limited.error));
      assert.equal(limited.records.length, count);
      // A full bucket (2 MiB) and one event of debt go at once; the other 5 MiB at 2 MiB/s.
      assert.ok(elapsed >= 2000 && elapsed < 8000, `8 MiB took ${elapsed} ms`);
      // AWS allows one SubscribeToShard call per second per consumer and shard.
      await sleep(200); // the aborted subscription above is released
      const abort = new AbortController();
      await kinesis.send(new SubscribeToShardCommand({ ...input, StartingPosition: { Type: 'LATEST' } }), { abortSignal: abort.signal });
      abort.abort();
      await rejects(kinesis.send(new SubscribeToShardCommand({ ...input, StartingPosition: { Type: 'LATEST' } })), {
        name: 'LimitExceededException',
        message: /^Rate exceeded for consumer .* and shard shardId-000000000000\.$/,
      });
    } finally {
      kinesis.destroy();
      await server.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
