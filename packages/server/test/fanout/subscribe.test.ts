/**
 * SubscribeToShard through SDK v3 (HTTP/2 without TLS, as its NodeHttp2Handler connects): every
 * record in order, pushed as it is written; each StartingPosition type; ContinuationSequenceNumber
 * to resume from; the subscription's lifetime; the 5-second takeover rule; errors before the
 * stream (HTTP errors) and during it (exception events).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { uniqueName } from '../helpers/clients.js';
import { assertIncreasing, createActiveStream, eventually, rejects } from '../helpers/api.js';
import type { ManualClock } from '../../src/core/clock.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { activeConsumer, collect, dataOf, numbered, putNumbered, sleep } from './helpers.js';

const SHARD = 'shardId-000000000000';

describe('SubscribeToShard through SDK v3', () => {
  let kinesis: KinesisClient;
  nodePerSuite(
    () => startNode(),
    (started) => (kinesis = started.kinesis),
  );

  async function setUp(shards = 1) {
    const name = uniqueName('efo');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: shards });
    const consumerArn = await activeConsumer(kinesis, streamArn, 'app');
    return { name, streamArn, consumerArn };
  }

  it('receives every record in order: those written before the call, then each as it is written', async () => {
    const { name, consumerArn } = await setUp();
    await putNumbered(kinesis, name, 1000, { prefix: 'before' });
    let writer: Promise<void> | undefined;
    const got = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } },
      {
        onEvent: () => {
          writer ??= (async () => {
            for (let i = 0; i < 200; i++) {
              await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from(`during-${i}`) }));
            }
            await putNumbered(kinesis, name, 1000, { prefix: 'batch', batch: 100 });
          })();
        },
        until: (c) => c.records.length >= 2200,
      },
    );
    await writer;
    assert.equal(got.error, undefined, String(got.error));
    assert.deepEqual(dataOf(got.records), [...numbered(1000, 'before'), ...numbered(200, 'during'), ...numbered(1000, 'batch')]);
    assertIncreasing(
      got.records.map((r) => r.SequenceNumber!),
      'sequence numbers',
    );
    for (const event of got.events) {
      assert.equal(typeof event.MillisBehindLatest, 'number');
      assert.ok(event.ContinuationSequenceNumber, 'every event of an open shard carries a ContinuationSequenceNumber');
      if (event.Records!.length > 0) assert.equal(event.ContinuationSequenceNumber, event.Records!.at(-1)!.SequenceNumber);
      assert.equal(event.ChildShards, undefined);
    }
    const record = got.records[0]!;
    assert.equal(record.PartitionKey, 'key');
    assert.ok(record.ApproximateArrivalTimestamp instanceof Date);
    assert.ok(Math.abs(record.ApproximateArrivalTimestamp.getTime() - Date.now()) < 60_000);
  });

  it('starts at LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER and AT_TIMESTAMP', async () => {
    const { name, consumerArn } = await setUp();
    await putNumbered(kinesis, name, 10, { prefix: 'old' });
    const all = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } },
      {
        until: (c) => c.records.length >= 10,
      },
    );
    const fifth = all.records[4]!;
    const from = (type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER') =>
      collect(
        kinesis,
        { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: type, SequenceNumber: fifth.SequenceNumber } },
        {
          until: (c) => c.records.length >= (type === 'AT_SEQUENCE_NUMBER' ? 6 : 5),
        },
      );
    assert.deepEqual(dataOf((await from('AT_SEQUENCE_NUMBER')).records), numbered(6, 'old', 4));
    assert.deepEqual(dataOf((await from('AFTER_SEQUENCE_NUMBER')).records), numbered(5, 'old', 5));

    await sleep(20);
    const cut = new Date();
    await sleep(20);
    await putNumbered(kinesis, name, 3, { prefix: 'new' });
    const atTime = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'AT_TIMESTAMP', Timestamp: cut } },
      {
        until: (c) => c.records.length >= 3,
      },
    );
    assert.deepEqual(dataOf(atTime.records), numbered(3, 'new'));

    let wrote = false;
    const latest = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } },
      {
        onEvent: async () => {
          if (wrote) return;
          wrote = true;
          await putNumbered(kinesis, name, 2, { prefix: 'latest' });
        },
        until: (c) => c.records.length >= 2,
      },
    );
    assert.deepEqual(dataOf(latest.records), numbered(2, 'latest'));
  });

  it('resumes after a ContinuationSequenceNumber with AFTER_SEQUENCE_NUMBER, also from an empty event', async () => {
    const { name, consumerArn } = await setUp();
    await putNumbered(kinesis, name, 5, { prefix: 'a' });
    // At LATEST the first event carries no records, only where to continue from.
    const idle = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } },
      {
        until: (c) => c.events.length >= 1,
      },
    );
    assert.deepEqual(idle.events[0]!.Records, []);
    const continuation = idle.events[0]!.ContinuationSequenceNumber!;
    assert.ok(continuation);
    await putNumbered(kinesis, name, 3, { prefix: 'b' });
    const resumed = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: continuation } },
      { until: (c) => c.records.length >= 3 },
    );
    assert.deepEqual(dataOf(resumed.records), numbered(3, 'b'));
  });

  it('answers bad subscriptions with HTTP errors before any event', async () => {
    const { name, streamArn, consumerArn } = await setUp(2);
    const subscribe = (input: Partial<ConstructorParameters<typeof SubscribeToShardCommand>[0]>) =>
      kinesis.send(
        new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' }, ...input }),
      );
    await rejects(subscribe({ ShardId: 'shardId-000000000009' }), {
      name: 'ResourceNotFoundException',
      message: /Shard shardId-000000000009 in stream .* does not exist/,
      status: 400,
    });
    await rejects(subscribe({ ConsumerARN: `${streamArn}/consumer/ghost:1700000000` }), { name: 'ResourceNotFoundException', status: 400 });
    await rejects(subscribe({ StartingPosition: { Type: 'AT_SEQUENCE_NUMBER' } }), { name: 'InvalidArgumentException' });
    const onFirst = await kinesis.send(
      new PutRecordCommand({ StreamName: name, PartitionKey: 'x', Data: Buffer.from('x'), ExplicitHashKey: '0' }),
    );
    assert.equal(onFirst.ShardId, SHARD);
    await rejects(
      subscribe({
        ShardId: 'shardId-000000000001',
        StartingPosition: { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: onFirst.SequenceNumber },
      }),
      { name: 'InvalidArgumentException', message: /Invalid StartingSequenceNumber/ },
    );
    await rejects(subscribe({ ConsumerARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/x' }), { name: 'ValidationException' });
  });

  it('ends a subscription with a ResourceInUseException event when its consumer is deregistered', async () => {
    const { name, consumerArn } = await setUp();
    await putNumbered(kinesis, name, 1); // so that LATEST has a position to report in a first event
    let deregistered = false;
    const got = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } },
      {
        onEvent: async () => {
          if (deregistered) return;
          deregistered = true;
          await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
        },
        timeoutMs: 10_000,
      },
    );
    assert.ok(got.error, 'the stream ends with an error');
    assert.ok(['ResourceInUseException', 'ResourceNotFoundException'].includes(got.error.name), got.error.name);
  });

  it('ends subscriptions when their stream is deleted with EnforceConsumerDeletion', async () => {
    const { name, consumerArn } = await setUp();
    await putNumbered(kinesis, name, 1);
    let deleted = false;
    const got = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } },
      {
        onEvent: async () => {
          if (deleted) return;
          deleted = true;
          await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
        },
        timeoutMs: 10_000,
      },
    );
    assert.ok(got.error, 'the stream ends with an error');
    assert.ok(['ResourceInUseException', 'ResourceNotFoundException'].includes(got.error.name), got.error.name);
  });
});

describe('SubscribeToShard lifetime and takeover', () => {
  let server: TestNode<ManualClock>;
  let kinesis: KinesisClient;
  before(async () => {
    // On a manual clock: a subscription lasts until the test moves time on by 1.5 s.
    server = await startNode({ clock: 'manual', engine: { subscriptionMs: 1500, registerConsumerMs: 300 } });
    kinesis = server.kinesis;
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  it('ends a subscription cleanly when its lifetime is over', async () => {
    const name = uniqueName('life');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const consumerArn = await activeConsumer(kinesis, streamArn, 'app', server.clock);
    await putNumbered(kinesis, name, 3);
    let received = 0;
    const collecting = collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } },
      { onEvent: (event) => void (received += event.Records?.length ?? 0) },
    );
    await eventually(async () => (received === 3 ? true : undefined), 'the three records');
    await server.clock.advance(1499);
    assert.equal(server.engine.fanout.activeCount, 1, 'still subscribed just before the lifetime ends');
    await server.clock.advance(1);
    const got = await collecting;
    assert.equal(got.error, undefined, String(got.error));
    assert.ok(got.endedByServer, 'the server ended the stream');
    assert.deepEqual(dataOf(got.records), numbered(3));
  });

  it('refuses a consumer that is not ACTIVE yet', async () => {
    const streamArn = await createActiveStream(kinesis, { StreamName: uniqueName('life'), ShardCount: 1 });
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'young' }));
    await rejects(
      kinesis.send(
        new SubscribeToShardCommand({ ConsumerARN: Consumer!.ConsumerARN, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } }),
      ),
      { name: 'ResourceInUseException', message: /Consumer young with creation timestamp \d+ under stream .* is not in ACTIVE status/ },
    );
  });

  it('refuses a second subscription within 5 seconds, then lets it take over', { timeout: 30_000 }, async () => {
    const server2 = await startNode({ clock: 'manual', engine: { subscriptionMs: 60_000 } });
    const client = server2.kinesis;
    try {
      const name = uniqueName('take');
      const streamArn = await createActiveStream(client, { StreamName: name, ShardCount: 1 });
      const consumerArn = await activeConsumer(client, streamArn, 'app', server2.clock);
      await putNumbered(client, name, 1);
      const input = { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' as const } };
      const first = collect(client, input, { timeoutMs: 20_000 });
      await eventually(async () => (server2.engine.fanout.activeCount === 1 ? true : undefined), 'the first subscription');
      await server2.clock.advance(300);
      await rejects(client.send(new SubscribeToShardCommand(input)), {
        name: 'ResourceInUseException',
        message: /^Another active subscription exists for this consumer: \d{12}:take-.*:shardId-000000000000:app$/,
      });
      await server2.clock.advance(5000);
      const second = await collect(client, input, { until: (c) => c.records.length >= 1 });
      assert.equal(second.error, undefined, String(second.error));
      assert.deepEqual(dataOf(second.records), ['r-0']);
      const old = await first;
      assert.equal(old.error?.name, 'ResourceInUseException', 'the old subscription ends with ResourceInUseException');
      assert.deepEqual(dataOf(old.records), ['r-0']);
    } finally {
      await server2.dispose();
    }
  });
});
