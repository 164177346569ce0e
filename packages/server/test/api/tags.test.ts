/**
 * Tags and resource policies through @aws-sdk/client-kinesis: Add/Remove/ListTagsForStream
 * (paging with ExclusiveStartTagKey and Limit, the 50-tag limit), Tag/Untag/ListTagsForResource,
 * and Put/Get/DeleteResourcePolicy.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DeleteResourcePolicyCommand,
  GetResourcePolicyCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  PutResourcePolicyCommand,
  RemoveTagsFromStreamCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { nodePerSuite, startNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import { ACCOUNT, createActiveStream, rejects } from '../helpers/api.js';

describe('tags and resource policies', () => {
  let kinesis: KinesisClient;

  nodePerSuite(
    () => startNode(),
    (started) => (kinesis = started.kinesis),
  );

  const tooMany = (name: string) => ({
    name: 'InvalidArgumentException',
    message: `Failed to add tags to stream ${name} under account ${ACCOUNT} because a given stream cannot have more than 50 tags associated with it.`,
  });

  it('adds, overwrites, lists (paged) and removes stream tags', async () => {
    const name = uniqueName('tags');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { b: '2', a: '1', d: '4', c: '3', e: '' } }));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { a: 'one' } }));

    const all = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(all.Tags, [
      { Key: 'a', Value: 'one' },
      { Key: 'b', Value: '2' },
      { Key: 'c', Value: '3' },
      { Key: 'd', Value: '4' },
      { Key: 'e', Value: '' },
    ]);
    assert.equal(all.HasMoreTags, false);

    const page1 = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name, Limit: 2 }));
    assert.deepEqual(
      page1.Tags!.map((t) => t.Key),
      ['a', 'b'],
    );
    assert.equal(page1.HasMoreTags, true);
    const page2 = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name, Limit: 2, ExclusiveStartTagKey: 'b' }));
    assert.deepEqual(
      page2.Tags!.map((t) => t.Key),
      ['c', 'd'],
    );
    assert.equal(page2.HasMoreTags, true);
    const page3 = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name, Limit: 2, ExclusiveStartTagKey: 'd' }));
    assert.deepEqual(
      page3.Tags!.map((t) => t.Key),
      ['e'],
    );
    assert.equal(page3.HasMoreTags, false);

    await kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: ['a', 'c', 'not-there'] }));
    const left = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(
      left.Tags!.map((t) => t.Key),
      ['b', 'd', 'e'],
    );

    await rejects(kinesis.send(new ListTagsForStreamCommand({ StreamName: name, Limit: 51 })), {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50",
    });
    await rejects(kinesis.send(new AddTagsToStreamCommand({ StreamName: `${name}-missing`, Tags: { a: '1' } })), {
      name: 'ResourceNotFoundException',
      message: `Stream ${name}-missing under account ${ACCOUNT} not found.`,
    });
  });

  it('allows 50 tags on a stream and no more', async () => {
    const name = uniqueName('fifty');
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key-${String(i).padStart(2, '0')}`, `v${i}`]));
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1, Tags: fifty });
    await rejects(kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { 'one-more': 'x' } })), tooMany(name));
    // Overwriting an existing key does not add one.
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { 'key-00': 'changed' } }));
    const page = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.equal(page.Tags!.length, 50);
    assert.equal(page.HasMoreTags, false);
    assert.deepEqual(page.Tags![0], { Key: 'key-00', Value: 'changed' });
    await rejects(
      kinesis.send(
        new TagResourceCommand({ ResourceARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`, Tags: { 'one-more': 'x' } }),
      ),
      tooMany(name),
    );

    const other = uniqueName('fiftyone');
    const fiftyOne = { ...fifty, 'key-50': 'v50' };
    await rejects(kinesis.send(new CreateStreamCommand({ StreamName: other, ShardCount: 1, Tags: fiftyOne })), tooMany(other));
  });

  it('tags, lists and untags by resource ARN: the same tags as the stream API', async () => {
    const name = uniqueName('resource');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1, Tags: { origin: 'create' } });
    await kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { team: 'streams', env: 'test' } }));
    const listed = await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    assert.deepEqual(listed.Tags, [
      { Key: 'env', Value: 'test' },
      { Key: 'origin', Value: 'create' },
      { Key: 'team', Value: 'streams' },
    ]);
    await kinesis.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['origin', 'env'] }));
    const byStream = await kinesis.send(new ListTagsForStreamCommand({ StreamName: name }));
    assert.deepEqual(byStream.Tags, [{ Key: 'team', Value: 'streams' }]);

    const missing = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}-missing`;
    await rejects(kinesis.send(new ListTagsForResourceCommand({ ResourceARN: missing })), {
      name: 'ResourceNotFoundException',
      message: `Resource ${missing} not found.`,
    });
    await rejects(kinesis.send(new TagResourceCommand({ ResourceARN: missing, Tags: { a: 'b' } })), {
      name: 'ResourceNotFoundException',
      message: `Resource ${missing} not found.`,
    });
    await rejects(kinesis.send(new ListTagsForResourceCommand({ ResourceARN: 'arn:aws:s3:::bucket' })), {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'arn:aws:s3:::bucket' at 'resourceARN' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+',
    });
  });

  it('puts, gets and deletes a resource policy', async () => {
    const name = uniqueName('policy');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'read',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator'],
          Resource: arn,
        },
      ],
    });
    assert.equal((await kinesis.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy, '{}');
    await kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: policy }));
    assert.equal((await kinesis.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy, policy);
    await kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: arn }));
    assert.equal((await kinesis.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy, '{}');
    await rejects(kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: arn })), {
      name: 'ResourceNotFoundException',
      message: `No resource policy found for resource ARN ${arn}.`,
    });
    await rejects(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: '{not json' })), {
      name: 'InvalidArgumentException',
      message: 'Policy is not a valid JSON document.',
    });
    const missing = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}-missing`;
    await rejects(kinesis.send(new PutResourcePolicyCommand({ ResourceARN: missing, Policy: policy })), {
      name: 'ResourceNotFoundException',
      message: `Resource ${missing} not found.`,
    });
  });
});
