/**
 * `--limits aws`: AWS's per-shard throughput and control-plane call rates, through SDK v3 against
 * a real server. Each limit is shown to trip (with AWS's error type and message) and to recover
 * after the bucket refills; without the option nothing is throttled.
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
import { kinesisClient, uniqueName, waitForStatus } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ACCOUNT = '000000000000';
const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectError(call: Promise<unknown>, name: string, message: string): Promise<void> {
  await assert.rejects(call, (err: Error) => {
    assert.equal(err.name, name, err.message);
    assert.equal(err.message, message);
    return true;
  });
}

async function createStream(client: KinesisClient, shards = 1): Promise<string> {
  const name = uniqueName('limits');
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForStatus(client, name, 'ACTIVE');
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
  let server: TestServer;
  let client: KinesisClient;
  before(async () => {
    server = await startServer({ args: ['--limits', 'aws'] });
    client = kinesisClient(server.url);
  });
  after(async () => {
    client.destroy();
    await server.dispose();
  });

  test('a shard takes 1,000 records a second; PutRecords fails the excess per record, then recovers', async () => {
    const name = await createStream(client);
    // Four calls of 500 at once: the bucket holds 1,000; it refills at 1,000/s while they run.
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }))),
    );
    const failed = results.reduce((sum, result) => sum + result.FailedRecordCount!, 0);
    assert.ok(failed >= 700 && failed <= 1000, `failed ${failed} of 2000`);
    const third = results.find((result) => result.FailedRecordCount! > 0)!;
    const throttled = third.Records!.find((entry) => entry.ErrorCode !== undefined)!;
    assert.equal(throttled.ErrorCode, 'ProvisionedThroughputExceededException');
    assert.equal(
      throttled.ErrorMessage,
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    assert.equal(throttled.SequenceNumber, undefined);
    assert.equal(third.Records!.filter((entry) => entry.ErrorCode).length, third.FailedRecordCount);
    await sleep(1100);
    const recovered = await client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }));
    assert.equal(recovered.FailedRecordCount, 0);
  });

  test('a shard takes 1 MiB a second; PutRecord over it is refused, then recovers', async () => {
    const name = await createStream(client);
    const big = { StreamName: name, PartitionKey: 'k', Data: Buffer.alloc(MIB - 1) };
    await client.send(new PutRecordCommand(big));
    await expectError(
      client.send(new PutRecordCommand(big)),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    await sleep(1100);
    const again = await client.send(new PutRecordCommand(big));
    assert.equal(again.ShardId, 'shardId-000000000000');
  });

  test('GetRecords: five calls a second per shard, then recovers', async () => {
    const name = await createStream(client);
    const shardIterator = await iterator(client, name);
    // The iterator call itself is limited too (5/s per shard): it was the only one so far.
    for (let i = 0; i < 5; i++) await client.send(new GetRecordsCommand({ ShardIterator: shardIterator }));
    await expectError(
      client.send(new GetRecordsCommand({ ShardIterator: shardIterator })),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    await sleep(1100);
    const { Records } = await client.send(new GetRecordsCommand({ ShardIterator: shardIterator }));
    assert.deepEqual(Records, []);
  });

  test('GetShardIterator: five calls a second per shard', async () => {
    const name = await createStream(client);
    for (let i = 0; i < 5; i++) await iterator(client, name);
    await expectError(
      iterator(client, name),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
  });

  test('DescribeStream: ten calls a second per account, LimitExceededException, then recovers', async () => {
    const name = await createStream(client);
    await sleep(1100); // The stream's creation polled DescribeStreamSummary, not DescribeStream; start full.
    // Thirteen at once: ten spend the burst; sent one after another on a loaded machine, the
    // bucket could refill a token between calls and the eleventh pass.
    const answers = await Promise.allSettled(
      Array.from({ length: 13 }, () => client.send(new DescribeStreamCommand({ StreamName: name }))),
    );
    const refused = answers.filter((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
    assert.ok(answers.filter((answer) => answer.status === 'fulfilled').length >= 10, 'the burst of ten is served');
    assert.ok(refused.length >= 1, 'calls beyond ten a second are refused');
    for (const { reason } of refused) await expectError(Promise.reject(reason), 'LimitExceededException', `Rate exceeded for account ${ACCOUNT}.`);
    await sleep(1100);
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(StreamDescription?.StreamName, name);
  });
});

test('GetRecords: 2 MiB a second per shard, charged after a large read', async () => {
  // Fill a shard without limits, then read it back with them.
  const unlimited = await startServer();
  const dataDir = unlimited.dataDir;
  let client = kinesisClient(unlimited.url);
  const name = await createStream(client);
  for (let i = 0; i < 6; i++) {
    await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.alloc(MIB - 100, i) }));
  }
  client.destroy();
  assert.equal(await unlimited.stop(), 0);

  const limited = await startServer({ dataDir, args: ['--limits', 'aws'] });
  client = kinesisClient(limited.url);
  try {
    const first = await client.send(new GetRecordsCommand({ ShardIterator: await iterator(client, name) }));
    assert.equal(first.Records!.length, 6);
    await expectError(
      client.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator! })),
      'ProvisionedThroughputExceededException',
      `Rate exceeded for shard shardId-000000000000 in stream ${name} under account ${ACCOUNT}.`,
    );
    // ~6 MiB read against 2 MiB/s: the shard is readable again after about two seconds.
    await sleep(2600);
    const later = await client.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator! }));
    assert.deepEqual(later.Records, []);
  } finally {
    client.destroy();
    await limited.stop();
    await unlimited.dispose();
  }
});

test('without --limits nothing is throttled', async () => {
  const server = await startServer();
  const client = kinesisClient(server.url);
  try {
    const name = await createStream(client);
    for (let i = 0; i < 4; i++) {
      const result = await client.send(new PutRecordsCommand({ StreamName: name, Records: smallRecords(500) }));
      assert.equal(result.FailedRecordCount, 0);
    }
    const shardIterator = await iterator(client, name);
    for (let i = 0; i < 12; i++) await client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: 1 }));
    for (let i = 0; i < 15; i++) await client.send(new DescribeStreamCommand({ StreamName: name }));
  } finally {
    client.destroy();
    await server.dispose();
  }
});
