/**
 * Enhanced fan-out consumers through SDK v3: RegisterStreamConsumer (CREATING -> ACTIVE, AWS's
 * ARN), DescribeStreamConsumer (by ARN, by stream ARN and name), ListStreamConsumers paging,
 * DeregisterStreamConsumer (both ways, DELETING), 20 per stream and 5 CREATING at once,
 * DeleteStream with and without EnforceConsumerDeletion, ConsumerCount, tags on consumer ARNs.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  RegisterStreamConsumerCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { uniqueName } from '../helpers/clients.js';
import { ACCOUNT, createActiveStream, eventually, rejects } from '../helpers/api.js';
import type { ManualClock } from '../../src/core/clock.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { activeConsumer } from './helpers.js';

describe('stream consumers (instant transitions)', () => {
  let kinesis: KinesisClient;
  nodePerSuite(
    () => startNode(),
    (started) => (kinesis = started.kinesis),
  );

  it('registers a consumer with AWS-shaped ARN and describes it by ARN and by stream ARN + name', async () => {
    const name = uniqueName('cons');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const before = Date.now();
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'app-1' }));
    assert.ok(Consumer);
    assert.equal(Consumer.ConsumerName, 'app-1');
    assert.match(Consumer.ConsumerARN!, new RegExp(`^arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}/consumer/app-1:\\d+$`));
    const created = Consumer.ConsumerCreationTimestamp!.getTime();
    assert.ok(created >= before - 1000 && created <= Date.now() + 1000);
    assert.equal(
      Consumer.ConsumerARN!.split(':').pop(),
      String(Math.floor(created / 1000)),
      'the ARN ends with the creation time in seconds',
    );

    const byArn = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
    const byName = await kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'app-1' }));
    assert.deepEqual(byArn.ConsumerDescription, byName.ConsumerDescription);
    assert.deepEqual(byArn.ConsumerDescription, {
      ConsumerName: 'app-1',
      ConsumerARN: Consumer.ConsumerARN,
      ConsumerStatus: 'ACTIVE',
      ConsumerCreationTimestamp: Consumer.ConsumerCreationTimestamp,
      StreamARN: streamArn,
    });
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary!.ConsumerCount, 1);
  });

  it('refuses a second consumer of the same name, unknown consumers and streams, and incomplete references', async () => {
    const name = uniqueName('cons');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const arn = await activeConsumer(kinesis, streamArn, 'dup');
    await rejects(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'dup' })), {
      name: 'ResourceInUseException',
      message: /Consumer dup .*already exists/,
    });
    await rejects(kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'nobody' })), {
      name: 'ResourceNotFoundException',
    });
    await rejects(kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn.replace(/:\d+$/, ':1') })), {
      name: 'ResourceNotFoundException',
    });
    await rejects(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: `${streamArn}-missing`, ConsumerName: 'x' })), {
      name: 'ResourceNotFoundException',
      message: `Stream ${name}-missing under account ${ACCOUNT} not found.`,
    });
    await rejects(kinesis.send(new DescribeStreamConsumerCommand({ ConsumerName: 'dup' })), { name: 'InvalidArgumentException' });
    await rejects(kinesis.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn })), { name: 'InvalidArgumentException' });
    await rejects(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'a b' })), {
      name: 'ValidationException',
      message: /Value 'a b' at 'consumerName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    });
  });

  it('lists consumers in registration order, page by page', async () => {
    const streamArn = await createActiveStream(kinesis, { StreamName: uniqueName('cons'), ShardCount: 1 });
    const names = ['c-a', 'c-z', 'c-m', 'c-b', 'c-y', 'c-c', 'c-x'];
    for (const consumerName of names)
      await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }));
    const all = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
    assert.deepEqual(
      all.Consumers!.map((c) => c.ConsumerName),
      names,
    );
    assert.equal(all.NextToken, undefined);

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await kinesis.send(
        new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 3, ...(token ? { NextToken: token } : {}) }),
      );
      pages.push(page.Consumers!.map((c) => c.ConsumerName!));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(pages, [names.slice(0, 3), names.slice(3, 6), names.slice(6)]);

    await rejects(kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn, NextToken: 'bogus' })), {
      name: 'InvalidArgumentException',
    });
    await rejects(kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 0 })), {
      name: 'ValidationException',
    });
    const other = await createActiveStream(kinesis, { StreamName: uniqueName('cons'), ShardCount: 1 });
    const first = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 1 }));
    await rejects(kinesis.send(new ListStreamConsumersCommand({ StreamARN: other, NextToken: first.NextToken })), {
      name: 'InvalidArgumentException',
    });
  });

  it('deregisters by ARN and by stream ARN + name', async () => {
    const name = uniqueName('cons');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const one = await activeConsumer(kinesis, streamArn, 'one');
    await activeConsumer(kinesis, streamArn, 'two');
    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: one }));
    await kinesis.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'two' }));
    await rejects(kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: one })), { name: 'ResourceNotFoundException' });
    await rejects(kinesis.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'two' })), {
      name: 'ResourceNotFoundException',
    });
    const list = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
    assert.deepEqual(list.Consumers, []);
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary!.ConsumerCount, 0);
    // The name is free again.
    await activeConsumer(kinesis, streamArn, 'one');
  });

  it('allows 20 consumers per stream', async () => {
    const name = uniqueName('cons');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    for (let i = 0; i < 20; i++) await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: `c${i}` }));
    await rejects(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c20' })), {
      name: 'LimitExceededException',
    });
    await kinesis.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c0' }));
    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c20' }));
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary!.ConsumerCount, 20);
  });

  it('refuses DeleteStream while consumers are registered, unless EnforceConsumerDeletion', async () => {
    const name = uniqueName('cons');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const arn = await activeConsumer(kinesis, streamArn, 'keeper');
    await rejects(kinesis.send(new DeleteStreamCommand({ StreamName: name })), {
      name: 'ResourceInUseException',
      message: /has 1 registered consumers/,
    });
    await rejects(kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: false })), {
      name: 'ResourceInUseException',
    });
    await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    await eventually(async () => {
      try {
        await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        return undefined;
      } catch (err) {
        return (err as Error).name === 'ResourceNotFoundException' ? true : undefined;
      }
    }, 'the stream to be deleted');
    await rejects(kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn })), { name: 'ResourceNotFoundException' });
  });

  it('keeps tags on consumer ARNs apart from the stream tags', async () => {
    const name = uniqueName('cons');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1, Tags: { team: 'data' } });
    const { Consumer } = await kinesis.send(
      new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'tagged', Tags: { app: 'billing', env: 'test' } }),
    );
    const arn = Consumer!.ConsumerARN!;
    const tagsOf = async (resource: string) => (await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: resource }))).Tags;
    assert.deepEqual(await tagsOf(arn), [
      { Key: 'app', Value: 'billing' },
      { Key: 'env', Value: 'test' },
    ]);
    await kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { owner: 'me' } }));
    await kinesis.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['env'] }));
    assert.deepEqual(await tagsOf(arn), [
      { Key: 'app', Value: 'billing' },
      { Key: 'owner', Value: 'me' },
    ]);
    assert.deepEqual(await tagsOf(streamArn), [{ Key: 'team', Value: 'data' }]);
    const streamTags = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(streamTags.Tags, [{ Key: 'team', Value: 'data' }]);
    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: arn }));
    await rejects(kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn })), { name: 'ResourceNotFoundException' });
  });
});

describe('stream consumers (timed transitions)', () => {
  let server: TestNode<ManualClock>;
  let kinesis: KinesisClient;
  before(async () => {
    // On a manual clock: consumers stay CREATING and DELETING until the test moves time on.
    server = await startNode({ clock: 'manual', engine: { registerConsumerMs: 400, deregisterConsumerMs: 400 } });
    kinesis = server.kinesis;
  });
  after(async () => {
    await server?.dispose();
  });

  const statusOf = async (arn: string) =>
    (await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }))).ConsumerDescription!.ConsumerStatus;

  it('goes CREATING -> ACTIVE, and DELETING -> gone', async () => {
    const streamArn = await createActiveStream(kinesis, { StreamName: uniqueName('cons'), ShardCount: 1 });
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'slow' }));
    assert.equal(Consumer!.ConsumerStatus, 'CREATING');
    assert.equal(await statusOf(Consumer!.ConsumerARN!), 'CREATING');
    await server.clock.advance(399);
    assert.equal(await statusOf(Consumer!.ConsumerARN!), 'CREATING');
    await server.clock.advance(1);
    assert.equal(await statusOf(Consumer!.ConsumerARN!), 'ACTIVE');
    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: Consumer!.ConsumerARN }));
    assert.equal(await statusOf(Consumer!.ConsumerARN!), 'DELETING');
    const listed = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
    assert.deepEqual(
      listed.Consumers!.map((c) => c.ConsumerStatus),
      ['DELETING'],
    );
    await rejects(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'slow' })), {
      name: 'ResourceInUseException',
    });
    await server.clock.advance(400);
    await eventually(async () => {
      try {
        await statusOf(Consumer!.ConsumerARN!);
        return undefined;
      } catch (err) {
        return (err as Error).name === 'ResourceNotFoundException' ? true : undefined;
      }
    }, 'the consumer to be gone');
  });

  it('keeps consumers across a restart, and finishes a transition begun before it', async () => {
    const name = uniqueName('cons');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const kept = await activeConsumer(kinesis, streamArn, 'kept', server.clock);
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'new' }));
    assert.equal(Consumer!.ConsumerStatus, 'CREATING');
    server = await server.restart();
    kinesis = server.kinesis;
    assert.equal(await statusOf(kept), 'ACTIVE');
    assert.equal(await statusOf(Consumer!.ConsumerARN!), 'CREATING', 'still CREATING after the restart');
    await server.clock.advance(400);
    assert.equal(await statusOf(Consumer!.ConsumerARN!), 'ACTIVE', 'ACTIVE after the restart');
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    assert.equal(summary.StreamDescriptionSummary!.ConsumerCount, 2);
  });

  it('allows at most 5 consumers CREATING at once', async () => {
    const streamArn = await createActiveStream(kinesis, { StreamName: uniqueName('cons'), ShardCount: 1 });
    for (let i = 0; i < 5; i++) await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: `c${i}` }));
    await rejects(kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c5' })), {
      name: 'LimitExceededException',
      message: /5 consumers in CREATING status/,
    });
    await server.clock.advance(400);
    await eventually(async () => {
      const { Consumers } = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
      return Consumers!.every((c) => c.ConsumerStatus === 'ACTIVE') ? true : undefined;
    }, 'the consumers to be ACTIVE');
    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c5' }));
  });
});
