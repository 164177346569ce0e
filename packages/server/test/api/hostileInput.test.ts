/**
 * Client-controlled values that must be refused or bounded, through @aws-sdk/client-kinesis (and
 * raw HTTP where the SDK itself would refuse to send the value):
 * - the SigV4 credential scope's region: only AWS's regions (or the node's --regions) are served;
 * - NextTokens: sealed and bound to their listing, so an edited, foreign or malformed token is
 *   refused and nothing of its content reaches a message;
 * - a StreamARN beside a ShardIterator that names another stream.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeLimitsCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamConsumersCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { ManualClock } from '../../src/core/clock.js';
import { parseCommandLine, UsageError } from '../../src/cli/options.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import { ACCOUNT, createActiveStream, rejects, text } from '../helpers/api.js';
import { signedFetch } from '../helpers/signing.js';

/** A Kinesis call over HTTP/1.1 signed for `region`, or not signed at all. */
async function callSignedFor(url: string, region: string | undefined, operation: string, input: object) {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `Kinesis_20131202.${operation}`,
  };
  const body = JSON.stringify(input);
  const res =
    region !== undefined ? await signedFetch(url, { headers, body, region }) : await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> };
}

const MISSING_TOKEN = { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };

const invalidRegion = (region: string) => ({
  name: 'InvalidSignatureException',
  message: `Credential should be scoped to a valid region, not '${region}'. `,
  status: 400,
});

describe('the region of the credential scope', () => {
  let node: TestNode;
  nodePerSuite(
    () => startNode({ engine: { shardLimit: 4 } }),
    (started) => (node = started),
  );

  it('a made-up region is refused with InvalidSignatureException before anything is created', async () => {
    const name = uniqueName('region');
    const madeUp = node.kinesisIn('xx-made-up-1');
    await rejects(madeUp.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })), invalidRegion('xx-made-up-1'));
    await rejects(madeUp.send(new ListStreamsCommand({})), invalidRegion('xx-made-up-1'));
    // An endpoint alias is not a region either (AWS refuses 'aws-global' the same way).
    await rejects(node.kinesisIn('aws-global').send(new ListStreamsCommand({})), invalidRegion('aws-global'));
    for (const region of ['us-east-1', 'us-west-2']) {
      const { StreamNames } = await node.kinesisIn(region).send(new ListStreamsCommand({}));
      assert.ok(!StreamNames!.includes(name), `nothing was created in ${region}`);
    }
  });

  it('every partition has its regions, and a stream ARN carries its partition', async () => {
    for (const [region, partition] of [
      ['us-gov-west-1', 'aws-us-gov'],
      ['cn-north-1', 'aws-cn'],
      ['us-iso-east-1', 'aws-iso'],
      ['us-isob-east-1', 'aws-iso-b'],
      ['eu-south-2', 'aws'],
    ] as const) {
      const name = uniqueName('partition');
      const arn = await createActiveStream(node.kinesisIn(region), { StreamName: name, ShardCount: 1 });
      assert.equal(arn, `arn:${partition}:kinesis:${region}:${ACCOUNT}:stream/${name}`);
      await node.kinesisIn(region).send(new DeleteStreamCommand({ StreamName: name }));
    }
  });

  it('regions too long for any client (256 and 1,100 characters) are refused, not stored or answered 500', async () => {
    for (const length of [256, 1_100]) {
      const region = 'r'.repeat(length);
      const created = await callSignedFor(node.url, region, 'CreateStream', { StreamName: uniqueName('long'), ShardCount: 1 });
      assert.equal(created.status, 400);
      assert.equal(created.type, 'InvalidSignatureException');
      assert.deepEqual(created.body, {
        __type: 'InvalidSignatureException',
        message: `Credential should be scoped to a valid region, not '${region}'. `,
      });
    }
  });

  it('made-up regions do not get around --shard-limit: the quota of every region served is the same one per account', async () => {
    const limits = await node.kinesisIn('ap-south-2').send(new DescribeLimitsCommand({}));
    assert.equal(limits.ShardLimit, 4);
    await createActiveStream(node.kinesisIn('ap-south-2'), { StreamName: uniqueName('quota'), ShardCount: 4 });
    await rejects(node.kinesisIn('ap-south-2').send(new CreateStreamCommand({ StreamName: uniqueName('quota'), ShardCount: 1 })), {
      name: 'LimitExceededException',
    });
    // Each made-up region used to be a fresh quota of 4 shards: none is served now.
    for (let i = 0; i < 5; i++) {
      const region = `zz-quota-${i}`;
      await rejects(
        node.kinesisIn(region).send(new CreateStreamCommand({ StreamName: uniqueName('quota'), ShardCount: 4 })),
        invalidRegion(region),
      );
    }
  });

  it('unsigned requests are refused, as AWS refuses them, even without --auth', async () => {
    const listed = await callSignedFor(node.url, undefined, 'ListStreams', {});
    assert.equal(listed.status, 403);
    assert.equal(listed.type, 'MissingAuthenticationTokenException');
    assert.deepEqual(listed.body, MISSING_TOKEN);
  });
});

describe('--regions', () => {
  let node: TestNode;
  nodePerSuite(
    () => startNode({ regions: ['eu-west-1', 'local-1'] }),
    (started) => (node = started),
  );

  it('serves the regions listed, custom names included, and refuses the rest', async () => {
    const name = uniqueName('listed');
    await createActiveStream(node.kinesisIn('local-1'), { StreamName: name, ShardCount: 1 });
    const arn = await createActiveStream(node.kinesisIn('eu-west-1'), { StreamName: name, ShardCount: 1 });
    assert.equal(arn, `arn:aws:kinesis:eu-west-1:${ACCOUNT}:stream/${name}`);
    await rejects(node.kinesisIn('us-east-1').send(new ListStreamsCommand({})), invalidRegion('us-east-1'));
    const listed = await callSignedFor(node.url, 'local-1', 'ListStreams', {});
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.StreamNames, [name]);
  });

  it('the command line takes a comma-separated list of well-formed names', () => {
    const parsed = parseCommandLine(['--regions', 'eu-west-1,local-1']);
    assert.equal(parsed.command, 'serve');
    assert.deepEqual(parsed.command === 'serve' && parsed.options.regions, ['eu-west-1', 'local-1']);
    for (const bad of ['eu-west-1,', 'EU-WEST-1', 'a/b', 'x'.repeat(33)]) {
      assert.throws(() => parseCommandLine(['--regions', bad]), UsageError, bad);
    }
  });
});

/** A NextToken as main used to write them: base64url JSON, unsigned. */
const unsealedToken = (token: object) => Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');

const invalidToken = { name: 'InvalidArgumentException', message: 'Invalid NextToken.', status: 400 };

describe('NextTokens', () => {
  let node: TestNode<ManualClock>;
  let kinesis: KinesisClient;
  nodePerSuite(
    () => startNode({ clock: 'manual' }),
    (started) => ({ kinesis } = node = started),
  );

  async function streamWithShards(shards: number) {
    const name = uniqueName('token');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: shards });
    return { name, arn, id: node.engine.control.streamId({ account: ACCOUNT, region: 'us-east-1' }, { StreamName: name }) };
  }

  it('an edited token is refused: it cannot be made to live forever, change its filter or name another stream', async () => {
    const { name, id } = await streamWithShards(3);
    const genuine = (await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }))).NextToken!;
    const now = node.clock.now();
    const forged = [
      unsealedToken({ scope: `${ACCOUNT}/us-east-1`, after: '', issuedMs: now + 10 * 365 * 86_400_000 }),
      unsealedToken({
        scope: id,
        after: 'shardId-000000000000',
        issuedMs: now,
        extra: { account: ACCOUNT, region: 'us-east-1', name, filter: 'AT_LATEST' },
      }),
      // One character of a genuine token changed, one dropped, one added.
      genuine.slice(0, 10) + (genuine[10] === 'A' ? 'B' : 'A') + genuine.slice(11),
      genuine.slice(0, -1),
      genuine + 'A',
    ];
    for (const token of forged) await rejects(kinesis.send(new ListShardsCommand({ NextToken: token })), invalidToken);
    await rejects(kinesis.send(new ListStreamsCommand({ NextToken: forged[0] })), invalidToken);
  });

  it('a token with members missing or null leaks nothing of them in the message', async () => {
    const { id } = await streamWithShards(2);
    for (const token of [
      unsealedToken({ scope: id, after: 'shardId-000000000000', issuedMs: node.clock.now() }),
      unsealedToken({ scope: id, after: 'x', issuedMs: node.clock.now(), extra: { account: null, region: null, name: null } }),
      unsealedToken({ scope: null, after: null, issuedMs: null }),
    ]) {
      const err = await rejects(kinesis.send(new ListShardsCommand({ NextToken: token })), invalidToken);
      assert.doesNotMatch(err.message, /undefined|null/);
    }
  });

  it("a genuine token works only for its own listing, stream and caller's region", async () => {
    const a = await streamWithShards(3);
    const b = await streamWithShards(3);
    for (const stream of [a, b]) {
      for (let i = 0; i < 3; i++) {
        await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: stream.arn, ConsumerName: `c${i}` }));
      }
    }
    const shardToken = (await kinesis.send(new ListShardsCommand({ StreamName: a.name, MaxResults: 1 }))).NextToken!;
    const consumerToken = (await kinesis.send(new ListStreamConsumersCommand({ StreamARN: a.arn, MaxResults: 1 }))).NextToken!;
    const streamToken = (await kinesis.send(new ListStreamsCommand({ Limit: 1 }))).NextToken!;

    // Each where it belongs.
    assert.equal((await kinesis.send(new ListShardsCommand({ NextToken: shardToken }))).Shards!.length, 2);
    const consumers = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: a.arn, NextToken: consumerToken }));
    assert.deepEqual(
      consumers.Consumers!.map((c) => c.ConsumerName),
      ['c1', 'c2'],
    );
    // Anywhere else.
    await rejects(kinesis.send(new ListStreamConsumersCommand({ StreamARN: b.arn, NextToken: consumerToken })), invalidToken);
    await rejects(kinesis.send(new ListStreamConsumersCommand({ StreamARN: a.arn, NextToken: shardToken })), invalidToken);
    await rejects(kinesis.send(new ListShardsCommand({ NextToken: consumerToken })), invalidToken);
    await rejects(kinesis.send(new ListShardsCommand({ NextToken: streamToken })), invalidToken);
    await rejects(kinesis.send(new ListStreamsCommand({ NextToken: shardToken })), invalidToken);
    await rejects(node.kinesisIn('eu-west-1').send(new ListShardsCommand({ NextToken: shardToken })), invalidToken);
    await rejects(node.kinesisIn('eu-west-1').send(new ListStreamsCommand({ NextToken: streamToken })), invalidToken);
    // A shard iterator is sealed with the same secret, but never opens as a NextToken.
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: a.name, ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }),
    );
    await rejects(kinesis.send(new ListShardsCommand({ NextToken: ShardIterator })), invalidToken);
  });

  it('a genuine token expires after 300 s with ExpiredNextTokenException, whatever the listing', async () => {
    const { name, arn } = await streamWithShards(3);
    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'c0' }));
    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'c1' }));
    const streamToken = (await kinesis.send(new ListStreamsCommand({ Limit: 1 }))).NextToken!;
    const consumerToken = (await kinesis.send(new ListStreamConsumersCommand({ StreamARN: arn, MaxResults: 1 }))).NextToken!;
    const shardToken = (await kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }))).NextToken!;
    await node.clock.advance(300_001);
    const expired = (token: string) => ({
      name: 'ExpiredNextTokenException',
      message: `The timestamp in the NextToken has expired: ${token}`,
    });
    await rejects(kinesis.send(new ListStreamsCommand({ NextToken: streamToken })), expired(streamToken));
    await rejects(kinesis.send(new ListStreamConsumersCommand({ StreamARN: arn, NextToken: consumerToken })), expired(consumerToken));
    await rejects(kinesis.send(new ListShardsCommand({ NextToken: shardToken })), expired(shardToken));
  });

  it('a big malformed token is refused without being quoted back', async () => {
    const huge = 'A'.repeat(200_000);
    const err = await rejects(kinesis.send(new ListStreamsCommand({ NextToken: huge })), invalidToken);
    assert.ok(err.message.length < 100);
  });
});

describe('a StreamARN beside something that already names a stream', () => {
  let kinesis: KinesisClient;
  nodePerSuite(
    () => startNode(),
    (started) => (kinesis = started.kinesis),
  );

  it("GetRecords refuses a StreamARN that is not the iterator's stream, and reads with its own", async () => {
    const a = uniqueName('arn-a');
    const b = uniqueName('arn-b');
    const arnA = await createActiveStream(kinesis, { StreamName: a, ShardCount: 1 });
    const arnB = await createActiveStream(kinesis, { StreamName: b, ShardCount: 1 });
    await kinesis.send(new PutRecordCommand({ StreamName: a, PartitionKey: 'k', Data: Buffer.from('secret of a') }));
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: a, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
    );
    await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator, StreamARN: arnB })), {
      name: 'InvalidArgumentException',
      message: `StreamARN ${arnB} and ShardIterator do not refer to the same stream.`,
      status: 400,
    });
    const read = await kinesis.send(new GetRecordsCommand({ ShardIterator, StreamARN: arnA }));
    assert.deepEqual(
      read.Records!.map((r) => text(r.Data)),
      ['secret of a'],
    );
  });

  it('PutRecords and GetShardIterator refuse a StreamName and StreamARN that disagree', async () => {
    const a = uniqueName('pair-a');
    const b = uniqueName('pair-b');
    await createActiveStream(kinesis, { StreamName: a, ShardCount: 1 });
    const arnB = await createActiveStream(kinesis, { StreamName: b, ShardCount: 1 });
    const mismatch = {
      name: 'InvalidArgumentException',
      message: `StreamARN ${arnB} and StreamName ${a} do not refer to the same stream.`,
    };
    await rejects(
      kinesis.send(new PutRecordsCommand({ StreamName: a, StreamARN: arnB, Records: [{ PartitionKey: 'k', Data: Buffer.from('x') }] })),
      mismatch,
    );
    await rejects(
      kinesis.send(
        new GetShardIteratorCommand({ StreamName: a, StreamARN: arnB, ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }),
      ),
      mismatch,
    );
  });
});
