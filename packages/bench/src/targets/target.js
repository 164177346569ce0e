import { spawn } from 'node:child_process';
import { freePort } from '../util/ports.js';
import { sleep } from '../util/format.js';
import { KinesisHttp } from '../kinesis/http.js';

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_BYTES = 8_192;

/**
 * A Kinesis server under test, run as its own process on a free loopback port.
 * Subclasses say how to launch it (`command(port)`) and describe it (name, version, durability).
 * Each start is fresh; `startupMs` is the time from spawn to the first answered ListStreams.
 */
export class Target {
  /** @param {{name: string, version: string, durability: string, inMemory: boolean}} info */
  constructor(info) {
    Object.assign(this, info);
    this.child = null;
    this.endpoint = null;
    this.logTail = '';
  }

  /** {command, args, env, cwd} that starts the server on `port`. */
  command(_port) {
    throw new Error('not implemented');
  }

  /** Called before each start: a subclass may prepare a data directory. */
  async beforeStart() {}

  /** Called after each stop: a subclass may remove its data directory. */
  async afterStop() {}

  get pid() {
    return this.child?.pid;
  }

  async start() {
    await this.beforeStart();
    const port = await freePort();
    const { command, args, env, cwd } = this.command(port);
    this.endpoint = `http://127.0.0.1:${port}`;
    this.logTail = '';
    const startedAt = performance.now();
    this.child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    const keepTail = (chunk) => {
      this.logTail = (this.logTail + chunk.toString()).slice(-LOG_TAIL_BYTES);
    };
    this.child.stdout.on('data', keepTail);
    this.child.stderr.on('data', keepTail);
    await this.waitUntilReady();
    this.startupMs = performance.now() - startedAt;
    return this.startupMs;
  }

  /** Polls ListStreams until the server answers 200, failing early if the process exits. */
  async waitUntilReady() {
    const client = new KinesisHttp(this.endpoint, { maxSockets: 1 });
    const deadline = performance.now() + READY_TIMEOUT_MS;
    let exit = null;
    this.exited.then((result) => (exit = result));
    try {
      while (performance.now() < deadline) {
        if (exit) throw new Error(`${this.name} exited (${exit.code ?? exit.signal}) before answering:\n${this.logTail}`);
        try {
          await client.call('ListStreams', {});
          return;
        } catch (error) {
          if (error.status) throw new Error(`${this.name} answered ListStreams with ${error.message}`);
        }
        await sleep(20);
      }
      throw new Error(`${this.name} did not answer within ${READY_TIMEOUT_MS} ms:\n${this.logTail}`);
    } finally {
      client.close();
    }
  }

  /** SIGTERM, then SIGKILL if it does not exit in time. */
  async stop() {
    if (!this.child) return;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timedOut = await Promise.race([this.exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
      if (timedOut) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    this.child = null;
    await this.afterStop();
  }

  /** kill -9: no chance to flush anything. Keeps the data directory for a restart. */
  async kill9() {
    this.child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  describe() {
    return { name: this.name, version: this.version, durability: this.durability, inMemory: this.inMemory };
  }
}
