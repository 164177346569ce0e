/**
 * Stream configuration through @aws-sdk/client-kinesis: retention (24..8760 hours and AWS's
 * messages), enhanced monitoring, encryption, capacity mode (both ways, two switches per 24 h),
 * UpdateMaxRecordSize, DescribeLimits and Describe/UpdateAccountSettings.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DescribeAccountSettingsCommand,
  DescribeLimitsCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  DisableEnhancedMonitoringCommand,
  EnableEnhancedMonitoringCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  PutRecordCommand,
  PutRecordsCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
  UpdateAccountSettingsCommand,
  UpdateMaxRecordSizeCommand,
  UpdateStreamModeCommand,
  type KinesisClient,
  type MetricsName,
} from '@aws-sdk/client-kinesis';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import type { ManualClock } from '../../src/core/clock.js';
import { uniqueName, waitForStatus } from '../helpers/clients.js';
import { ACCOUNT, createActiveStream, readShard, rejects, text } from '../helpers/api.js';

const ALL_METRICS = [
  'IncomingBytes',
  'IncomingRecords',
  'OutgoingBytes',
  'OutgoingRecords',
  'WriteProvisionedThroughputExceeded',
  'ReadProvisionedThroughputExceeded',
  'IteratorAgeMilliseconds',
];
const KiB = 1024;
const DAY_MS = 24 * 3_600_000;

describe('stream configuration', () => {
  let server: TestNode;
  let kinesis: KinesisClient;

  nodePerSuite(
    () => startNode(),
    (started) => {
      server = started;
      kinesis = started.kinesis;
    },
  );

  const retention = async (name: string) =>
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.RetentionPeriodHours;

  it('increases and decreases retention within 24..8760 hours, with AWS messages', async () => {
    const name = uniqueName('retention');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const invalid = (message: string) => ({ name: 'InvalidArgumentException', message });
    const tooShort = (h: number) =>
      invalid(`Minimum allowed retention period is 24 hours. Requested retention period (${h} hours) is too short.`);
    const tooLong = (h: number) =>
      invalid(`Maximum allowed retention period is 8760 hours. Requested retention period (${h} hours) is too long.`);

    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
    assert.equal(await retention(name), 48);
    await rejects(kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 8761 })), tooLong(8761));
    await rejects(kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 23 })), tooShort(23));
    await rejects(
      kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 30 })),
      invalid(
        `Requested retention period (30 hours) for stream ${name} can not be shorter than existing retention period ` +
          '(48 hours). Use DecreaseRetentionPeriod API.',
      ),
    );
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 8760 }));
    assert.equal(await retention(name), 8760);

    await rejects(kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 8761 })), tooLong(8761));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 100 }));
    assert.equal(await retention(name), 100);
    await rejects(
      kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 200 })),
      invalid(
        `Requested retention period (200 hours) for stream ${name} can not be longer than existing retention period ` +
          '(100 hours). Use IncreaseRetentionPeriod API.',
      ),
    );
    await rejects(kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 1 })), tooShort(1));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 24 }));
    assert.equal(await retention(name), 24);
    await rejects(kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: `${name}-missing`, RetentionPeriodHours: 48 })), {
      name: 'ResourceNotFoundException',
      message: `Stream ${name}-missing under account ${ACCOUNT} not found.`,
    });
  });

  it('enables and disables enhanced monitoring, ALL standing for every metric', async () => {
    const name = uniqueName('metrics');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const enabled = await kinesis.send(new EnableEnhancedMonitoringCommand({ StreamName: name, ShardLevelMetrics: ['ALL'] }));
    assert.equal(enabled.StreamName, name);
    assert.equal(enabled.StreamARN, arn);
    assert.deepEqual(enabled.CurrentShardLevelMetrics, []);
    assert.deepEqual(enabled.DesiredShardLevelMetrics, ALL_METRICS);
    const described = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.deepEqual(described.StreamDescription!.EnhancedMonitoring, [{ ShardLevelMetrics: ALL_METRICS }]);

    const disabled = await kinesis.send(
      new DisableEnhancedMonitoringCommand({ StreamName: name, ShardLevelMetrics: ['IncomingBytes', 'IteratorAgeMilliseconds'] }),
    );
    assert.deepEqual(disabled.CurrentShardLevelMetrics, ALL_METRICS);
    assert.deepEqual(
      disabled.DesiredShardLevelMetrics,
      ALL_METRICS.filter((m) => m !== 'IncomingBytes' && m !== 'IteratorAgeMilliseconds'),
    );
    const none = await kinesis.send(new DisableEnhancedMonitoringCommand({ StreamName: name, ShardLevelMetrics: ['ALL'] }));
    assert.deepEqual(none.DesiredShardLevelMetrics, []);
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.deepEqual(summary.StreamDescriptionSummary!.EnhancedMonitoring, [{ ShardLevelMetrics: [] }]);

    const some = await kinesis.send(
      new EnableEnhancedMonitoringCommand({ StreamName: name, ShardLevelMetrics: ['OutgoingRecords', 'IncomingRecords'] }),
    );
    assert.deepEqual(some.DesiredShardLevelMetrics, ['IncomingRecords', 'OutgoingRecords']);

    await rejects(kinesis.send(new EnableEnhancedMonitoringCommand({ StreamName: name, ShardLevelMetrics: ['Bogus' as MetricsName] })), {
      name: 'ValidationException',
      message:
        /^1 validation error detected: Value '\[Bogus\]' at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy constraint: \[Member must satisfy enum value set: \[.*\]\]$/,
    });
  });

  it('switches capacity mode both ways, at most twice in 24 hours', async () => {
    const name = uniqueName('mode');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const mode = async () =>
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.StreamModeDetails!.StreamMode;
    await rejects(kinesis.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'PROVISIONED' } })), {
      name: 'InvalidArgumentException',
      message: `Stream ${name} under account ${ACCOUNT} is already in PROVISIONED mode.`,
    });
    await kinesis.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    assert.equal(await mode(), 'ON_DEMAND');
    await kinesis.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'PROVISIONED' } }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    assert.equal(await mode(), 'PROVISIONED');
    await rejects(kinesis.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'ON_DEMAND' } })), {
      name: 'LimitExceededException',
      message: `Stream ${name} under account ${ACCOUNT} has already switched capacity mode 2 times in the last 24 hours.`,
    });
    assert.equal(await mode(), 'PROVISIONED');
  });

  it('raises the max record size with UpdateMaxRecordSize: then a larger record passes', async () => {
    const name = uniqueName('maxsize');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const partitionKey = 'big';
    const twoMiB = randomBytes(2048 * KiB - partitionKey.length);
    await rejects(kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: partitionKey, Data: twoMiB })), {
      name: 'InvalidArgumentException',
      message: /exceeds the maximum record size of 1048576 bytes/,
    });
    await kinesis.send(new UpdateMaxRecordSizeCommand({ StreamARN: arn, MaxRecordSizeInKiB: 2048 }));
    await waitForStatus(kinesis, name, 'ACTIVE');
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary!.MaxRecordSizeInKiB, 2048);
    const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: partitionKey, Data: twoMiB }));
    const [back] = await readShard(
      kinesis,
      name,
      put.ShardId!,
      { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: put.SequenceNumber! },
      1,
    );
    assert.ok(Buffer.from(back!.Data!).equals(twoMiB));
    const batch = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: [{ PartitionKey: partitionKey, Data: twoMiB }] }));
    assert.equal(batch.FailedRecordCount, 0);
    await rejects(
      kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: partitionKey, Data: randomBytes(twoMiB.length + 1) })),
      {
        name: 'InvalidArgumentException',
        message:
          `Record size ${2048 * KiB + 1} bytes (data plus partition key) exceeds the maximum record size of ${2048 * KiB} bytes ` +
          `(2048 KiB) of stream ${name} under account ${ACCOUNT}.`,
      },
    );
    for (const [size, rule] of [
      [1023, 'Member must have value greater than or equal to 1024'],
      [10241, 'Member must have value less than or equal to 10240'],
    ] as const) {
      await rejects(kinesis.send(new UpdateMaxRecordSizeCommand({ StreamARN: arn, MaxRecordSizeInKiB: size })), {
        name: 'ValidationException',
        message: `1 validation error detected: Value '${size}' at 'maxRecordSizeInKiB' failed to satisfy constraint: ${rule}`,
      });
    }
  });

  it('takes a 10 MiB record on a stream created with MaxRecordSizeInKiB 10240', async () => {
    const name = uniqueName('tenmib');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1, MaxRecordSizeInKiB: 10240 });
    const data = randomBytes(10240 * KiB - 1);
    const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: data }));
    const [back] = await readShard(
      kinesis,
      name,
      put.ShardId!,
      { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: put.SequenceNumber! },
      1,
    );
    assert.ok(Buffer.from(back!.Data!).equals(data));
  });

  it('describes limits for the region: shards, on-demand streams, and refuses going over the shard limit', async () => {
    const region = 'ca-central-1';
    const client = server.kinesisIn(region);
    try {
      const empty = await client.send(new DescribeLimitsCommand({}));
      assert.deepEqual(
        { ...empty, $metadata: undefined },
        { $metadata: undefined, ShardLimit: 500, OpenShardCount: 0, OnDemandStreamCount: 0, OnDemandStreamCountLimit: 50 },
      );
      await createActiveStream(client, { StreamName: uniqueName('lim'), ShardCount: 3 });
      await createActiveStream(client, { StreamName: uniqueName('lim'), StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
      const limits = await client.send(new DescribeLimitsCommand({}));
      assert.equal(limits.OpenShardCount, 7);
      assert.equal(limits.OnDemandStreamCount, 1);
      await rejects(client.send(new CreateStreamCommand({ StreamName: uniqueName('lim'), ShardCount: 494 })), {
        name: 'LimitExceededException',
        message:
          `This request would exceed the shard limit for the account ${ACCOUNT} in ${region}. ` +
          'Current shard count for the account: 7. Limit: 500. Number of additional shards that would have resulted from this request: 494. ' +
          'Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) ' +
          'for current limits and how to request higher limits.',
      });
    } finally {
      client.destroy();
    }
  });

  it('describes and updates account settings', async () => {
    const client = server.kinesisIn('sa-east-1');
    try {
      const initial = await client.send(new DescribeAccountSettingsCommand({}));
      assert.deepEqual(initial.MinimumThroughputBillingCommitment, { Status: 'DISABLED' });
      const before = Date.now();
      const enabled = await client.send(new UpdateAccountSettingsCommand({ MinimumThroughputBillingCommitment: { Status: 'ENABLED' } }));
      const commitment = enabled.MinimumThroughputBillingCommitment!;
      assert.equal(commitment.Status, 'ENABLED');
      const started = commitment.StartedAt!.getTime();
      assert.ok(started >= before - 1000 && started <= Date.now() + 1000);
      assert.equal(commitment.EarliestAllowedEndAt!.getTime(), started + DAY_MS);
      assert.equal(commitment.EndedAt, undefined);
      const described = await client.send(new DescribeAccountSettingsCommand({}));
      assert.deepEqual(described.MinimumThroughputBillingCommitment, commitment);

      // Within the 24-hour minimum commitment, a request to end it takes effect at its earliest allowed end.
      const ending = await client.send(new UpdateAccountSettingsCommand({ MinimumThroughputBillingCommitment: { Status: 'DISABLED' } }));
      assert.equal(ending.MinimumThroughputBillingCommitment!.Status, 'ENABLED_UNTIL_EARLIEST_ALLOWED_END');
      assert.equal(ending.MinimumThroughputBillingCommitment!.StartedAt!.getTime(), started);
      assert.equal(ending.MinimumThroughputBillingCommitment!.EarliestAllowedEndAt!.getTime(), started + DAY_MS);
      const again = await client.send(new UpdateAccountSettingsCommand({ MinimumThroughputBillingCommitment: { Status: 'ENABLED' } }));
      assert.equal(again.MinimumThroughputBillingCommitment!.Status, 'ENABLED');
      assert.equal(again.MinimumThroughputBillingCommitment!.StartedAt!.getTime(), started, 'the same commitment continues');
      // Settings are per region.
      const elsewhere = await kinesis.send(new DescribeAccountSettingsCommand({}));
      assert.equal(elsewhere.MinimumThroughputBillingCommitment!.Status, 'DISABLED');
    } finally {
      client.destroy();
    }
  });
});

describe('stream configuration (timed transitions)', () => {
  let server: TestNode<ManualClock>;
  let kinesis: KinesisClient;

  before(async () => {
    // On a manual clock: the stream stays UPDATING until the test moves time on.
    server = await startNode({ clock: 'manual', engine: { updateStreamMs: 1500 } });
    kinesis = server.kinesis;
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  it('starts and stops encryption through UPDATING, with the state in Describe* and on records', async () => {
    const name = uniqueName('kms');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const keyId = 'alias/aws/kinesis';
    await kinesis.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: keyId }));
    const updating = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(updating.StreamDescriptionSummary!.StreamStatus, 'UPDATING');
    // Writes continue while UPDATING; other updates wait.
    await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('during') }));
    await rejects(kinesis.send(new StopStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: keyId })), {
      name: 'ResourceInUseException',
      message: `Stream ${name} under account ${ACCOUNT} not ACTIVE, instead in state UPDATING`,
    });
    await server.clock.advance(1500);
    await waitForStatus(kinesis, name, 'ACTIVE');

    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary!.EncryptionType, 'KMS');
    assert.equal(summary.StreamDescriptionSummary!.KeyId, keyId);
    const described = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(described.StreamDescription!.EncryptionType, 'KMS');
    assert.equal(described.StreamDescription!.KeyId, keyId);

    const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('secret') }));
    assert.equal(put.EncryptionType, 'KMS');
    const puts = await kinesis.send(
      new PutRecordsCommand({ StreamName: name, Records: [{ PartitionKey: 'p', Data: Buffer.from('more') }] }),
    );
    assert.equal(puts.EncryptionType, 'KMS');
    const it0 = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: name,
        ShardId: put.ShardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: put.SequenceNumber,
      }),
    );
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: it0.ShardIterator }));
    assert.deepEqual(
      got.Records!.map((r) => [text(r.Data), r.EncryptionType]),
      [
        ['secret', 'KMS'],
        ['more', 'KMS'],
      ],
    );

    await kinesis.send(new StopStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: keyId }));
    await server.clock.advance(1500);
    await waitForStatus(kinesis, name, 'ACTIVE');
    const stopped = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(stopped.StreamDescriptionSummary!.EncryptionType, 'NONE');
    assert.equal(stopped.StreamDescriptionSummary!.KeyId, undefined);
    const plain = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('plain') }));
    assert.equal(plain.EncryptionType, undefined);
  });

  it('shows UPDATING while the capacity mode changes', async () => {
    const name = uniqueName('modeupd');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    await kinesis.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    const updating = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(updating.StreamDescriptionSummary!.StreamStatus, 'UPDATING');
    await server.clock.advance(1500);
    await waitForStatus(kinesis, name, 'ACTIVE');
    const done = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.deepEqual(done.StreamDescriptionSummary!.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
  });
});
