/**
 * `--limits aws`: AWS's per-shard throughput and control-plane call rates, through SDK v3 against
 * a real server. Each limit is shown to trip (with AWS's error type and message) and to recover
 * after the bucket refills; without the option nothing is throttled. The node runs on a manual
 * clock: buckets refill only when the test advances it, so the counts are exact on any machine.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { uniqueName } from '../helpers/clients.js';
import { startNode, type TestNode } from '../helpers/fixture.js';
import type { ManualClock } from '../../src/core/clock.js';

const ACCOUNT = '000000000000';
const MIB = 1024 * 1024;

async function expectError(call: Promise<unknown>, name: string, message: string): Promise<void> {
  await assert.rejects(call, (err: Error) => {
    assert.equal(err.name, name, err.message);
    assert.equal(err.message, message);
    return true;
  });
}

/** Creates a stream, waits (engine-side, spending no call tokens) until ACTIVE, then refills every bucket. */
async function createStream(node: TestNode<ManualClock>, shards = 1): Promise<string> {
  const name = uniqueName('limits');
  await node.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await node.waitForStream(name);
  await node.clock.advance(1000);
  return name;
}

function smallRecords(count: number) {
  return Array.from({ length: count }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.alloc(10, i) }));
}

async function iterator(client: KinesisClient, streamName: string): Promise<string> {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
  );
  return ShardIterator!;
}

describe('with --limits aws', () => {
  let node: TestNode<ManualClock>;
  let client: KinesisClient;
  before(async () => {
    node = await startNode({ clock: 'manual', engine: { limits: 'aws' } });
    client = node.kinesis;
  });
  after(async () => {
    await node.dispose();
  });

  test('a shard takes 1,000 records a second; PutRecords fails the excess per record, then recovers', async () => {
    const name = await createStream(node);
    // Four calls of 500 at once: the bucket holds 1,000, and time stands still while they run.
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }))),
    );
    const failed = results.reduce((sum, result) => sum + result.FailedRecordCount!, 0);
    assert.equal(failed, 1000, `failed ${failed} of 2000`);
    const third = results.find((result) => result.FailedRecordCount! > 0)!;
    const throttled = third.Records!.find((entry) => entry.ErrorCode !== undefined)!;
    assert.equal(throttled.ErrorCode, 'ProvisionedThroughputExceededException');
    assert.equal(throttled.ErrorMessage, `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`);
    assert.equal(throttled.SequenceNumber, undefined);
    assert.equal(third.Records!.filter((entry) => entry.ErrorCode).length, third.FailedRecordCount);
    // Half a second refills half the bucket: 500 more records pass, and the 500 after them fail.
    await node.clock.advance(500);
    const refilled = await client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }));
    assert.equal(refilled.FailedRecordCount, 0);
    const over = await client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }));
    assert.equal(over.FailedRecordCount, 500);
    await node.clock.advance(1000);
    const recovered = await client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }));
    assert.equal(recovered.FailedRecordCount, 0);
  });

  test('a shard takes 1 MiB a second; PutRecord over it is refused, then recovers', async () => {
    const name = await createStream(node);
    const big = { StreamName: name, PartitionKey: 'k', Data: Buffer.alloc(MIB - 1) };
    await client.send(new PutRecordCommand(big));
    await expectError(
      client.send(new PutRecordCommand(big)),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    await node.clock.advance(1000);
    const again = await client.send(new PutRecordCommand(big));
    assert.equal(again.ShardId, 'shardId-000000000000');
  });

  test('GetRecords: five calls a second per shard, then recovers', async () => {
    const name = await createStream(node);
    const shardIterator = await iterator(client, name);
    // The iterator call itself is limited too (5/s per shard): it was the only one so far.
    for (let i = 0; i < 5; i++) await client.send(new GetRecordsCommand({ ShardIterator: shardIterator }));
    await expectError(
      client.send(new GetRecordsCommand({ ShardIterator: shardIterator })),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    await node.clock.advance(1000);
    const { Records } = await client.send(new GetRecordsCommand({ ShardIterator: shardIterator }));
    assert.deepEqual(Records, []);
  });

  test('GetShardIterator: five calls a second per shard', async () => {
    const name = await createStream(node);
    for (let i = 0; i < 5; i++) await iterator(client, name);
    await expectError(
      iterator(client, name),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    await node.clock.advance(200);
    await iterator(client, name); // a fifth of a second refills one call
    await expectError(
      iterator(client, name),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
  });

  test('DescribeStream: ten calls a second per account, LimitExceededException, then recovers', async () => {
    const name = await createStream(node);
    // Time stands still: ten calls spend the burst, one after another, and the eleventh is refused.
    for (let i = 0; i < 10; i++) await client.send(new DescribeStreamCommand({ StreamName: name }));
    const answers = await Promise.allSettled(Array.from({ length: 3 }, () => client.send(new DescribeStreamCommand({ StreamName: name }))));
    const refused = answers.filter((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
    assert.equal(refused.length, 3, 'calls beyond ten a second are refused');
    for (const { reason } of refused)
      await expectError(Promise.reject(reason), 'LimitExceededException', `Rate exceeded for account ${ACCOUNT}.`);
    await node.clock.advance(1000);
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(StreamDescription?.StreamName, name);
  });
});

test('GetRecords: 2 MiB a second per shard, charged after a large read', async () => {
  // Fill a shard without limits, then read it back with them.
  const unlimited = await startNode({ clock: 'manual' });
  const name = await createStream(unlimited);
  for (let i = 0; i < 6; i++) {
    await unlimited.kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.alloc(MIB - 100, i) }));
  }
  const limited = await unlimited.restart({ engine: { limits: 'aws' } });
  const client = limited.kinesis;
  try {
    const first = await client.send(new GetRecordsCommand({ ShardIterator: await iterator(client, name) }));
    assert.equal(first.Records!.length, 6);
    await expectError(
      client.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator! })),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    // ~6 MiB read against 2 MiB/s: the shard is readable again after about two seconds, not before.
    await limited.clock.advance(1900);
    await expectError(
      client.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator! })),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    await limited.clock.advance(200);
    const later = await client.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator! }));
    assert.deepEqual(later.Records, []);
  } finally {
    await limited.dispose();
  }
});

test('without --limits nothing is throttled', async () => {
  const node = await startNode({ clock: 'manual' });
  const client = node.kinesis;
  try {
    const name = await createStream(node);
    for (let i = 0; i < 4; i++) {
      const result = await client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }));
      assert.equal(result.FailedRecordCount, 0);
    }
    const shardIterator = await iterator(client, name);
    for (let i = 0; i < 12; i++) await client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: 1 }));
    for (let i = 0; i < 15; i++) await client.send(new DescribeStreamCommand({ StreamName: name }));
  } finally {
    await node.dispose();
  }
});
