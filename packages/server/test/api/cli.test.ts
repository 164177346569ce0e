/**
 * The `aws` CLI scenario: `aws --endpoint-url URL kinesis ...` as child processes create a
 * stream, wait for it, put records, read them back with shard iterators, and delete it. The CLI
 * must be installed: if it is not, this test fails (it does not skip).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, uniqueName } from '../helpers/clients.js';
import { ACCOUNT, assertIncreasing } from '../helpers/api.js';

const run = promisify(execFile);

describe('the aws CLI', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.dispose();
  });

  /** Runs `aws kinesis <args>` against the server; resolves to its parsed JSON output. */
  async function aws<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const { stdout } = await run('aws', ['--endpoint-url', server.url, '--output', 'json', 'kinesis', ...args], {
      env: awsEnv('eu-north-1'),
      timeout: 60_000,
    });
    return (stdout.trim() ? JSON.parse(stdout) : {}) as T;
  }

  it('is installed', async () => {
    const { stdout, stderr } = await run('aws', ['--version'], { env: awsEnv() });
    assert.match(stdout + stderr, /^aws-cli\/\d+\.\d+\.\d+ /);
  });

  it('creates a stream, waits for it, puts records, reads them back and deletes the stream', async () => {
    const name = uniqueName('cli');
    await aws('create-stream', '--stream-name', name, '--shard-count', '2');
    await aws('wait', 'stream-exists', '--stream-name', name);
    const summary = await aws<{ StreamDescriptionSummary: Record<string, unknown> }>('describe-stream-summary', '--stream-name', name);
    assert.equal(summary.StreamDescriptionSummary.StreamStatus, 'ACTIVE');
    assert.equal(summary.StreamDescriptionSummary.StreamARN, `arn:aws:kinesis:eu-north-1:${ACCOUNT}:stream/${name}`);
    assert.equal(summary.StreamDescriptionSummary.OpenShardCount, 2);

    // CLI v1 sends blob arguments as given (it base64-encodes the text itself).
    const one = await aws<{ ShardId: string; SequenceNumber: string }>(
      'put-record',
      '--stream-name',
      name,
      '--partition-key',
      'alpha',
      '--data',
      'hello from the cli',
    );
    const records = [
      { Data: 'first', PartitionKey: 'k1' },
      { Data: 'second', PartitionKey: 'k2' },
      { Data: 'third', PartitionKey: 'k3' },
      { Data: 'fourth', PartitionKey: 'alpha' },
    ];
    const many = await aws<{ FailedRecordCount: number; Records: Array<{ ShardId: string; SequenceNumber: string }> }>(
      'put-records',
      '--stream-name',
      name,
      '--records',
      JSON.stringify(records),
    );
    assert.equal(many.FailedRecordCount, 0);
    assert.equal(many.Records.length, 4);
    assert.equal(many.Records[3]!.ShardId, one.ShardId, 'the same partition key goes to the same shard');

    const puts = [
      { shardId: one.ShardId, sequenceNumber: one.SequenceNumber, data: 'hello from the cli' },
      ...many.Records.map((r, i) => ({ shardId: r.ShardId, sequenceNumber: r.SequenceNumber, data: records[i]!.Data })),
    ];
    const shards = await aws<{ Shards: Array<{ ShardId: string }> }>('list-shards', '--stream-name', name);
    assert.deepEqual(
      shards.Shards.map((s) => s.ShardId),
      ['shardId-000000000000', 'shardId-000000000001'],
    );
    for (const shardId of new Set(puts.map((p) => p.shardId))) {
      const { ShardIterator } = await aws<{ ShardIterator: string }>(
        'get-shard-iterator',
        '--stream-name',
        name,
        '--shard-id',
        shardId,
        '--shard-iterator-type',
        'TRIM_HORIZON',
      );
      const page = await aws<{
        Records: Array<{ SequenceNumber: string; Data: string; PartitionKey: string; ApproximateArrivalTimestamp: number }>;
        NextShardIterator: string;
        MillisBehindLatest: number;
      }>('get-records', '--shard-iterator', ShardIterator);
      const expected = puts.filter((p) => p.shardId === shardId);
      assert.deepEqual(
        page.Records.map((r) => ({ sequenceNumber: r.SequenceNumber, data: Buffer.from(r.Data, 'base64').toString() })),
        expected.map((p) => ({ sequenceNumber: p.sequenceNumber, data: p.data })),
        shardId,
      );
      assertIncreasing(
        page.Records.map((r) => r.SequenceNumber),
        shardId,
      );
      assert.ok(page.NextShardIterator);
      assert.equal(page.MillisBehindLatest, 0);
    }
    const { ShardIterator: atOne } = await aws<{ ShardIterator: string }>(
      'get-shard-iterator',
      '--stream-name',
      name,
      '--shard-id',
      one.ShardId,
      '--shard-iterator-type',
      'AT_SEQUENCE_NUMBER',
      '--starting-sequence-number',
      one.SequenceNumber,
    );
    const fromOne = await aws<{ Records: Array<{ SequenceNumber: string }> }>('get-records', '--shard-iterator', atOne, '--limit', '1');
    assert.deepEqual(
      fromOne.Records.map((r) => r.SequenceNumber),
      [one.SequenceNumber],
    );

    await assert.rejects(aws('describe-stream-summary', '--stream-name', `${name}-missing`), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 255);
      assert.match(
        err.stderr ?? '',
        new RegExp(
          `An error occurred \\(ResourceNotFoundException\\) when calling the DescribeStreamSummary operation: Stream ${name}-missing under account ${ACCOUNT} not found\\.`,
        ),
      );
      return true;
    });

    await aws('delete-stream', '--stream-name', name);
    await aws('wait', 'stream-not-exists', '--stream-name', name);
    const listed = await aws<{ StreamNames: string[] }>('list-streams');
    assert.ok(!listed.StreamNames.includes(name));
  });
});
