/**
 * ListShards through @aws-sdk/client-kinesis: paging (MaxResults, NextToken,
 * ExclusiveStartShardId), every ShardFilter type over a stream with a closed (split) shard, and
 * the invalid combinations of parameters.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  SplitShardCommand,
  type KinesisClient,
  type ListShardsCommandInput,
} from '@aws-sdk/client-kinesis';
import { startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName, waitForStatus } from '../helpers/clients.js';
import { ACCOUNT, createActiveStream, rejects } from '../helpers/api.js';

const id = (n: number) => `shardId-${String(n).padStart(12, '0')}`;

/** Waits (without sleeping blindly) until the clock has moved past ms. */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('ListShards', () => {
  let server: TestNode;
  let kinesis: KinesisClient;
  let name: string;
  let createdAt: Date;
  /** Between creation and the split, and after the split. */
  let beforeSplit: Date;
  let afterSplit: Date;

  const ids = async (input: ListShardsCommandInput) =>
    ((await kinesis.send(new ListShardsCommand(input))).Shards ?? []).map((s) => s.ShardId);

  before(async () => {
    server = await startNode();
    kinesis = server.kinesis;
    // Two shards; shard 0 is then split into shards 2 and 3.
    name = uniqueName('shards');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    createdAt = summary.StreamDescriptionSummary!.StreamCreationTimestamp!;
    await clockPast(createdAt.getTime() + 5);
    beforeSplit = new Date();
    await clockPast(beforeSplit.getTime() + 5);
    await kinesis.send(
      new SplitShardCommand({
        StreamName: name,
        ShardToSplit: id(0),
        NewStartingHashKey: (2n ** 126n).toString(),
      }),
    );
    await waitForStatus(kinesis, name, 'ACTIVE');
    await clockPast(Date.now() + 5);
    afterSplit = new Date();
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  it('lists every shard with its lineage and ranges', async () => {
    const { Shards: shards, NextToken } = await kinesis.send(new ListShardsCommand({ StreamName: name }));
    assert.equal(NextToken, undefined);
    assert.deepEqual(
      shards!.map((s) => s.ShardId),
      [id(0), id(1), id(2), id(3)],
    );
    const [parent, other, low, high] = shards!;
    assert.ok(parent!.SequenceNumberRange!.EndingSequenceNumber, 'the split shard is closed');
    assert.equal(other!.SequenceNumberRange!.EndingSequenceNumber, undefined);
    assert.equal(low!.ParentShardId, id(0));
    assert.equal(high!.ParentShardId, id(0));
    assert.equal(low!.HashKeyRange!.StartingHashKey, parent!.HashKeyRange!.StartingHashKey);
    assert.equal(low!.HashKeyRange!.EndingHashKey, (2n ** 126n - 1n).toString());
    assert.equal(high!.HashKeyRange!.StartingHashKey, (2n ** 126n).toString());
    assert.equal(high!.HashKeyRange!.EndingHashKey, parent!.HashKeyRange!.EndingHashKey);
  });

  it('pages with MaxResults and NextToken, and starts after ExclusiveStartShardId', async () => {
    const first = await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 3 }));
    assert.deepEqual(
      first.Shards!.map((s) => s.ShardId),
      [id(0), id(1), id(2)],
    );
    assert.ok(first.NextToken);
    const second = await kinesis.send(new ListShardsCommand({ NextToken: first.NextToken, MaxResults: 3 }));
    assert.deepEqual(
      second.Shards!.map((s) => s.ShardId),
      [id(3)],
    );
    assert.equal(second.NextToken, undefined);

    assert.deepEqual(await ids({ StreamName: name, ExclusiveStartShardId: id(1) }), [id(2), id(3)]);
    assert.deepEqual(await ids({ StreamName: name, ExclusiveStartShardId: 'shardId-0' }), [id(1), id(2), id(3)]);

    // One at a time, the filter carried by the token.
    const seen: string[] = [];
    let page = await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 1, ShardFilter: { Type: 'AT_LATEST' } }));
    seen.push(...page.Shards!.map((s) => s.ShardId!));
    while (page.NextToken) {
      page = await kinesis.send(new ListShardsCommand({ NextToken: page.NextToken, MaxResults: 1 }));
      seen.push(...page.Shards!.map((s) => s.ShardId!));
    }
    assert.deepEqual(seen, [id(1), id(2), id(3)]);
  });

  it('applies every ShardFilter type', async () => {
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'FROM_TRIM_HORIZON' } }), [id(0), id(1), id(2), id(3)]);
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'AT_TRIM_HORIZON' } }), [id(0), id(1)]);
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'AT_LATEST' } }), [id(1), id(2), id(3)]);
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: id(1) } }), [id(2), id(3)]);
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: beforeSplit } }), [id(0), id(1)]);
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: afterSplit } }), [id(1), id(2), id(3)]);
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'FROM_TIMESTAMP', Timestamp: beforeSplit } }), [
      id(0),
      id(1),
      id(2),
      id(3),
    ]);
    assert.deepEqual(await ids({ StreamName: name, ShardFilter: { Type: 'FROM_TIMESTAMP', Timestamp: afterSplit } }), [
      id(1),
      id(2),
      id(3),
    ]);
  });

  it('matches StreamCreationTimestamp', async () => {
    assert.deepEqual(await ids({ StreamName: name, StreamCreationTimestamp: createdAt }), [id(0), id(1), id(2), id(3)]);
    await rejects(
      kinesis.send(new ListShardsCommand({ StreamName: name, StreamCreationTimestamp: new Date(createdAt.getTime() - 1000) })),
      {
        name: 'ResourceNotFoundException',
        message: `Stream ${name} under account ${ACCOUNT} not found.`,
      },
    );
  });

  it('refuses the invalid combinations', async () => {
    const { NextToken: token } = await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }));
    assert.ok(token);
    const invalid = (message: string) => ({ name: 'InvalidArgumentException', message });
    await rejects(kinesis.send(new ListShardsCommand({})), invalid('Either NextToken or StreamName should be provided.'));
    await rejects(
      kinesis.send(new ListShardsCommand({ StreamName: name, NextToken: token })),
      invalid('NextToken and StreamName cannot be provided together.'),
    );
    await rejects(
      kinesis.send(new ListShardsCommand({ NextToken: token, ExclusiveStartShardId: id(0) })),
      invalid('NextToken and ExclusiveStartShardId cannot be provided together.'),
    );
    await rejects(
      kinesis.send(new ListShardsCommand({ NextToken: token, ShardFilter: { Type: 'AT_LATEST' } })),
      invalid('NextToken and ShardFilter cannot be provided together.'),
    );
    await rejects(
      kinesis.send(new ListShardsCommand({ NextToken: token, StreamCreationTimestamp: createdAt })),
      invalid('NextToken and StreamCreationTimestamp cannot be provided together.'),
    );
    await rejects(
      kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'AFTER_SHARD_ID' } })),
      invalid('ShardId must be provided when the ShardFilter type is AFTER_SHARD_ID.'),
    );
    for (const type of ['AT_TIMESTAMP', 'FROM_TIMESTAMP'] as const) {
      await rejects(
        kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: type } })),
        invalid(`Timestamp must be provided when the ShardFilter type is ${type}.`),
      );
      await rejects(
        kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: type, Timestamp: afterSplit, ShardId: id(0) } })),
        invalid(`ShardId cannot be provided when the ShardFilter type is ${type}.`),
      );
    }
    for (const type of ['AT_LATEST', 'AT_TRIM_HORIZON', 'FROM_TRIM_HORIZON'] as const) {
      await rejects(
        kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: type, ShardId: id(0) } })),
        invalid(`ShardId cannot be provided when the ShardFilter type is ${type}.`),
      );
      await rejects(
        kinesis.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: type, Timestamp: afterSplit } })),
        invalid(`Timestamp cannot be provided when the ShardFilter type is ${type}.`),
      );
    }
    await rejects(
      kinesis.send(
        new ListShardsCommand({ StreamName: name, ExclusiveStartShardId: id(0), ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: id(1) } }),
      ),
      invalid('ExclusiveStartShardId cannot be provided with the ShardFilter type AFTER_SHARD_ID.'),
    );
    await rejects(kinesis.send(new ListShardsCommand({ NextToken: 'bm90IGEgdG9rZW4' })), invalid('Invalid NextToken.'));
    await rejects(kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 0 })), {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: " +
        'Member must have value greater than or equal to 1',
    });
    await rejects(kinesis.send(new ListShardsCommand({ StreamName: `${name}-missing` })), {
      name: 'ResourceNotFoundException',
      message: `Stream ${name}-missing under account ${ACCOUNT} not found.`,
    });
  });
});
