/**
 * The order of checks and the texts inside Data Streams operations (issue 18; docs/conformance.md):
 * shard ids by their number whatever the prefix, each operation's not-found texts, tag characters
 * and limits, ListTagsForStream's paging, DeleteStream of a CREATING stream, retention and shard
 * limit texts, and every missing member counted. Raw awsJson 1.1, signed.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ACCOUNT, createActiveStream } from '../helpers/api.js';
import { uniqueName } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { assertError, kinesis } from './raw.js';

describe('conformance: inside operations', () => {
  let node: TestNode;
  let stream: string;
  nodePerSuite(
    () => startNode(),
    (started) => (node = started),
  );

  const active = async (): Promise<string> => {
    if (stream) return stream;
    stream = uniqueName('conform');
    await createActiveStream(node.kinesis, { StreamName: stream, ShardCount: 2 });
    return stream;
  };

  it('a ShardId names its shard by the number after its first dash, whatever the prefix', async () => {
    const name = await active();
    for (const ShardId of ['shardId-1', 'abc-1', '-1', '1', 'shardId-000000000001', 'x-0000001']) {
      const answer = await kinesis(node.url, 'GetShardIterator', { StreamName: name, ShardId, ShardIteratorType: 'TRIM_HORIZON' });
      assert.equal(answer.status, 200, `${ShardId}: ${answer.text}`);
    }
    const missing = await kinesis(node.url, 'GetShardIterator', { StreamName: name, ShardId: 'abc-5', ShardIteratorType: 'LATEST' });
    assertError(
      missing,
      400,
      'ResourceNotFoundException',
      `Shard shardId-000000000005 in stream ${name} under account ${ACCOUNT} does not exist`,
    );
  });

  it('GetShardIterator: a shard of an unknown stream "does not exist"; an id whose number does not parse "could not be found" as given', async () => {
    const input = { StreamName: 'no-such-stream', ShardIteratorType: 'LATEST' };
    assertError(
      await kinesis(node.url, 'GetShardIterator', { ...input, ShardId: 'shardId-5' }),
      400,
      'ResourceNotFoundException',
      `Shard shardId-000000000005 in stream no-such-stream under account ${ACCOUNT} does not exist`,
    );
    for (const ShardId of ['shardId-2147483648', 'shardId-x', 'shardId-1e3']) {
      assertError(
        await kinesis(node.url, 'GetShardIterator', { ...input, ShardId }),
        400,
        'ResourceNotFoundException',
        `Could not find shard ${ShardId} in stream no-such-stream under account ${ACCOUNT}.`,
      );
    }
  });

  it('SplitShard and MergeShards: an unknown stream is "not found" when the id parses, else the shard as given', async () => {
    const split = { StreamName: 'no-such-stream', NewStartingHashKey: '1' };
    const merge = { StreamName: 'no-such-stream', AdjacentShardToMerge: 'shardId-1' };
    const notFound = `Stream no-such-stream under account ${ACCOUNT} not found.`;
    assertError(
      await kinesis(node.url, 'SplitShard', { ...split, ShardToSplit: 'abc-2147483647' }),
      400,
      'ResourceNotFoundException',
      notFound,
    );
    assertError(
      await kinesis(node.url, 'MergeShards', { ...merge, ShardToMerge: 'shardId-0' }),
      400,
      'ResourceNotFoundException',
      notFound,
    );
    for (const id of ['shardId-2147483648', 'shardId-a', 'shardId-1e3']) {
      const couldNot = `Could not find shard ${id} in stream no-such-stream under account ${ACCOUNT}.`;
      assertError(await kinesis(node.url, 'SplitShard', { ...split, ShardToSplit: id }), 400, 'ResourceNotFoundException', couldNot);
      assertError(await kinesis(node.url, 'MergeShards', { ...merge, ShardToMerge: id }), 400, 'ResourceNotFoundException', couldNot);
    }
  });

  it('SplitShard and MergeShards on a known stream: a missing shard is named normalised', async () => {
    const name = await active();
    const text = `Could not find shard shardId-000000000005 in stream ${name} under account ${ACCOUNT}.`;
    assertError(
      await kinesis(node.url, 'SplitShard', { StreamName: name, ShardToSplit: 'x-5', NewStartingHashKey: '1' }),
      400,
      'ResourceNotFoundException',
      text,
    );
    assertError(
      await kinesis(node.url, 'MergeShards', { StreamName: name, ShardToMerge: '0', AdjacentShardToMerge: '-05' }),
      400,
      'ResourceNotFoundException',
      text,
    );
  });

  it('tags: characters outside letters, digits, white space and _ . / = + - @ : are refused, then %', async () => {
    const name = await active();
    for (const bad of ['a;b', 'a\tb', 'a\nb', 'a,b', 'a*b']) {
      for (const Tags of [{ [bad]: 'v' }, { k: bad }]) {
        assertError(
          await kinesis(node.url, 'AddTagsToStream', { StreamName: name, Tags }),
          400,
          'InvalidArgumentException',
          'Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.',
        );
      }
    }
    assertError(
      await kinesis(node.url, 'AddTagsToStream', { StreamName: name, Tags: { 'a%b': 'v' } }),
      400,
      'InvalidArgumentException',
      `Failed to add tags to stream ${name} under account ${ACCOUNT} because some tags contained illegal characters. ` +
        "The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'.",
    );
    const ok = await kinesis(node.url, 'AddTagsToStream', { StreamName: name, Tags: { 'é ü_.:/=+-@': 'Ωmega 1' } });
    assert.equal(ok.status, 200, ok.text);
  });

  it('tags: more than 50 in one call are refused before the stream is looked up', async () => {
    const Tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    assertError(
      await kinesis(node.url, 'AddTagsToStream', { StreamName: 'no-such-stream', Tags }),
      400,
      'InvalidArgumentException',
      `Failed to add tags to stream no-such-stream under account ${ACCOUNT} because a given stream cannot have more than 50 tags associated with it.`,
    );
  });

  it('ListTagsForStream pages the tags in key order after ExclusiveStartTagKey, Limit at a time', async () => {
    const name = uniqueName('tagpage');
    await createActiveStream(node.kinesis, { StreamName: name, ShardCount: 1 });
    await kinesis(node.url, 'AddTagsToStream', { StreamName: name, Tags: { c: '3', a: '1', e: '5', b: '2', d: '4' } });
    const page = async (input: object) => (await kinesis(node.url, 'ListTagsForStream', { StreamName: name, ...input })).json;
    assert.deepEqual(await page({ Limit: 2 }), {
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
      HasMoreTags: true,
    });
    assert.deepEqual(await page({ Limit: 2, ExclusiveStartTagKey: 'b' }), {
      Tags: [
        { Key: 'c', Value: '3' },
        { Key: 'd', Value: '4' },
      ],
      HasMoreTags: true,
    });
    assert.deepEqual(await page({ ExclusiveStartTagKey: 'bb', Limit: 3 }), {
      Tags: [
        { Key: 'c', Value: '3' },
        { Key: 'd', Value: '4' },
        { Key: 'e', Value: '5' },
      ],
      HasMoreTags: false,
    });
    assert.deepEqual(await page({ ExclusiveStartTagKey: 'e' }), { Tags: [], HasMoreTags: false });
  });

  it('DeleteStream of a stream still CREATING is accepted', async () => {
    const name = uniqueName('creating');
    assert.equal((await kinesis(node.url, 'CreateStream', { StreamName: name, ShardCount: 1 })).status, 200);
    const deleted = await kinesis(node.url, 'DeleteStream', { StreamName: name });
    assert.equal(deleted.status, 200, deleted.text);
  });

  it('retention: below or above the current period, and over 8760 hours, with AWS texts', async () => {
    const name = await active();
    assertError(
      await kinesis(node.url, 'IncreaseStreamRetentionPeriod', { StreamName: name, RetentionPeriodHours: 8761 }),
      400,
      'InvalidArgumentException',
      'Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.',
    );
    assertError(
      await kinesis(node.url, 'DecreaseStreamRetentionPeriod', { StreamName: name, RetentionPeriodHours: 25 }),
      400,
      'InvalidArgumentException',
      `Requested retention period (25 hours) for stream ${name} can not be longer than existing retention period (24 hours). Use IncreaseRetentionPeriod API.`,
    );
    assert.equal((await kinesis(node.url, 'IncreaseStreamRetentionPeriod', { StreamName: name, RetentionPeriodHours: 48 })).status, 200);
    assertError(
      await kinesis(node.url, 'IncreaseStreamRetentionPeriod', { StreamName: name, RetentionPeriodHours: 30 }),
      400,
      'InvalidArgumentException',
      `Requested retention period (30 hours) for stream ${name} can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API.`,
    );
  });

  it('shard limit: LimitExceededException with the current count, the limit and the shards the request would add', async () => {
    const answer = await kinesis(node.url, 'CreateStream', { StreamName: uniqueName('huge'), ShardCount: 100000 });
    assertError(
      answer,
      400,
      'LimitExceededException',
      /^This request would exceed the shard limit for the account \d{12} in us-east-1\. Current shard count for the account: \d+\. Limit: \d+\. Number of additional shards that would have resulted from this request: 100000\. /,
    );
  });

  it('missing required members are all counted, in AWS order (StreamName is no longer required since StreamARN arrived)', async () => {
    assertError(
      await kinesis(node.url, 'SplitShard', {}),
      400,
      'ValidationException',
      /^2 validation errors detected: Value null at 'newStartingHashKey' failed to satisfy constraint: Member must not be null; Value null at 'shardToSplit' failed to satisfy constraint: Member must not be null$/,
    );
  });
});
