/**
 * The one way a test starts a Freshet node: in this process, on a free loopback port, with its
 * own data directory, and (with `clock: 'manual'`) on a clock that moves only when the test
 * advances it. A test says
 *
 *   const node = await startNode({ clock: 'manual', engine: { registerConsumerMs: 400 } });
 *   await node.kinesis.send(...);
 *   await node.clock.advance(400);
 *   await node.dispose();
 *
 * and gets the node's url, a Kinesis SDK v3 client, clients of any other SDK v3 service through
 * `client(FirehoseClient)` (the same endpoint, credentials and no retries), the clock, and the
 * engine. Tests that must kill the node's process (crash tests, CLI tests) use startServer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { AwsError } from '@freshet/aws';
import { ManualClock, systemClock, type Clock } from '../../src/core/clock.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { startFreshet, type ConnectionOptions, type FreshetOptions, type RunningFreshet } from '../../src/node.js';
import type { Engine, EngineOptions } from '../../src/services/kinesis/index.js';
import { TEST_CREDENTIALS } from './clients.js';

/** What every AWS SDK v3 client constructor accepts that the fixture fills in. */
export interface SdkClientConfig {
  endpoint: string;
  region: string;
  credentials: typeof TEST_CREDENTIALS;
  maxAttempts: number;
}

/** Any AWS SDK v3 client class (KinesisClient, FirehoseClient, CloudWatchClient, ...). */
export type SdkClientClass<C> = new (config: SdkClientConfig) => C;

export interface NodeOptions {
  /**
   * 'system' (default): real time. 'manual': time stands still until `node.clock.advance(ms)`;
   * every timer, timestamp and throughput rate of the node follows it. Or a ManualClock to share
   * (a node restarted on the same data directory keeps the test's time).
   */
  clock?: 'system' | 'manual' | ManualClock;
  /**
   * Engine settings. Stream transitions (create, delete, update) and consumer transitions
   * (register, deregister) default to 0 ms in tests unless given here.
   */
  engine?: Partial<Omit<EngineOptions, 'clock' | 'logger'>>;
  /** Reuse a data directory (a restart); a fresh temporary one, removed by dispose(), otherwise. */
  dataDir?: string;
  fsync?: FreshetOptions['fsync'];
  decodeThreads?: number;
  maxBodyBytes?: number;
  /** Connection timeouts and caps, and the body budget (the node's defaults otherwise). */
  connections?: Partial<ConnectionOptions>;
  /** The region of `node.kinesis` (default us-east-1). */
  region?: string;
  /** The regions the node accepts (`--regions`; default every AWS region). */
  regions?: readonly string[];
  /** Segment size of the stream logs (small ones make sealed segments with little data). */
  segmentBytes?: number;
  /** Serve HTTPS (`--tls auto` or given files); `node.kinesis` then does not trust it: make a client that does. */
  tls?: FreshetOptions['tls'];
  /** Write the audit log (`--audit-log`). */
  auditLog?: FreshetOptions['auditLog'];
  /** A KMS keyring file (`--kms-keyring`); `alias/aws/kinesis` works without one (its key beside the data directory). */
  kmsKeyring?: string;
  /** An auth file (`--auth`): signatures are verified against its keys (node.kinesis then needs TEST_CREDENTIALS in it). */
  authFile?: string;
}

export interface TestNode<C extends Clock = Clock> {
  url: string;
  port: number;
  /** The node itself, for what only it can do (reloadTls, tlsCertFile). */
  running: RunningFreshet;
  dataDir: string;
  clock: C;
  engine: Engine;
  /** Reads the KMS keyring again, as SIGHUP does; false if it could not be used. */
  reloadKeys(): boolean;
  /** A Kinesis client in the node's default region. */
  kinesis: KinesisClient;
  /** A Kinesis client in another region. */
  kinesisIn(region: string): KinesisClient;
  /** A client of any SDK v3 service pointed at this node; destroyed by close(). */
  client<T extends { destroy(): void }>(Client: SdkClientClass<T>, region?: string): T;
  /**
   * Waits until a stream is in `status` ('GONE': deleted), asking the engine directly: no API
   * call, so no call-rate token is spent and the test's time is not moved. The real-time limit
   * only keeps a broken test from hanging.
   */
  waitForStream(name: string, status?: string, region?: string): Promise<void>;
  /** Stops the node (in-flight requests finish, storage is flushed); keeps the data directory. */
  close(): Promise<void>;
  /** Stops the node and, unless it was given, removes its data directory. */
  dispose(): Promise<void>;
  /** Starts a node again on the same data directory (and clock), after close(). */
  restart(options?: Omit<NodeOptions, 'dataDir' | 'clock'>): Promise<TestNode<C>>;
}

/** Transitional delays a test does not name are 0: tests wait for what they test, not for setup. */
const TEST_ENGINE_DEFAULTS: Partial<EngineOptions> = {
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  registerConsumerMs: 0,
  deregisterConsumerMs: 0,
};

export function startNode(options: NodeOptions & { clock: 'manual' | ManualClock }): Promise<TestNode<ManualClock>>;
export function startNode(options?: NodeOptions): Promise<TestNode>;
export async function startNode(options: NodeOptions = {}): Promise<TestNode> {
  const clock: Clock = options.clock === 'manual' ? new ManualClock() : options.clock instanceof ManualClock ? options.clock : systemClock;
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'freshet-test-'));
  let running: RunningFreshet;
  try {
    running = await startFreshet({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      clock,
      logger: process.env.FRESHET_TEST_VERBOSE ? createLogger('debug') : silentLogger(),
      engine: { ...TEST_ENGINE_DEFAULTS, ...options.engine },
      ...(options.fsync ? { fsync: options.fsync } : {}),
      ...(options.decodeThreads !== undefined ? { decodeThreads: options.decodeThreads } : {}),
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.regions !== undefined ? { regions: options.regions } : {}),
      ...(options.segmentBytes !== undefined ? { segmentBytes: options.segmentBytes } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.auditLog ? { auditLog: options.auditLog } : {}),
      ...(options.kmsKeyring !== undefined ? { kmsKeyring: options.kmsKeyring } : {}),
      ...(options.authFile !== undefined ? { authFile: options.authFile } : {}),
      ...options.connections,
    });
  } catch (err) {
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const clients: Array<{ destroy(): void }> = [];
  const client = <T extends { destroy(): void }>(Client: SdkClientClass<T>, region = options.region ?? 'us-east-1'): T => {
    const made = new Client({ endpoint: running.url, region, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    clients.push(made);
    return made;
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const made of clients) made.destroy();
      await running.close();
    })());
  const waitForStream = async (name: string, status = 'ACTIVE', region = options.region ?? 'us-east-1') => {
    const ctx = { account: running.engine.options.account, region };
    const deadline = Date.now() + 10_000;
    for (;;) {
      let current: string;
      try {
        current = running.engine.control.describeStreamSummary(ctx, { StreamName: name }).StreamDescriptionSummary.StreamStatus;
      } catch (err) {
        if (!(err instanceof AwsError) || err.code !== 'ResourceNotFoundException') throw err;
        current = 'GONE';
      }
      if (current === status) return;
      if (Date.now() > deadline) throw new Error(`stream ${name} is ${current}, not ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    url: running.url,
    port: running.port,
    running,
    dataDir,
    clock,
    engine: running.engine,
    reloadKeys: () => running.reloadKeys(),
    kinesis: client(KinesisClient),
    kinesisIn: (region) => client(KinesisClient, region),
    client,
    waitForStream,
    close,
    dispose: async () => {
      await close();
      if (ownDataDir) removeDataDir(dataDir);
    },
    restart: async (again = {}) => {
      await close();
      const restarted = await startNode({
        ...options,
        ...again,
        dataDir,
        clock: clock instanceof ManualClock ? clock : 'system',
      });
      if (!ownDataDir) return restarted;
      // The first node removed the directory it made on dispose(): the restarted one does now.
      const dispose = async () => {
        await restarted.dispose();
        removeDataDir(dataDir);
      };
      return { ...restarted, dispose };
    },
  };
}

/** Removes a data directory and the AWS-managed KMS key kept beside it (`<dataDir>.keys`). */
function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}.keys`, { recursive: true, force: true });
}

/**
 * A node for the tests of one suite: started before them, disposed of after them (its clients
 * with it). `ready` hands it to the suite, which keeps it in its own variables.
 */
export function nodePerSuite<N extends TestNode<Clock>>(start: () => Promise<N>, ready: (node: N) => void): void {
  let node: N | undefined;
  before(async () => {
    node = await start();
    ready(node);
  });
  after(async () => {
    await node?.dispose();
  });
}
