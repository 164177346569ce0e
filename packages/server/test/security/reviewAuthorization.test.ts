/**
 * Review of the authorize step (issue 16): the resource a call is authorized against must be the
 * one the engine acts on, whatever form the request names it in. Each case here let a call past
 * a Deny, or refused a call that was allowed, before its fix:
 *
 * - a stream or consumer ARN in another spelling the engine reads as the same resource (another
 *   `arn:aws...` partition, a consumer's creation time with leading zeros);
 * - DescribeStreamConsumer and DeregisterStreamConsumer naming the consumer by StreamARN and
 *   ConsumerName (authorized against the stream, while the call acts on the consumer);
 * - ListShards' later pages, named by NextToken alone (authorized against `*`).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CreateStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  PutResourcePolicyCommand,
  RegisterStreamConsumerCommand,
} from '@aws-sdk/client-kinesis';
import { TEST_CREDENTIALS } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { signedFetch } from '../helpers/signing.js';

const A = '111111111111';
const ORDERS = `arn:aws:kinesis:us-east-1:${A}:stream/orders`;
const WIDE = `arn:aws:kinesis:us-east-1:${A}:stream/wide`;
const JSON_TYPE = 'application/x-amz-json-1.1';

const statement = (Effect: string, Action: string | string[], Resource: string | string[] = '*') => ({ Effect, Action, Resource });
const policy = (...Statement: object[]) => [{ name: 'inline', document: { Version: '2012-10-17', Statement } }];
const user = (name: string, accessKeyId: string, policies: object[]) => ({
  user: name,
  account: A,
  credentials: [{ accessKeyId, secretAccessKey: `${name}-secret` }],
  policies,
});

const AUTH = {
  accounts: [{ id: A }],
  principals: [
    { user: 'admin', account: A, credentials: [TEST_CREDENTIALS], policies: policy(statement('Allow', 'kinesis:*')) },
    // Everything but writing to orders and looking at or removing its consumers.
    user(
      'guarded',
      'AKIDGUARDED',
      policy(
        statement('Allow', 'kinesis:*'),
        statement('Deny', 'kinesis:PutRecord', ORDERS),
        statement('Deny', ['kinesis:DescribeStreamConsumer', 'kinesis:DeregisterStreamConsumer'], `${ORDERS}/consumer/*`),
      ),
    ),
    // Allowed by nothing of its own in the account: what the stream's resource policy says goes.
    user('bob', 'AKIDBOB', policy(statement('Allow', 'kinesis:PutRecord'))),
    user('lister', 'AKIDLISTER', policy(statement('Allow', 'kinesis:ListShards', WIDE))),
  ],
};

async function activeIn(client: KinesisClient, StreamName: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`stream ${StreamName} did not become ACTIVE`);
}

describe('review: the resource authorized is the one acted on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-review-authz-'));
  const authFile = join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify(AUTH));
  after(() => rmSync(dir, { recursive: true, force: true }));

  let node: TestNode;
  let consumerArn = '';
  nodePerSuite(
    async () => {
      const started = await startNode({ authFile });
      await started.kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));
      await started.kinesis.send(new CreateStreamCommand({ StreamName: 'wide', ShardCount: 3 }));
      await activeIn(started.kinesis, 'orders');
      await activeIn(started.kinesis, 'wide');
      const registered = await started.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: ORDERS, ConsumerName: 'app' }));
      consumerArn = registered.Consumer!.ConsumerARN!;
      // bob may not write to orders, whatever his own policy says.
      await started.kinesis.send(
        new PutResourcePolicyCommand({
          ResourceARN: ORDERS,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${A}:user/bob` }, Action: 'kinesis:PutRecord', Resource: ORDERS },
            ],
          }),
        }),
      );
      return started;
    },
    (n) => (node = n),
  );
  const as = (name: string, accessKeyId: string) =>
    node.client(
      class extends KinesisClient {
        constructor(config: ConstructorParameters<typeof KinesisClient>[0]) {
          super({ ...config, credentials: { accessKeyId, secretAccessKey: `${name}-secret` } });
        }
      },
    );
  /** A raw JSON call (no SDK endpoint rules in the way of an unusual ARN), signed with the principal's key. */
  const call = async (name: string, accessKeyId: string, operation: string, input: object) => {
    const res = await signedFetch(node.url, {
      headers: { 'content-type': JSON_TYPE, 'x-amz-target': `Kinesis_20131202.${operation}` },
      body: JSON.stringify(input),
      credentials: { accessKeyId, secretAccessKey: `${name}-secret` },
    });
    const body = (await res.json()) as { __type?: string; message?: string };
    return { status: res.status, type: body.__type, message: body.message ?? '' };
  };
  const put = (name: string, accessKeyId: string, StreamARN: string) =>
    call(name, accessKeyId, 'PutRecord', { StreamARN, PartitionKey: 'k', Data: Buffer.from('x').toString('base64') });

  test('a stream ARN in another partition spelling is authorized as the stream it names (identity Deny)', async () => {
    assert.equal((await put('guarded', 'AKIDGUARDED', ORDERS)).type, 'AccessDeniedException');
    for (const spelling of [ORDERS.replace('arn:aws:', 'arn:aws-cn:'), ORDERS.replace('arn:aws:', 'arn:aws-anything:')]) {
      const answer = await put('guarded', 'AKIDGUARDED', spelling);
      assert.equal(answer.type, 'AccessDeniedException', `${spelling}: ${JSON.stringify(answer)}`);
      assert.match(answer.message, new RegExp(`on resource: ${ORDERS} with an explicit deny`));
    }
  });

  test('a stream ARN in another partition spelling meets the stream’s resource policy (resource Deny)', async () => {
    assert.equal((await put('bob', 'AKIDBOB', ORDERS)).type, 'AccessDeniedException');
    const answer = await put('bob', 'AKIDBOB', ORDERS.replace('arn:aws:', 'arn:aws-us-gov:'));
    assert.equal(answer.type, 'AccessDeniedException', JSON.stringify(answer));
    assert.match(answer.message, /with an explicit deny in a resource-based policy/);
  });

  test('a consumer ARN with its creation time zero-padded is authorized as the consumer', async () => {
    const padded = consumerArn.replace(/:(\d+)$/, ':000$1');
    const answer = await call('guarded', 'AKIDGUARDED', 'DescribeStreamConsumer', { ConsumerARN: padded });
    assert.equal(answer.type, 'AccessDeniedException', JSON.stringify(answer));
    assert.match(answer.message, new RegExp(`on resource: ${consumerArn} with an explicit deny`));
  });

  test('DescribeStreamConsumer and DeregisterStreamConsumer by StreamARN and ConsumerName are authorized against the consumer', async () => {
    const guarded = as('guarded', 'AKIDGUARDED');
    await assert.rejects(guarded.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })), { name: 'AccessDeniedException' });
    await assert.rejects(guarded.send(new DescribeStreamConsumerCommand({ StreamARN: ORDERS, ConsumerName: 'app' })), {
      name: 'AccessDeniedException',
      message: new RegExp(`on resource: ${consumerArn} with an explicit deny`),
    });
    const answer = await call('guarded', 'AKIDGUARDED', 'DeregisterStreamConsumer', { StreamARN: ORDERS, ConsumerName: 'app' });
    assert.equal(answer.type, 'AccessDeniedException', JSON.stringify(answer));
    // The admin still sees it: nothing was deregistered.
    const still = await node.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }));
    assert.equal(still.ConsumerDescription?.ConsumerStatus, 'ACTIVE');
  });

  test('ListShards’ later pages (NextToken alone) are authorized against the stream the token pages through', async () => {
    const lister = as('lister', 'AKIDLISTER');
    const first = await lister.send(new ListShardsCommand({ StreamName: 'wide', MaxResults: 1 }));
    assert.ok(first.NextToken);
    const second = await lister.send(new ListShardsCommand({ NextToken: first.NextToken, MaxResults: 1 }));
    assert.deepEqual(
      second.Shards?.map((s) => s.ShardId),
      ['shardId-000000000001'],
    );
    // A token of a stream the principal may not list is refused as that stream's.
    const other = await node.kinesis.send(new ListShardsCommand({ StreamName: 'orders', MaxResults: 1 }));
    assert.equal(other.NextToken, undefined); // one shard: no second page to steal
  });
});
