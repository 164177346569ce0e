/**
 * The freshet process: SIGTERM stops it cleanly (exit 0, promptly even with idle keep-alive
 * clients, after answering requests in flight, records kept); `freshet serve --help` and
 * `--version`; and what a new user's mistakes get: exit 2 and one line naming a mistake on the
 * command line, exit 1 and one line naming why the node cannot start (the port or the data
 * directory in use, a data directory it cannot write), never a stack, and no data directory
 * created when the command line is wrong.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { FRESHET_BIN, startServer } from '../helpers/server.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import { createActiveStream, readShard, text } from '../helpers/api.js';
import { signedFetch, signedHeaders } from '../helpers/signing.js';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('../../..', import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the freshet bin to its end (killed after 20 s: a node that starts when it should not). */
function freshet(args: string[], options: { uid?: number; gid?: number } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FRESHET_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The outcome of a failure a user meets: the exit code, and one line on stderr with no stack. */
function assertOneLine(outcome: Outcome, code: number, message: RegExp): void {
  assert.equal(outcome.code, code, `exit code; stderr: ${outcome.stderr}`);
  assert.doesNotMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(outcome.stdout, /listening on/);
  const lines = outcome.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, message);
  assert.match(lines[0]!, /^freshet: /);
  if (code === 2) assert.deepEqual(lines.slice(1), ["Usage: freshet serve [options]; 'freshet --help' lists the options."]);
  else assert.equal(lines.length, 1, outcome.stderr);
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `freshet-${prefix}-`));
}

async function listStreams(url: string): Promise<number> {
  const response = await signedFetch(url, {
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams' },
    body: '{}',
  });
  await response.text();
  return response.status;
}

describe('the freshet process', () => {
  it('exits 0 on SIGTERM, promptly, and keeps what it acknowledged', async () => {
    const server = await startServer();
    try {
      const kinesis = kinesisClient(server.url);
      const name = uniqueName('sigterm');
      await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
      const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('kept') }));
      // An idle HTTP/1.1 keep-alive connection (fetch keeps one) must not hold the stop up.
      const idle = await signedFetch(server.url, {
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
        assert.deepEqual(
          records.map((r) => [r.SequenceNumber, text(r.Data)]),
          [[put.SequenceNumber, 'kept']],
        );
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
      const signed = await signedHeaders(server.url, {
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.CreateStream' },
        body,
      });
      const answer = new Promise<{ status: number; text: string; connection: string | undefined }>((resolve, reject) => {
        // Expect: 100-continue: the server has taken the request in once it says "continue";
        // the body is sent only after the server has begun stopping.
        const req = request(server.url, {
          method: 'POST',
          headers: {
            ...signed,
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
    // The help answers whatever else the line holds, a mistake included.
    for (const args of [['--help'], ['help'], ['serve', '--prot', '1', '--help']]) {
      const outcome = await freshet(args);
      assert.equal(outcome.code, 0, `${args.join(' ')}: ${outcome.stderr}`);
      assert.equal(outcome.stdout, stdout, args.join(' '));
    }
  });

  it('prints the version of the package for --version', async () => {
    const { version } = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
    assert.match(version, /^\d+\.\d+\.\d+/);
    for (const args of [['--version'], ['serve', '--version'], ['version']]) {
      const outcome = await freshet(args);
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.equal(outcome.stdout, `${version}\n`, args.join(' '));
    }
  });

  it('refuses mistakes on the command line with exit code 2, one line naming them, and no data directory', async () => {
    const parent = tempDir('usage');
    const dataDir = join(parent, 'data');
    try {
      const cases: Array<[string[], RegExp]> = [
        [['--prot', '4567'], /^freshet: unknown option '--prot' \(did you mean --port\?\)$/],
        [['--data_dir', 'x'], /^freshet: unknown option '--data_dir' \(did you mean --data-dir\?\)$/],
        [['--verbose'], /^freshet: unknown option '--verbose'$/],
        [['-x'], /^freshet: unknown option '-x'$/],
        [['--port', '65536'], /^freshet: --port must be an integer from 0 to 65535, got '65536'$/],
        [['--port', '-1'], /^freshet: --port must be an integer from 0 to 65535, got '-1'$/],
        [['--port', '80.5'], /^freshet: --port must be an integer from 0 to 65535, got '80.5'$/],
        [['--port', ''], /^freshet: --port must be an integer from 0 to 65535, got ''$/],
        [['--port'], /^freshet: --port needs a value: --port <n>$/],
        [['--port', '--host', '127.0.0.1'], /^freshet: --port needs a value: --port <n>$/],
        [['--fsync', 'sometimes'], /^freshet: --fsync must be 'always' or 'never', got 'sometimes'$/],
        [['--limits', 'AWS'], /^freshet: --limits must be 'none' or 'aws', got 'AWS'$/],
        [['--account', '123'], /^freshet: --account must be 12 digits, got '123'$/],
        [['--decode-threads', 'two'], /^freshet: --decode-threads must be an integer from 0 to 64, got 'two'$/],
        [['--create-stream-ms', '1e3'], /^freshet: --create-stream-ms must be an integer from 0 to 2147483647, got '1e3'$/],
        [['--subscription-ms', '0'], /^freshet: --subscription-ms must be an integer from 1 to 2147483647, got '0'$/],
        [['--shard-limit', '0'], /^freshet: --shard-limit must be an integer >= 1, got '0'$/],
        [['--host', ''], /^freshet: --host must be an address, got ''$/],
        [['--help=yes'], /^freshet: --help takes no value, got 'yes'$/],
        [['start'], /^freshet: unknown command 'start' \(the commands are 'serve' and 'check'\)$/],
        [['now'], /^freshet: unexpected argument 'now'$/],
      ];
      const outcomes: Outcome[] = [];
      for (let i = 0; i < cases.length; i += 3) {
        const batch = cases
          .slice(i, i + 3)
          .map(([args]) => freshet(args[0] === 'start' ? args : ['serve', '--data-dir', dataDir, ...args]));
        outcomes.push(...(await Promise.all(batch)));
      }
      cases.forEach(([, message], i) => assertOneLine(outcomes[i]!, 2, message));
      // The command line is checked before anything is created: the data directory is not.
      assert.ok(!existsSync(dataDir), 'a wrong command line created the data directory');
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('says in one line, exit code 1, that the port or the data directory is in use, and leaves the running node be', async () => {
    const server = await startServer();
    const parent = tempDir('inuse');
    try {
      const otherDir = join(parent, 'data');
      const port = await freshet(['serve', '--port', String(server.port), '--data-dir', otherDir]);
      assertOneLine(
        port,
        1,
        new RegExp(
          `^freshet: cannot listen on 127\\.0\\.0\\.1:${server.port}: the port is in use by another program \\(--port <n> picks another, --port 0 a free one\\)$`,
        ),
      );
      assert.ok(!existsSync(otherDir), 'a port in use is found before the data directory is created');

      const dir = await freshet(['serve', '--port', '0', '--data-dir', server.dataDir]);
      assertOneLine(
        dir,
        1,
        new RegExp(
          `^freshet: cannot use the data directory ${server.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it is in use by another Freshet \\(process ${server.child.pid}\\); stop it or pick another --data-dir$`,
        ),
      );
      // The refused node took nothing from the running one: it still serves, and stops cleanly.
      assert.equal(await listStreams(server.url), 200);
      assert.equal(await server.stop(), 0);
      // ... after which the directory is free again.
      const again = await startServer({ dataDir: server.dataDir });
      assert.equal(await listStreams(again.url), 200);
      assert.equal(await again.stop(), 0);
    } finally {
      await server.dispose();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('says in one line, exit code 1, that it cannot write the data directory', async () => {
    const parent = tempDir('readonly');
    try {
      const file = join(parent, 'a-file');
      writeFileSync(file, 'not a directory');
      assertOneLine(
        await freshet(['serve', '--port', '0', '--data-dir', join(file, 'data')]),
        1,
        new RegExp(`^freshet: cannot use the data directory ${file}/data: a part of the path is not a directory$`),
      );
      assertOneLine(
        await freshet(['serve', '--port', '0', '--data-dir', file]),
        1,
        new RegExp(`^freshet: cannot use the data directory ${file}: it exists and is not a directory$`),
      );

      // A directory the user may not write: root writes anywhere, so as root the node runs as nobody.
      chmodSync(parent, 0o555);
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const outcome = await freshet(['serve', '--port', '0', '--data-dir', join(parent, 'data')], asUser);
      assertOneLine(outcome, 1, new RegExp(`^freshet: cannot use the data directory ${parent}/data: permission denied$`));
      assert.ok(!existsSync(join(parent, 'data')));
    } finally {
      chmodSync(parent, 0o755);
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
