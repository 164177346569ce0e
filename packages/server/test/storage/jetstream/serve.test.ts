/**
 * `freshet serve --engine jetstream --nats ...`: the command line (what it takes and refuses), and
 * a real freshet process on a real 3-node NATS cluster serving records through the AWS SDK.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { parseCommandLine, UsageError } from '../../../src/cli/options.js';
import { createActiveStream, readShard, text } from '../../helpers/api.js';
import { kinesisClient, uniqueName } from '../../helpers/clients.js';
import { startNatsCluster, type NatsCluster } from '../../helpers/natsCluster.js';
import { FRESHET_BIN, startServer, type TestServer } from '../../helpers/server.js';

const run = promisify(execFile);

function serveOptions(args: string[]) {
  const parsed = parseCommandLine(['serve', ...args]);
  assert.equal(parsed.command, 'serve');
  return parsed.options;
}

describe('freshet serve --engine jetstream: the command line', () => {
  it('takes the servers, replicas, creds, user and TLS files', () => {
    const options = serveOptions([
      '--engine',
      'jetstream',
      '--nats',
      'nats://h1:4222, tls://h2:4222,h3',
      '--nats-replicas',
      '1',
      '--nats-creds',
      '/etc/freshet/nats.creds',
      '--nats-user',
      'freshet',
      '--nats-tls-ca',
      'ca.pem',
      '--nats-tls-cert',
      'c.pem',
      '--nats-tls-key',
      'k.pem',
    ]);
    assert.deepEqual(options.nats, {
      connection: {
        servers: ['nats://h1:4222', 'tls://h2:4222', 'h3'],
        credsFile: '/etc/freshet/nats.creds',
        user: 'freshet',
        tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' },
      },
      replicas: 1,
    });
    assert.equal(serveOptions([]).nats, undefined, 'the local engine by default');
    assert.equal(serveOptions(['--engine', 'local']).nats, undefined);
  });

  for (const [args, message] of [
    [['--engine', 'jetstream'], /--engine jetstream needs --nats/],
    [['--nats', 'nats://h1:4222'], /--nats needs --engine jetstream/],
    [['--engine', 'jetstream', '--nats', 'nats://h1:4222/path'], /--nats takes server URLs/],
    [['--engine', 'jetstream', '--nats', 'nats://h1:4222,'], /--nats takes server URLs/],
    [['--engine', 'jetstream', '--nats', 'h1', '--nats-tls-cert', 'c.pem'], /--nats-tls-cert and --nats-tls-key go together/],
    [['--engine', 'jetstream', '--nats', 'h1', '--nats-replicas', '6'], /--nats-replicas/],
    [['--engine', 'kafka'], /--engine must be 'local' or 'jetstream'/],
  ] as const) {
    it(`refuses ${args.join(' ')}`, () => {
      assert.throws(
        () => parseCommandLine(['serve', ...args]),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    });
  }
});

describe('freshet serve --engine jetstream on a 3-node NATS cluster', { timeout: 120_000 }, () => {
  let cluster: NatsCluster;
  let node: TestServer | undefined;
  before(async () => {
    cluster = await startNatsCluster(3);
  });
  after(async () => {
    await node?.dispose();
    await cluster?.stop();
  });

  it('starts, and serves a stream: records put are read back in order', async () => {
    node = await startServer({ args: ['--engine', 'jetstream', '--nats', cluster.urls.join(',')] });
    const client = kinesisClient(node.url);
    const streamName = uniqueName('js');
    await createActiveStream(client, { StreamName: streamName, ShardCount: 1 });
    const records = Array.from({ length: 20 }, (_, i) => ({ Data: Buffer.from(`record ${i}`), PartitionKey: `k${i}` }));
    const put = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: records }));
    assert.equal(put.FailedRecordCount, 0);
    const read = await readShard(client, streamName, 'shardId-000000000000', { ShardIteratorType: 'TRIM_HORIZON' });
    assert.deepEqual(
      read.map((r) => text(r.Data!)),
      records.map((_, i) => `record ${i}`),
    );
  });

  it('refuses to start, in one line, when no NATS server answers', async () => {
    const outcome = await run(
      process.execPath,
      [FRESHET_BIN, 'serve', '--port', '0', '--engine', 'jetstream', '--nats', 'nats://127.0.0.1:1'],
      {
        timeout: 20_000,
      },
    ).then(
      () => assert.fail('started without a NATS server'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(outcome.stderr, /^freshet: .*NATS/);
    assert.doesNotMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
  });
});
