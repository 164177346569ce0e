/**
 * Stream lifecycle through @aws-sdk/client-kinesis: CreateStream (PROVISIONED, ON_DEMAND, tags),
 * statuses, DeleteStream, StreamARN addressing, regions, DescribeStream paging,
 * DescribeStreamSummary and ListStreams paging.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  DisableEnhancedMonitoringCommand,
  EnableEnhancedMonitoringCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RemoveTagsFromStreamCommand,
  SplitShardCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
  UpdateMaxRecordSizeCommand,
  UpdateShardCountCommand,
  UpdateStreamModeCommand,
  UpdateStreamWarmThroughputCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import type { ManualClock } from '../../src/core/clock.js';
import { uniqueName, waitForStatus } from '../helpers/clients.js';
import { ACCOUNT, createActiveStream, eventually, rejects, text } from '../helpers/api.js';
import { signedFetch } from '../helpers/signing.js';

const AWS_THREE_SHARD_RANGES = [
  ['0', '113427455640312821154458202477256070484'],
  ['113427455640312821154458202477256070485', '226854911280625642308916404954512140969'],
  ['226854911280625642308916404954512140970', '340282366920938463463374607431768211455'],
];
const AWS_FOUR_SHARD_RANGES = [
  ['0', '85070591730234615865843651857942052863'],
  ['85070591730234615865843651857942052864', '170141183460469231731687303715884105727'],
  ['170141183460469231731687303715884105728', '255211775190703847597530955573826158591'],
  ['255211775190703847597530955573826158592', '340282366920938463463374607431768211455'],
];

describe('streams (instant transitions)', () => {
  let server: TestNode;
  let kinesis: KinesisClient;

  nodePerSuite(
    () => startNode(),
    (started) => {
      server = started;
      kinesis = started.kinesis;
    },
  );

  it('creates a PROVISIONED stream with AWS-shaped description and even hash ranges', async () => {
    const name = uniqueName('prov');
    const before = Date.now();
    const created = await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 3 }));
    assert.equal(created.$metadata.httpStatusCode, 200);
    assert.match(created.$metadata.requestId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await waitForStatus(kinesis, name, 'ACTIVE');
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.ok(d);
    assert.equal(d.StreamName, name);
    assert.equal(d.StreamARN, `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`);
    assert.equal(d.StreamStatus, 'ACTIVE');
    assert.deepEqual(d.StreamModeDetails, { StreamMode: 'PROVISIONED' });
    assert.equal(d.RetentionPeriodHours, 24);
    assert.equal(d.EncryptionType, 'NONE');
    assert.deepEqual(d.EnhancedMonitoring, [{ ShardLevelMetrics: [] }]);
    assert.equal(d.HasMoreShards, false);
    const createdAt = d.StreamCreationTimestamp!.getTime();
    assert.ok(createdAt >= before - 1000 && createdAt <= Date.now() + 1000, `creation time ${createdAt}`);
    assert.deepEqual(
      d.Shards!.map((s) => s.ShardId),
      ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002'],
    );
    assert.deepEqual(
      d.Shards!.map((s) => [s.HashKeyRange!.StartingHashKey, s.HashKeyRange!.EndingHashKey]),
      AWS_THREE_SHARD_RANGES,
    );
    for (const shard of d.Shards!) {
      assert.match(shard.SequenceNumberRange!.StartingSequenceNumber!, /^(0|[1-9]\d{0,128})$/);
      assert.equal(shard.SequenceNumberRange!.EndingSequenceNumber, undefined);
      assert.equal(shard.ParentShardId, undefined);
    }
  });

  it('creates an ON_DEMAND stream with 4 shards', async () => {
    const name = uniqueName('ondemand');
    await createActiveStream(kinesis, { StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.deepEqual(d!.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
    assert.deepEqual(
      d!.Shards!.map((s) => [s.HashKeyRange!.StartingHashKey, s.HashKeyRange!.EndingHashKey]),
      AWS_FOUR_SHARD_RANGES,
    );
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(s!.OpenShardCount, 4);
  });

  it('keeps the Tags given at creation', async () => {
    const name = uniqueName('tagged');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1, Tags: { team: 'data', env: 'test' } });
    const tags = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(tags.Tags, [
      { Key: 'env', Value: 'test' },
      { Key: 'team', Value: 'data' },
    ]);
    assert.equal(tags.HasMoreTags, false);
  });

  it('refuses a duplicate name with ResourceInUseException', async () => {
    const name = uniqueName('dup');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    await rejects(kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 })), {
      name: 'ResourceInUseException',
      message: `Stream ${name} under account ${ACCOUNT} already exists.`,
      status: 400,
    });
  });

  it('validates the stream name against the model', async () => {
    await rejects(kinesis.send(new CreateStreamCommand({ StreamName: 'a b', ShardCount: 1 })), {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+',
    });
  });

  it('deletes a stream: it is gone, and names of missing streams give ResourceNotFoundException', async () => {
    const name = uniqueName('del');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    await eventually(async () => {
      try {
        await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        return undefined;
      } catch (err) {
        return err as Error;
      }
    }, 'the deleted stream to disappear');
    const notFound = { name: 'ResourceNotFoundException', message: `Stream ${name} under account ${ACCOUNT} not found.` };
    await rejects(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })), notFound);
    await rejects(kinesis.send(new DescribeStreamCommand({ StreamName: name })), notFound);
    await rejects(kinesis.send(new DeleteStreamCommand({ StreamName: name })), notFound);
    await rejects(kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('x') })), notFound);
    const list = await kinesis.send(new ListStreamsCommand({}));
    assert.ok(!list.StreamNames!.includes(name));
    // The name can be used again.
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary!.OpenShardCount, 2);
  });

  it('answers repeated deletes of one stream with success, then ResourceNotFoundException, and frees the name', async () => {
    // Found by the fuzz test: a delete arriving while the removal was being written was queued
    // behind it and then wrote to a key already gone (500 InternalFailure).
    for (let round = 0; round < 5; round++) {
      const name = uniqueName('del-again');
      await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
      let deletes = 0;
      for (;;) {
        try {
          await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
          deletes++;
        } catch (err) {
          assert.equal((err as Error).name, 'ResourceNotFoundException', String(err));
          break;
        }
      }
      assert.ok(deletes >= 1);
      await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
      await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    }
  });

  it('accepts StreamARN everywhere the model allows it', async () => {
    const name = uniqueName('byarn');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const ref = { StreamARN: arn };

    const described = await kinesis.send(new DescribeStreamCommand(ref));
    assert.equal(described.StreamDescription!.StreamName, name);
    const summary = await kinesis.send(new DescribeStreamSummaryCommand(ref));
    assert.equal(summary.StreamDescriptionSummary!.StreamName, name);
    const shards = await kinesis.send(new ListShardsCommand(ref));
    assert.equal(shards.Shards!.length, 2);

    const put = await kinesis.send(new PutRecordCommand({ ...ref, PartitionKey: 'a', Data: Buffer.from('one') }));
    const puts = await kinesis.send(new PutRecordsCommand({ ...ref, Records: [{ PartitionKey: 'a', Data: Buffer.from('two') }] }));
    assert.equal(puts.FailedRecordCount, 0);
    assert.equal(puts.Records![0]!.ShardId, put.ShardId);
    const iterator = await kinesis.send(new GetShardIteratorCommand({ ...ref, ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const got = await kinesis.send(new GetRecordsCommand({ ...ref, ShardIterator: iterator.ShardIterator }));
    assert.deepEqual(
      got.Records!.map((r) => text(r.Data)),
      ['one', 'two'],
    );

    await kinesis.send(new AddTagsToStreamCommand({ ...ref, Tags: { a: '1', b: '2' } }));
    await kinesis.send(new RemoveTagsFromStreamCommand({ ...ref, TagKeys: ['b'] }));
    const tags = await kinesis.send(new ListTagsForStreamCommand(ref));
    assert.deepEqual(tags.Tags, [{ Key: 'a', Value: '1' }]);

    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ ...ref, RetentionPeriodHours: 48 }));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ ...ref, RetentionPeriodHours: 36 }));
    assert.equal((await kinesis.send(new DescribeStreamSummaryCommand(ref))).StreamDescriptionSummary!.RetentionPeriodHours, 36);

    const enabled = await kinesis.send(new EnableEnhancedMonitoringCommand({ ...ref, ShardLevelMetrics: ['IncomingBytes'] }));
    assert.equal(enabled.StreamARN, arn);
    await kinesis.send(new DisableEnhancedMonitoringCommand({ ...ref, ShardLevelMetrics: ['IncomingBytes'] }));

    await kinesis.send(new StartStreamEncryptionCommand({ ...ref, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    await kinesis.send(new StopStreamEncryptionCommand({ ...ref, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    await waitForStatus(kinesis, name, 'ACTIVE');

    const openShards = async () => (await kinesis.send(new DescribeStreamSummaryCommand(ref))).StreamDescriptionSummary!.OpenShardCount;
    const scaled = await kinesis.send(new UpdateShardCountCommand({ ...ref, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
    assert.equal(scaled.StreamARN, arn);
    await waitForStatus(kinesis, name, 'ACTIVE');
    assert.equal(await openShards(), 4);
    const open = (await kinesis.send(new ListShardsCommand({ ...ref, ShardFilter: { Type: 'AT_LATEST' } }))).Shards!;
    const [first, second] = open;
    const middle = (BigInt(first!.HashKeyRange!.StartingHashKey!) + BigInt(first!.HashKeyRange!.EndingHashKey!)) / 2n;
    await kinesis.send(new SplitShardCommand({ ...ref, ShardToSplit: first!.ShardId, NewStartingHashKey: middle.toString() }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    assert.equal(await openShards(), 5);
    const afterSplit = (await kinesis.send(new ListShardsCommand({ ...ref, ShardFilter: { Type: 'AT_LATEST' } }))).Shards!;
    const lowChild = afterSplit.find((s) => s.HashKeyRange!.StartingHashKey === first!.HashKeyRange!.StartingHashKey)!;
    const highChild = afterSplit.find((s) => s.HashKeyRange!.StartingHashKey === middle.toString())!;
    await kinesis.send(new MergeShardsCommand({ ...ref, ShardToMerge: lowChild.ShardId, AdjacentShardToMerge: highChild.ShardId }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    assert.equal(await openShards(), 4);
    assert.ok(second);

    await kinesis.send(new UpdateMaxRecordSizeCommand({ ...ref, MaxRecordSizeInKiB: 2048 }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    await kinesis.send(new UpdateStreamModeCommand({ ...ref, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    const warm = await kinesis.send(new UpdateStreamWarmThroughputCommand({ ...ref, WarmThroughputMiBps: 10 }));
    assert.equal(warm.StreamARN, arn);
    await waitForStatus(kinesis, name, 'ACTIVE');

    await kinesis.send(new DeleteStreamCommand(ref));
    await eventually(async () => {
      const list = await kinesis.send(new ListStreamsCommand({}));
      return list.StreamNames!.includes(name) ? undefined : true;
    }, 'the stream deleted by ARN to disappear');
  });

  it('refuses a StreamARN and StreamName that name different streams', async () => {
    const name = uniqueName('arnmix');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    await rejects(kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: arn, StreamName: `${name}-other` })), {
      name: 'InvalidArgumentException',
      message: `StreamARN ${arn} and StreamName ${name}-other do not refer to the same stream.`,
    });
    // A StreamARN of a stream that does not exist.
    const missing = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}-missing`;
    await rejects(kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: missing })), {
      name: 'ResourceNotFoundException',
      message: `Stream ${name}-missing under account ${ACCOUNT} not found.`,
    });
  });

  it("takes the region from the client's region: one name in two regions is two streams", async () => {
    const west = server.kinesisIn('eu-west-1');
    try {
      const name = uniqueName('regional');
      const eastArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
      const westArn = await createActiveStream(west, { StreamName: name, ShardCount: 3 });
      assert.equal(eastArn, `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`);
      assert.equal(westArn, `arn:aws:kinesis:eu-west-1:${ACCOUNT}:stream/${name}`);
      const east = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      const westSummary = await west.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      assert.equal(east.StreamDescriptionSummary!.OpenShardCount, 1);
      assert.equal(westSummary.StreamDescriptionSummary!.OpenShardCount, 3);

      await west.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('west') }));
      const eastShard = await kinesis.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const eastRecords = await kinesis.send(new GetRecordsCommand({ ShardIterator: eastShard.ShardIterator }));
      assert.deepEqual(eastRecords.Records, []);

      await west.send(new DeleteStreamCommand({ StreamName: name }));
      await eventually(async () => {
        const list = await west.send(new ListStreamsCommand({}));
        return list.StreamNames!.includes(name) ? undefined : true;
      }, 'the eu-west-1 stream to disappear');
      const stillThere = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      assert.equal(stillThere.StreamDescriptionSummary!.StreamStatus, 'ACTIVE');
    } finally {
      west.destroy();
    }
  });

  it('pages DescribeStream with Limit, ExclusiveStartShardId and HasMoreShards', async () => {
    const name = uniqueName('pages');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 5 });
    const first = await kinesis.send(new DescribeStreamCommand({ StreamName: name, Limit: 2 }));
    assert.deepEqual(
      first.StreamDescription!.Shards!.map((s) => s.ShardId),
      ['shardId-000000000000', 'shardId-000000000001'],
    );
    assert.equal(first.StreamDescription!.HasMoreShards, true);
    const second = await kinesis.send(
      new DescribeStreamCommand({ StreamName: name, Limit: 2, ExclusiveStartShardId: 'shardId-000000000001' }),
    );
    assert.deepEqual(
      second.StreamDescription!.Shards!.map((s) => s.ShardId),
      ['shardId-000000000002', 'shardId-000000000003'],
    );
    assert.equal(second.StreamDescription!.HasMoreShards, true);
    const last = await kinesis.send(
      new DescribeStreamCommand({ StreamName: name, Limit: 2, ExclusiveStartShardId: 'shardId-000000000003' }),
    );
    assert.deepEqual(
      last.StreamDescription!.Shards!.map((s) => s.ShardId),
      ['shardId-000000000004'],
    );
    assert.equal(last.StreamDescription!.HasMoreShards, false);
    const all = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(all.StreamDescription!.Shards!.length, 5);
    assert.equal(all.StreamDescription!.HasMoreShards, false);
    // A shard id names a shard by its number.
    const short = await kinesis.send(new DescribeStreamCommand({ StreamName: name, ExclusiveStartShardId: 'shardId-3' }));
    assert.deepEqual(
      short.StreamDescription!.Shards!.map((s) => s.ShardId),
      ['shardId-000000000004'],
    );
    await rejects(kinesis.send(new DescribeStreamCommand({ StreamName: name, Limit: 0 })), {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: " +
        'Member must have value greater than or equal to 1',
    });
  });

  it('describes a stream summary', async () => {
    const name = uniqueName('summary');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.ok(s);
    assert.equal(s.StreamName, name);
    assert.equal(s.StreamARN, arn);
    assert.equal(s.StreamStatus, 'ACTIVE');
    assert.deepEqual(s.StreamModeDetails, { StreamMode: 'PROVISIONED' });
    assert.equal(s.RetentionPeriodHours, 24);
    assert.equal(s.OpenShardCount, 2);
    assert.equal(s.ConsumerCount, 0);
    assert.equal(s.EncryptionType, 'NONE');
    assert.deepEqual(s.EnhancedMonitoring, [{ ShardLevelMetrics: [] }]);
    assert.equal(s.MaxRecordSizeInKiB, 1024);
    assert.ok(s.StreamCreationTimestamp instanceof Date);
  });

  it("shows no StreamId, and takes one in AWS's form (an SDK given it would leave for AWS's own host)", async () => {
    const name = uniqueName('stream-id');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    // The Java KCL 3 sends back any StreamId it is shown, and AWS's endpoint rules route a request
    // carrying one of AWS's form to <id>.control-kinesis.<region>.amazonaws.com, past the endpoint.
    assert.equal(s!.StreamId, undefined);
    // Sent raw, as the SDK would not send it here: accepted, and the stream is the one the ARN names.
    const res = await signedFetch(server.url, {
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListShards' },
      body: JSON.stringify({ StreamARN: arn, StreamId: 'abcdefghij0123456789-abc' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { Shards: unknown[] }).Shards.length, 1);
  });

  it('pages ListStreams with Limit, ExclusiveStartStreamName and NextToken', async () => {
    // A region of its own, so that only this test's streams are listed.
    const client = server.kinesisIn('ap-southeast-2');
    try {
      const prefix = uniqueName('list');
      const names = ['a', 'b', 'c', 'd', 'e'].map((suffix) => `${prefix}-${suffix}`);
      for (const name of [...names].reverse()) await createActiveStream(client, { StreamName: name, ShardCount: 1 });

      const all = await client.send(new ListStreamsCommand({}));
      assert.deepEqual(all.StreamNames, names);
      assert.equal(all.HasMoreStreams, false);
      assert.equal(all.NextToken, undefined);
      assert.deepEqual(
        all.StreamSummaries!.map((s) => s.StreamName),
        names,
      );
      for (const summary of all.StreamSummaries!) {
        assert.equal(summary.StreamARN, `arn:aws:kinesis:ap-southeast-2:${ACCOUNT}:stream/${summary.StreamName}`);
        assert.equal(summary.StreamStatus, 'ACTIVE');
        assert.deepEqual(summary.StreamModeDetails, { StreamMode: 'PROVISIONED' });
        assert.ok(summary.StreamCreationTimestamp instanceof Date);
      }

      const page1 = await client.send(new ListStreamsCommand({ Limit: 2 }));
      assert.deepEqual(page1.StreamNames, names.slice(0, 2));
      assert.equal(page1.HasMoreStreams, true);
      assert.ok(page1.NextToken);
      const page2 = await client.send(new ListStreamsCommand({ Limit: 2, NextToken: page1.NextToken }));
      assert.deepEqual(page2.StreamNames, names.slice(2, 4));
      assert.equal(page2.HasMoreStreams, true);
      const page3 = await client.send(new ListStreamsCommand({ Limit: 2, NextToken: page2.NextToken }));
      assert.deepEqual(page3.StreamNames, names.slice(4));
      assert.equal(page3.HasMoreStreams, false);
      assert.equal(page3.NextToken, undefined);

      const afterB = await client.send(new ListStreamsCommand({ ExclusiveStartStreamName: names[1], Limit: 2 }));
      assert.deepEqual(afterB.StreamNames, names.slice(2, 4));
      assert.equal(afterB.HasMoreStreams, true);

      await rejects(client.send(new ListStreamsCommand({ NextToken: page1.NextToken, ExclusiveStartStreamName: names[0] })), {
        name: 'InvalidArgumentException',
        message: 'NextToken and ExclusiveStartStreamName cannot be provided together.',
      });
      await rejects(client.send(new ListStreamsCommand({ NextToken: 'not-a-token' })), {
        name: 'InvalidArgumentException',
        message: 'Invalid NextToken.',
      });
    } finally {
      client.destroy();
    }
  });
});

describe('streams (timed transitions)', () => {
  let server: TestNode<ManualClock>;
  let kinesis: KinesisClient;

  before(async () => {
    // On a manual clock: CREATING and DELETING last until the test moves time on.
    server = await startNode({ clock: 'manual', engine: { createStreamMs: 1500, deleteStreamMs: 1500, updateStreamMs: 1500 } });
    kinesis = server.kinesis;
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  it('goes CREATING -> ACTIVE, and DELETING -> gone', async () => {
    const name = uniqueName('timed');
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
    const creating = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(creating.StreamDescription!.StreamStatus, 'CREATING');
    assert.deepEqual(creating.StreamDescription!.Shards, []);
    const listed = await kinesis.send(new ListStreamsCommand({}));
    assert.equal(listed.StreamSummaries!.find((s) => s.StreamName === name)?.StreamStatus, 'CREATING');
    // A CREATING stream takes no records and cannot be deleted yet.
    await rejects(kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('x') })), {
      name: 'ResourceNotFoundException',
      message: `Stream ${name} under account ${ACCOUNT} not found.`,
    });
    await rejects(kinesis.send(new ListShardsCommand({ StreamName: name })), {
      name: 'ResourceInUseException',
      message: `Stream ${name} under account ${ACCOUNT} is not ACTIVE, it is CREATING.`,
    });

    await server.clock.advance(1499);
    await server.waitForStream(name, 'CREATING');
    await server.clock.advance(1);
    await waitForStatus(kinesis, name, 'ACTIVE');
    const active = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(active.StreamDescription!.Shards!.length, 2);

    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    const deleting = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(deleting.StreamDescriptionSummary!.StreamStatus, 'DELETING');
    // Deleting again while DELETING is accepted.
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    await server.clock.advance(1500);
    await eventually(async () => {
      try {
        await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        return undefined;
      } catch (err) {
        assert.equal((err as Error).name, 'ResourceNotFoundException');
        return true;
      }
    }, 'the DELETING stream to be gone');
  });

  it('deletes a stream that is still CREATING, as AWS does', async () => {
    const name = uniqueName('early');
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    const described = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(described.StreamDescriptionSummary?.StreamStatus, 'DELETING');
    await server.clock.advance(1500);
    await eventually(async () => {
      try {
        await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        return undefined;
      } catch (err) {
        return err as Error;
      }
    }, 'the deleted stream to disappear');
  });
});
