/**
 * The boto3 scenario: test/api/fixtures/boto3_scenario.py, run with python3 against a real
 * server, creates a stream, waits for ACTIVE, puts records, reads them back with iterators,
 * and deletes the stream. boto3 must be installed: if it is not, this test fails (it does not skip).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { awsEnv, uniqueName } from '../helpers/clients.js';
import { ACCOUNT, assertIncreasing } from '../helpers/api.js';

const run = promisify(execFile);
/** The fixture stays in the source tree: dist/test/api/ -> test/api/fixtures/. */
const SCENARIO = fileURLToPath(new URL('../../../test/api/fixtures/boto3_scenario.py', import.meta.url));

interface ScenarioOutput {
  boto3: string;
  status: string;
  openShardCount: number;
  arn: string;
  failedRecordCount: number;
  puts: Array<{ shardId: string; sequenceNumber: string; data: string }>;
  shardIds: string[];
  read: Record<string, Array<{ sequenceNumber: string; partitionKey: string; data: string; arrival: number }>>;
  missingError: { code: string; message: string } | null;
  listedAfterDelete: boolean;
}

describe('boto3', () => {
  let server: TestNode;

  nodePerSuite(
    () => startNode(),
    (started) => (server = started),
  );

  it('is installed (python3 with boto3)', async () => {
    const { stdout } = await run('python3', ['-c', 'import boto3, botocore; print(boto3.__version__, botocore.__version__)'], {
      env: awsEnv(),
    });
    assert.match(stdout, /^\d+\.\d+\.\d+ \d+\.\d+\.\d+/);
  });

  it('creates a stream, waits for ACTIVE, puts records, reads them back and deletes the stream', async () => {
    const name = uniqueName('boto3');
    const started = Date.now();
    const { stdout, stderr } = await run('python3', [SCENARIO, server.url, name], { env: awsEnv('us-west-2'), timeout: 60_000 });
    let out: ScenarioOutput;
    try {
      out = JSON.parse(stdout) as ScenarioOutput;
    } catch {
      assert.fail(`the scenario printed no JSON.\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    assert.equal(out.status, 'ACTIVE');
    assert.equal(out.openShardCount, 2);
    assert.equal(out.arn, `arn:aws:kinesis:us-west-2:${ACCOUNT}:stream/${name}`);
    assert.equal(out.failedRecordCount, 0);
    assert.deepEqual(out.shardIds, ['shardId-000000000000', 'shardId-000000000001']);

    // Every record put is read back, on its shard, with its sequence number and bytes, in order.
    const readCount = Object.values(out.read).reduce((n, records) => n + records.length, 0);
    assert.equal(readCount, out.puts.length);
    for (const shardId of out.shardIds) {
      const expected = out.puts.filter((p) => p.shardId === shardId);
      const read = out.read[shardId]!;
      assert.deepEqual(
        read.map((r) => ({ sequenceNumber: r.sequenceNumber, data: r.data })),
        expected.map((p) => ({ sequenceNumber: p.sequenceNumber, data: p.data })),
        shardId,
      );
      assertIncreasing(
        read.map((r) => r.sequenceNumber),
        shardId,
      );
      for (const record of read) {
        assert.ok(record.arrival * 1000 >= started - 1000 && record.arrival * 1000 <= Date.now() + 1000, `arrival ${record.arrival}`);
      }
    }
    assert.equal(Buffer.from(out.puts[0]!.data, 'base64').toString(), 'hello from boto3');

    assert.deepEqual(out.missingError, {
      code: 'ResourceNotFoundException',
      message: `Stream ${name}-missing under account ${ACCOUNT} not found.`,
    });
    assert.equal(out.listedAfterDelete, false);
  });
});
