/**
 * The freshet process: SIGTERM stops it cleanly (exit 0, promptly even with idle keep-alive
 * clients, after answering requests in flight, records kept), and `freshet serve --help`.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { FRESHET_BIN, startServer } from '../helpers/server.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import { createActiveStream, readShard, text } from '../helpers/api.js';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('../../..', import.meta.url));

describe('the freshet process', () => {
  it('exits 0 on SIGTERM, promptly, and keeps what it acknowledged', async () => {
    const server = await startServer();
    try {
      const kinesis = kinesisClient(server.url);
      const name = uniqueName('sigterm');
      await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
      const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('kept') }));
      // An idle HTTP/1.1 keep-alive connection (fetch keeps one) must not hold the stop up.
      const idle = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams' },
        body: '{}',
      });
      assert.equal(idle.status, 200);
      await idle.text();
      const started = Date.now();
      assert.equal(await server.stop(), 0);
      assert.ok(Date.now() - started < 2000, `stopped in ${Date.now() - started} ms`);
      kinesis.destroy();

      const again = await startServer({ dataDir: server.dataDir });
      const client = kinesisClient(again.url);
      try {
        const records = await readShard(client, name, put.ShardId!);
        assert.deepEqual(records.map((r) => [r.SequenceNumber, text(r.Data)]), [[put.SequenceNumber, 'kept']]);
      } finally {
        client.destroy();
        assert.equal(await again.stop(), 0);
      }
    } finally {
      await server.kill();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  it('answers a request in flight at SIGTERM before exiting', async () => {
    const server = await startServer();
    try {
      const body = JSON.stringify({ StreamName: uniqueName('inflight'), ShardCount: 1 });
      const answer = new Promise<{ status: number; text: string; connection: string | undefined }>((resolve, reject) => {
        // Expect: 100-continue: the server has taken the request in once it says "continue";
        // the body is sent only after the server has begun stopping.
        const req = request(server.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'Kinesis_20131202.CreateStream',
            'content-length': Buffer.byteLength(body),
            expect: '100-continue',
          },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text, connection: res.headers.connection }));
        });
        req.on('continue', () => {
          const onStdout = (chunk: Buffer) => {
            if (!chunk.toString().includes('Freshet stopping (SIGTERM)')) return;
            server.child.stdout!.off('data', onStdout);
            req.end(body);
          };
          server.child.stdout!.on('data', onStdout);
          void server.stop();
        });
        req.flushHeaders();
      });
      const { status, text: responseText, connection } = await answer;
      assert.equal(status, 200, responseText);
      assert.equal(connection, 'close', 'a stopping server does not keep the connection alive');
      assert.equal(await server.stop(), 0);
    } finally {
      await server.dispose();
    }
  });

  it('prints usage for `npx freshet serve --help`', async () => {
    const { stdout } = await run('npx', ['freshet', 'serve', '--help'], { cwd: PACKAGE_DIR, timeout: 30_000 });
    assert.match(stdout, /^Usage: freshet serve \[options\]/);
    for (const option of ['--port', '--data-dir', '--fsync', '--create-stream-ms', '--retention-hour-ms', '--help']) {
      assert.ok(stdout.includes(option), `usage mentions ${option}`);
    }
    const direct = await run(process.execPath, [FRESHET_BIN, 'serve', '-h']);
    assert.equal(direct.stdout, stdout);
  });

  it('refuses bad options with exit code 2 and the usage', async () => {
    await assert.rejects(run(process.execPath, [FRESHET_BIN, 'serve', '--fsync', 'sometimes']), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr ?? '', /--fsync must be 'always' or 'never', got 'sometimes'/);
      assert.match(err.stderr ?? '', /Usage: freshet serve/);
      return true;
    });
  });
});
