/**
 * The published packages: `npm pack` of packages/aws and packages/server makes tarballs that
 * hold what a user needs (the compiled code, the AWS models, the `freshet` command) and no tests;
 * installed together into an empty project, `freshet serve` from node_modules/.bin starts, answers
 * Kinesis calls and stops cleanly on SIGTERM. The npm registry must be reachable for the
 * dependencies (pino, cbor-x, ...); this is the slowest test of the API suite.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { signedFetch } from '../helpers/signing.js';

const run = promisify(execFile);
const PACKAGES = fileURLToPath(new URL('../../../..', import.meta.url));

interface Packed {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string }>;
}

/** npm without the settings of an npm that may have started this test (npm test). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

async function pack(packageDir: string, destination: string): Promise<Packed> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: packageDir,
    env: npmEnv(),
    timeout: 60_000,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Packed[];
  return packed!;
}

/** Starts the installed command; resolves to its URL and its exit. */
function serve(bin: string, cwd: string, dataDir: string) {
  const child = spawn(bin, ['serve', '--port', '0', '--data-dir', dataDir], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the installed freshet did not start within 20 s:\n${output}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the installed freshet exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, url, exited };
}

async function kinesis(url: string, operation: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await signedFetch(url, {
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Kinesis_20131202.${operation}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('the npm packages', () => {
  it('pack into tarballs that install into an empty project and serve', { timeout: 240_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'freshet-pack-'));
    let server: ReturnType<typeof serve> | undefined;
    try {
      const [aws, freshet] = await Promise.all([pack(join(PACKAGES, 'aws'), root), pack(join(PACKAGES, 'server'), root)]);
      assert.equal(aws.name, '@freshet/aws');
      assert.equal(freshet.name, '@freshet/server');
      const awsFiles = aws.files.map((f) => f.path);
      const serverFiles = freshet.files.map((f) => f.path);
      for (const file of ['package.json', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'models/kinesis-2013-12-02.json']) {
        assert.ok(awsFiles.includes(file), `@freshet/aws holds ${file}`);
      }
      for (const file of ['package.json', 'LICENSE', 'bin/freshet.js', 'dist/src/cli/main.js', 'dist/src/node.js', 'dist/src/index.d.ts']) {
        assert.ok(serverFiles.includes(file), `@freshet/server holds ${file}`);
      }
      for (const file of [...awsFiles, ...serverFiles]) {
        assert.doesNotMatch(
          file,
          /(^|\/)test(\/|$)|\.test\.|^src\/|\.tsbuildinfo$|\.map$/,
          `no tests, sources or source maps in the tarballs: ${file}`,
        );
      }

      // An empty project installs both tarballs, as a user would.
      const project = join(root, 'project');
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'freshet-pack-test', private: true }));
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(root, aws.filename), join(root, freshet.filename)], {
        cwd: project,
        env: npmEnv(),
        timeout: 180_000,
      });
      assert.ok(existsSync(join(project, 'node_modules/@freshet/aws/models/kinesis-2013-12-02.json')));
      const bin = join(project, 'node_modules/.bin/freshet');

      const { stdout: version } = await run(bin, ['--version'], { cwd: project });
      assert.equal(
        version,
        `${(JSON.parse(readFileSync(join(PACKAGES, 'server/package.json'), 'utf8')) as { version: string }).version}\n`,
      );

      const dataDir = join(root, 'data');
      server = serve(bin, project, dataDir);
      const url = await server.url;
      const created = await kinesis(url, 'CreateStream', { StreamName: 'packed', ShardCount: 1 });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      const listed = await kinesis(url, 'ListStreams', {});
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.json.StreamNames, ['packed']);
      assert.ok(existsSync(join(dataDir, 'freshet-storage.json')), 'the data directory given is the one used');

      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    } finally {
      if (server && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      rmSync(root, { recursive: true, force: true });
    }
  });
});
