/**
 * Starts a real Freshet server process for a test, on a free loopback port with its own data
 * directory, and stops (or kills) it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/server/bin/freshet.js, from packages/server/dist/test/helpers/. */
export const FRESHET_BIN = fileURLToPath(new URL('../../../bin/freshet.js', import.meta.url));

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** SIGTERM, and wait for a clean exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the crash. */
  kill(): Promise<void>;
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Reuse a data directory (restart after a crash); a fresh temporary one otherwise. */
  dataDir?: string;
  /** Extra CLI arguments. Stream status delays default to 0 in tests unless given here. */
  args?: string[];
  port?: number;
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'freshet-test-'));
  const args = [
    FRESHET_BIN,
    'serve',
    '--port',
    String(options.port ?? 0),
    '--data-dir',
    dataDir,
    ...defaultsUnlessGiven(options.args ?? [], {
      '--create-stream-ms': '0',
      '--delete-stream-ms': '0',
      '--update-stream-ms': '0',
    }),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await waitForUrl(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    child,
    stop,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    dispose: async () => {
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function defaultsUnlessGiven(args: string[], defaults: Record<string, string>): string[] {
  const extra = Object.entries(defaults)
    .filter(([flag]) => !args.includes(flag))
    .flat();
  return [...args, ...extra];
}

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`Freshet did not start within 15 s.\n${stdout}${stderr}`)), 15_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (process.env.FRESHET_TEST_VERBOSE) process.stderr.write(chunk);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => fail(new Error(`Freshet exited with ${code} before listening.\n${stdout}${stderr}`)));
  });
}
