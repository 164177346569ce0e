/**
 * The composition root: the one place that wires storage, services, gateway and listener into a
 * running Freshet node. Used by the CLI and by anyone embedding Freshet (tests included).
 */
import type { AddressInfo, Server } from 'node:net';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { systemClock, type Clock } from './core/clock.js';
import { createLogger, type Logger } from './core/logger.js';
import { RegionList } from './core/regions.js';
import { Authentication } from './security/auth/index.js';
import { createGateway } from './gateway/gateway.js';
import { AuditLog, RotatingFileSink, stdoutSink } from './security/audit/index.js';
import { loadTls, type LoadedTls, type TlsSource } from './security/tls/index.js';
import { defaultBodyBudgetBytes, defaultMaxConnections } from './gateway/limits.js';
import { createDualProtocolServer, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './gateway/listener.js';
import { DEFAULT_ENGINE_OPTIONS, Engine, kinesisService, OffThreadDecoder, type EngineOptions } from './services/kinesis/index.js';
import { openJetStreamStorage, type NatsConnectionOptions } from './storage/jetstream/index.js';
import { openLocalStorage, type LocalStorageDamage } from './storage/local/index.js';
import { LocalKeyring } from './security/kms/index.js';

/** What connections and request bodies may hold (the timeouts, caps and body budget). */
export interface ConnectionOptions extends ConnectionLimits {
  /** Bytes of request bodies held at once across all connections; a body that would go over gets 503. */
  bodyBudgetBytes: number;
}

export interface FreshetOptions extends ConnectionOptions {
  host: string;
  port: number;
  dataDir: string;
  /** 'always': acknowledge after fdatasync (survives power loss); 'never': after write (survives kill -9). */
  fsync: 'always' | 'never';
  maxBodyBytes: number;
  /** Worker threads that decode large PutRecords bodies; 0 decodes everything on the event loop. */
  decodeThreads: number;
  engine: Partial<EngineOptions>;
  /** The regions requests may be signed for (default: every AWS region); others get InvalidSignatureException. */
  regions?: readonly string[];
  logger?: Logger;
  /** The node's time: every timestamp, timer and rate (default: the system clock). */
  clock?: Clock;
  /**
   * The auth file (`--auth`): signatures are verified against its keys and each principal acts in
   * its own account. Without it, signatures are checked for form and region only.
   */
  authFile?: string;
  /** Serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with these PEM files, or a self-signed certificate kept in <dataDir>/tls/. */
  tls?: TlsSource;
  /** Write a CloudTrail-shaped JSON line per API call (`--audit-log`). */
  auditLog?: AuditLogOptions;
  /**
   * Cluster mode (`--engine jetstream`): records and metadata on this NATS JetStream cluster instead
   * of the data directory (which then keeps only local things: --tls auto's certificate, the
   * managed KMS key). See docs/storage.md, "The JetStream engine".
   */
  nats?: { connection: NatsConnectionOptions; replicas?: number };
  /** Size at which a stream's active segment is rolled (default 128 MiB; tests use small ones). */
  segmentBytes?: number;
  /** The KMS keyring file (`--kms-keyring`), outside the data directory; reloaded by reloadKeys(). */
  kmsKeyring?: string;
  /** Where the AWS-managed key `alias/aws/kinesis` is kept when no keyring names it (default `<dataDir>.keys`). */
  kmsManagedKeyDir?: string;
}

export interface AuditLogOptions {
  /** The file, or '-' for stdout. */
  file: string;
  /** A file is rotated (FILE -> FILE.1 ...) before it would pass this size (default 100 MiB). */
  maxBytes?: number;
  /** Rotated files kept (default 5). */
  keep?: number;
}

export const DEFAULT_AUDIT_LOG = { maxBytes: 100 * 1024 * 1024, keep: 5 };

export const DEFAULT_OPTIONS: FreshetOptions = {
  host: '127.0.0.1',
  port: 4567,
  dataDir: 'data',
  fsync: 'always',
  // A PutRecords of 5 MiB is ~6.7 MiB as JSON; a single 10 MiB record (UpdateMaxRecordSize) ~14 MiB.
  maxBodyBytes: 16 * 1024 * 1024,
  // One core runs the event loop; decoding gets the spare ones, up to two (more does not help:
  // the event loop is then the bottleneck again).
  decodeThreads: Math.min(2, Math.max(0, availableParallelism() - 1)),
  engine: {},
  // Connection deadlines (docs/ARCHITECTURE.md, "Connections"): headers 30 s (Kestrel's; Node's
  // and nginx's 60 s are for clients on slower links than AWS SDKs, which write their headers at
  // once), a whole body 60 s (nginx gives 60 s between two reads, which a trickle never exceeds;
  // 60 s for all of it still lets 16 MiB arrive at 280 KB/s), idle 65 s (longer than the 60 s
  // idle timeouts of clients and load balancers, so that they, not we, close a quiet connection,
  // and no request is sent on a connection as it closes).
  ...DEFAULT_CONNECTION_LIMITS,
  maxConnections: defaultMaxConnections(),
  bodyBudgetBytes: defaultBodyBudgetBytes(16 * 1024 * 1024),
};

export interface RunningFreshet {
  url: string;
  port: number;
  engine: Engine;
  /**
   * The damage the storage found so far (metadata files quarantined at start, damaged ranges of
   * stream logs), each also logged at error level when found. `freshet check` verifies every log;
   * a metrics export belongs to the monitoring issue (#22).
   */
  storageDamage(): LocalStorageDamage;
  /**
   * Reads the KMS keyring again (SIGHUP): keys added, disabled, re-enabled or rotated apply to the
   * next append and read. A keyring that cannot be used is logged at error level and the keys stay
   * as they were: returns false then.
   */
  reloadKeys(): boolean;
  /** With TLS: the certificate file clients can trust (with --tls auto, the generated one). */
  tlsCertFile?: string;
  /**
   * Reads the TLS certificate and key again (SIGHUP; --tls auto: made anew if near its end) for
   * new connections. Files that cannot be used are logged and the old ones stay: false then.
   */
  reloadTls(): Promise<boolean>;
  /**
   * Reads the auth file again (SIGHUP): new requests are verified against it, connections stay.
   * A file that is not right is logged at error level and the previous one stays: returns false
   * then, and also when the node runs without --auth.
   */
  reloadAuth(): boolean;
  /** Stops accepting requests, lets in-flight ones finish, flushes and closes storage. */
  close(): Promise<void>;
}

export async function startFreshet(overrides: Partial<FreshetOptions> = {}): Promise<RunningFreshet> {
  const options = { ...DEFAULT_OPTIONS, ...overrides };
  // Made first: a malformed region list stops the start before anything is opened.
  const regions = new RegionList(options.regions);
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? options.engine.clock ?? systemClock;
  // Read before anything is opened: a wrong auth file stops the start with one line (AuthFileError).
  const authentication = options.authFile !== undefined ? new Authentication(options.authFile, clock, logger) : undefined;
  // Read before anything is opened: a keyring that cannot be used stops the start (KeyringError).
  const keyring = new LocalKeyring({
    ...(options.kmsKeyring !== undefined ? { file: options.kmsKeyring } : {}),
    dataDir: options.dataDir,
    managedKeyDir: options.kmsManagedKeyDir ?? `${path.resolve(options.dataDir)}.keys`,
    account: options.engine.account ?? DEFAULT_ENGINE_OPTIONS.account,
  });
  const engineOptions: EngineOptions = {
    ...DEFAULT_ENGINE_OPTIONS,
    ...options.engine,
    clock,
    logger: options.engine.logger ?? logger,
    kms: keyring,
  };
  const now = clock === systemClock ? Date.now : () => clock.now();
  const storage = options.nats
    ? await openJetStreamStorage({ ...options.nats, now, keys: keyring })
    : await openLocalStorage({
        dataDir: options.dataDir,
        fsync: options.fsync,
        now,
        logger,
        keys: keyring,
        ...(options.segmentBytes !== undefined ? { segmentBytes: options.segmentBytes } : {}),
      });
  const engine = await Engine.open(storage.metadata, storage.records, engineOptions);
  const decoder = new OffThreadDecoder(options.decodeThreads, (err) =>
    logger.warn({ err }, 'a decode worker stopped; its requests and later ones are decoded on the event loop'),
  );
  const services = [kinesisService(engine, decoder)];
  let tls: LoadedTls | undefined;
  let audit: AuditLog | undefined;
  try {
    // After the storage: the data directory is ours (locked) before --tls auto writes into it.
    tls = options.tls && (await loadTls(options.tls, options.dataDir, clock.now()));
    audit = options.auditLog && (await openAuditLog(options.auditLog, logger, clock));
  } catch (err) {
    await decoder.close();
    await engine.close();
    await storage.close();
    throw err;
  }
  const {
    server,
    close: closeServer,
    setTlsCredentials,
  } = createDualProtocolServer(
    createGateway({
      services,
      account: engineOptions.account,
      regions,
      ...(authentication ? { authenticator: authentication } : {}),
      maxBodyBytes: options.maxBodyBytes,
      // A larger body limit given without a budget raises the default budget with it.
      bodyBudgetBytes: overrides.bodyBudgetBytes ?? defaultBodyBudgetBytes(options.maxBodyBytes),
      onInternalError: (err, operation) => logger.error({ err, operation }, 'internal failure'),
      ...(audit ? { onCall: (call) => audit.follow(call) } : {}),
    }),
    {
      headersTimeoutMs: options.headersTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnections: options.maxConnections,
      maxConcurrentStreams: options.maxConcurrentStreams,
      onConnectionsRefused: (count) =>
        logger.warn({ count, maxConnections: options.maxConnections }, 'connections refused: the connection limit is reached'),
      ...(tls ? { tls } : {}),
    },
  );
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    engine,
    storageDamage: () => storage.damage(),
    ...(tls ? { tlsCertFile: tls.certFile } : {}),
    reloadTls: async () => {
      if (!options.tls) return false;
      try {
        setTlsCredentials(await loadTls(options.tls, options.dataDir, clock.now()));
        return true;
      } catch (err) {
        logger.error({ err }, 'the TLS certificate was not reloaded; the one loaded before stays');
        return false;
      }
    },
    reloadKeys: () => {
      try {
        keyring.reload();
        return true;
      } catch (err) {
        logger.error({ err }, 'the KMS keyring was not reloaded; the keys stay as they were');
        return false;
      }
    },
    reloadAuth: () => authentication?.reload() ?? false,
    close: () =>
      (closing ??= (async () => {
        for (const service of services) service.stop?.();
        await closeServer();
        // Every answered call has queued its line by now: written before close resolves.
        await audit?.close();
        await decoder.close();
        await engine.close();
        await storage.close();
      })()),
  };
}

async function openAuditLog(settings: AuditLogOptions, logger: Logger, clock: Clock): Promise<AuditLog> {
  const sink =
    settings.file === '-'
      ? stdoutSink
      : await RotatingFileSink.open({
          file: settings.file,
          maxBytes: settings.maxBytes ?? DEFAULT_AUDIT_LOG.maxBytes,
          keep: settings.keep ?? DEFAULT_AUDIT_LOG.keep,
        });
  return new AuditLog({ sink, logger, now: () => clock.now() });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
