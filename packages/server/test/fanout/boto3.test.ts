/**
 * SubscribeToShard through boto3: HTTP/1.1 with a chunked event-stream body, read by botocore's
 * parser (which refuses a stream that does not start with initial-response). The script
 * `fixtures/subscribe_boto3.py` does the work and prints a RESULT line this test checks.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { assertIncreasing, createActiveStream } from '../helpers/api.js';
import { awsEnv, kinesisClient, uniqueName } from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { numbered, startFanoutServer } from './helpers.js';

/** The script stays in the source tree: from dist/test/fanout/ back to test/fanout/fixtures/. */
const SCRIPT = fileURLToPath(new URL('../../../test/fanout/fixtures/subscribe_boto3.py', import.meta.url));

interface Result {
  received: string[];
  sequence_numbers: string[];
  events: number;
  continuations_ok: boolean;
  ended_by_server: boolean;
  in_use: string | null;
  stream_error: string | null;
  initial_response_keys: string[];
}

describe('SubscribeToShard through boto3', () => {
  let server: TestServer;
  let kinesis: KinesisClient;
  before(async () => {
    server = await startFanoutServer(['--subscription-ms', '20000']);
    kinesis = kinesisClient(server.url);
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  it(
    'receives every record in order over HTTP/1.1, and sees refusals and exception events as boto3 errors',
    { timeout: 60_000 },
    async () => {
      const name = uniqueName('boto3-efo');
      await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile('python3', [SCRIPT, server.url, name], { env: awsEnv(), timeout: 50_000 }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${out}\n${errOut}`)) : resolve(out),
        );
      });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      assert.ok(line, `no RESULT line in:\n${stdout}`);
      const result = JSON.parse(line.slice('RESULT '.length)) as Result;
      assert.equal(result.ended_by_server, false, 'all records arrived before the subscription ended');
      assert.deepEqual(result.received, [...numbered(300, 'before'), ...numbered(300, 'during')]);
      assertIncreasing(result.sequence_numbers, 'sequence numbers');
      assert.ok(result.continuations_ok, 'ContinuationSequenceNumber is the last record of each event');
      assert.deepEqual(result.initial_response_keys, ['EventStream']);
      assert.equal(result.in_use, 'ResourceInUseException');
      assert.ok(
        result.stream_error === 'ResourceInUseException' || result.stream_error === 'ResourceNotFoundException',
        `exception event: ${result.stream_error}`,
      );
    },
  );
});
