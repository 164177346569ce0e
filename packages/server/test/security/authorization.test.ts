/**
 * Authorization end to end: a node with an auth file, SDK v3 clients signing with its keys.
 * Identity policies allow and deny, a condition on aws:SourceIp, a resource policy that opens a
 * stream to another account (and the call then acts on that account's stream), accounts isolated.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-kinesis';
import { TEST_CREDENTIALS } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';

const A = '111111111111';
const B = '222222222222';
const ORDERS = `arn:aws:kinesis:us-east-1:${A}:stream/orders`;

const allow = (Action: string | string[], Resource: string | string[] = '*', extra: object = {}) => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});
const policy = (...Statement: object[]) => [{ name: 'inline', document: { Version: '2012-10-17', Statement } }];
const user = (name: string, account: string, accessKeyId: string, policies: object[]) => ({
  user: name,
  account,
  credentials: [{ accessKeyId, secretAccessKey: `${name}-secret` }],
  policies,
});

const AUTH = {
  accounts: [{ id: A }, { id: B }],
  principals: [
    { user: 'admin', account: A, credentials: [TEST_CREDENTIALS], policies: policy(allow('kinesis:*')) },
    user(
      'writer',
      A,
      'AKIDWRITER',
      policy(allow('kinesis:PutRecord', `arn:aws:kinesis:*:${A}:stream/ord*`), {
        Effect: 'Deny',
        Action: 'kinesis:DeleteStream',
        Resource: '*',
      }),
    ),
    user('nobody', A, 'AKIDNOBODY', []),
    user(
      'local',
      A,
      'AKIDLOCAL',
      policy(allow('kinesis:PutRecord', '*', { Condition: { IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } } })),
    ),
    user(
      'remote',
      A,
      'AKIDREMOTE',
      policy(allow('kinesis:PutRecord', '*', { Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } })),
    ),
    user('carol', B, 'AKIDCAROL', policy(allow(['kinesis:PutRecord', 'kinesis:ListStreams', 'kinesis:DescribeStreamSummary']))),
  ],
};

/** Waits for a stream of the client's account (waitForStream looks in the node's own account). */
async function activeIn(client: KinesisClient, StreamName: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`stream ${StreamName} did not become ACTIVE`);
}

describe('authorization with --auth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-authz-'));
  const authFile = join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify(AUTH));
  after(() => rmSync(dir, { recursive: true, force: true }));

  let node: TestNode;
  nodePerSuite(
    async () => {
      const started = await startNode({ authFile });
      await started.kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 }));
      await activeIn(started.kinesis, 'orders');
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
  const put = (client: KinesisClient, ref: { StreamName?: string; StreamARN?: string } = { StreamName: 'orders' }) =>
    client.send(new PutRecordCommand({ ...ref, PartitionKey: 'k', Data: Buffer.from('hello') }));
  const deniedWith = (principal: string, action: string, resource: string, reason: string) => ({
    name: 'AccessDeniedException',
    message: `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} ${reason}`,
  });

  test('a call an identity policy allows succeeds; one it does not allow is refused with IAM’s message', async () => {
    const writer = as('writer', 'AKIDWRITER');
    assert.equal((await put(writer)).ShardId, 'shardId-000000000000');
    await assert.rejects(
      writer.send(new ListStreamsCommand({})),
      deniedWith(
        `arn:aws:iam::${A}:user/writer`,
        'kinesis:ListStreams',
        '*',
        'because no identity-based policy allows the kinesis:ListStreams action',
      ),
    );
    await assert.rejects(
      put(as('nobody', 'AKIDNOBODY')),
      deniedWith(
        `arn:aws:iam::${A}:user/nobody`,
        'kinesis:PutRecord',
        ORDERS,
        'because no identity-based policy allows the kinesis:PutRecord action',
      ),
    );
  });

  test('an explicit deny wins, and the refused call changes nothing', async () => {
    await assert.rejects(
      as('writer', 'AKIDWRITER').send(new DeleteStreamCommand({ StreamName: 'orders' })),
      deniedWith(`arn:aws:iam::${A}:user/writer`, 'kinesis:DeleteStream', ORDERS, 'with an explicit deny in an identity-based policy'),
    );
    const summary = await node.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }));
    assert.equal(summary.StreamDescriptionSummary?.StreamStatus, 'ACTIVE');
  });

  test('a condition on aws:SourceIp: allowed from loopback, refused for another network', async () => {
    await put(as('local', 'AKIDLOCAL'));
    await assert.rejects(put(as('remote', 'AKIDREMOTE')), { name: 'AccessDeniedException' });
  });

  test('accounts are isolated: a StreamName means the caller’s own account', async () => {
    const carol = as('carol', 'AKIDCAROL');
    assert.deepEqual((await carol.send(new ListStreamsCommand({}))).StreamNames, []);
    await assert.rejects(carol.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' })), {
      name: 'ResourceNotFoundException',
      message: `Stream orders under account ${B} not found.`,
    });
  });

  test('cross-account: refused until the stream’s resource policy allows the other account, then acts on that stream', async () => {
    const carol = as('carol', 'AKIDCAROL');
    await assert.rejects(
      put(carol, { StreamARN: ORDERS }),
      deniedWith(
        `arn:aws:iam::${B}:user/carol`,
        'kinesis:PutRecord',
        ORDERS,
        'because no resource-based policy allows the kinesis:PutRecord action',
      ),
    );
    const resourcePolicy = {
      Version: '2012-10-17',
      Statement: [allow('kinesis:PutRecord', ORDERS, { Principal: { AWS: `arn:aws:iam::${B}:user/carol` } })],
    };
    await node.kinesis.send(new PutResourcePolicyCommand({ ResourceARN: ORDERS, Policy: JSON.stringify(resourcePolicy) }));
    const { SequenceNumber } = await put(carol, { StreamARN: ORDERS });

    const { ShardIterator } = await node.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: 'orders',
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: SequenceNumber,
      }),
    );
    const { Records } = await node.kinesis.send(new GetRecordsCommand({ ShardIterator }));
    assert.equal(Buffer.from(Records![0]!.Data!).toString(), 'hello');
    // The resource policy grants PutRecord only.
    await assert.rejects(carol.send(new DescribeStreamSummaryCommand({ StreamARN: ORDERS })), {
      name: 'AccessDeniedException',
      message: /because no resource-based policy allows the kinesis:DescribeStreamSummary action$/,
    });
  });

  test('a malformed resource policy is refused when stored', async () => {
    await assert.rejects(
      node.kinesis.send(new PutResourcePolicyCommand({ ResourceARN: ORDERS, Policy: JSON.stringify({ Statement: [allow('kinesis:*')] }) })),
      { name: 'InvalidArgumentException', message: 'Policy is not a valid resource policy: Missing required field Principal' },
    );
  });
});
