/**
 * A real NATS JetStream cluster for tests: n nats-server processes (3 by default) on free loopback
 * ports, routed to each other, each with its own store directory under the OS temp dir. Tests never
 * use a shared server: each suite starts its own cluster and stops it.
 *
 * `kill(i, signal)` ends one server (SIGKILL for a crash), `restart(i)` starts it again on the same
 * ports and store directory (so it rejoins with its data), `stop()` ends them all and removes the
 * directories. `start` resolves once JetStream answers with a meta leader, so a test can create
 * replicated streams at once.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** Debian's package installs it here; NATS_SERVER overrides (e.g. a newer build). */
const NATS_SERVER = process.env.NATS_SERVER ?? (fs.existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
const READY_TIMEOUT_MS = 30_000;

export interface NatsNode {
  clientPort: number;
  clusterPort: number;
  storeDir: string;
  url: string;
  process: ChildProcess | undefined;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every node's client URL, as `--nats` takes them. */
  urls: string[];
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  restart(index: number): Promise<void>;
  /** Resolves once JetStream has a meta leader again (after a kill or restart). */
  waitForMetaLeader(): Promise<void>;
  /** The server name of the node at index (`n<index>`), as JetStream reports leaders. */
  serverName(index: number): string;
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** Largest message the servers accept; the default covers a 10 MiB Kinesis record and framing. */
  maxPayload?: number;
}

export async function startNatsCluster(size = 3, options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-nats-'));
  const nodes: NatsNode[] = [];
  for (let i = 0; i < size; i++) {
    const clientPort = await freePort();
    const clusterPort = await freePort();
    const storeDir = path.join(root, `n${i}`);
    fs.mkdirSync(storeDir);
    nodes.push({ clientPort, clusterPort, storeDir, url: `nats://127.0.0.1:${clientPort}`, process: undefined });
  }
  const maxPayload = options.maxPayload ?? 16 * 1024 * 1024;
  for (let i = 0; i < size; i++) writeConfig(root, nodes, i, maxPayload);

  const launch = (i: number): void => {
    const child = spawn(NATS_SERVER, ['-c', path.join(root, `n${i}.conf`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.resume(); // nats-server logs to stderr; drained so it never blocks
    nodes[i].process = child;
  };
  const end = (i: number, signal: NodeJS.Signals): Promise<void> => {
    const child = nodes[i].process;
    nodes[i].process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    return exited;
  };
  const waitForMetaLeader = () => waitUntilJetStreamAnswers(nodes.filter((n) => n.process).map((n) => n.url));

  for (let i = 0; i < size; i++) launch(i);
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url),
    serverName: (i) => `n${i}`,
    waitForMetaLeader,
    kill: (i, signal = 'SIGKILL') => end(i, signal),
    async restart(i) {
      await cluster.kill(i, 'SIGTERM');
      launch(i);
      await waitForMetaLeader();
    },
    async stop() {
      await Promise.all(nodes.map((_, i) => cluster.kill(i, 'SIGKILL')));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await waitForMetaLeader();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

function writeConfig(root: string, nodes: NatsNode[], i: number, maxPayload: number): void {
  const node = nodes[i];
  const routes = nodes.filter((_, j) => j !== i).map((n) => `nats-route://127.0.0.1:${n.clusterPort}`);
  const config = [
    `server_name: n${i}`,
    `listen: 127.0.0.1:${node.clientPort}`,
    `max_payload: ${maxPayload}`,
    `jetstream { store_dir: ${JSON.stringify(node.storeDir)} }`,
    `cluster {`,
    `  name: freshet-test`,
    `  listen: 127.0.0.1:${node.clusterPort}`,
    `  routes: [${routes.join(', ')}]`,
    `}`,
  ].join('\n');
  fs.writeFileSync(path.join(root, `n${i}.conf`), config + '\n');
}

/** Account info needs the JetStream meta leader: once it answers, replicated streams can be made. */
async function waitUntilJetStreamAnswers(urls: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({ servers: urls, timeout: 1000, reconnect: false });
      const jsm = await jetstreamManager(nc, { timeout: 1000 });
      await jsm.getAccountInfo();
      return;
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await nc?.close().catch(() => undefined);
    }
  }
  throw new Error(`the NATS cluster had no JetStream meta leader within ${READY_TIMEOUT_MS} ms: ${String(lastError)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
