/**
 * The `freshet` command: `freshet serve [options]` runs a node on the embedded local store;
 * `freshet check` verifies a data directory (check.ts, with its own exit codes: 0 clean, 1 damage
 * found, 2 usage, 3 cannot check).
 *
 * Exit codes: 0 after a clean stop (SIGINT, SIGTERM); 2 for a mistake on the command line (one
 * line naming it, and where the help is); 1 when the node cannot start or stop (one line naming
 * the cause: the port in use, the data directory in use or not writable, ...). Only failures that
 * are bugs print a stack.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { startFreshet, type RunningFreshet } from '../node.js';
import { AuthFileError } from '../security/auth/index.js';
import { AuditLogError } from '../security/audit/index.js';
import { KeyringError } from '../security/kms/index.js';
import { TlsError } from '../security/tls/index.js';
import { NatsUnavailableError } from '../storage/jetstream/index.js';
import { CHECK_EXIT, CheckError, checkDataDirectory, formatReport } from './check.js';
import { describeListenError, describeStartError } from './errors.js';
import { CHECK_USAGE, parseCommandLine, USAGE, UsageError, type CheckOptions, type ServeOptions } from './options.js';

/** A failure with its one-line explanation: printed as is, exit code 1. */
class StartError extends Error {}

function version(): string {
  // dist/src/cli/main.js -> the package's package.json (shipped in every tarball).
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Listens on the address and lets go again, so that a taken port or a wrong host is reported
 * before the data directory is created or opened.
 */
function probeAddress(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) =>
      reject(new StartError(describeListenError(err, host, port) ?? `cannot listen on ${host}:${port}: ${err.message}`)),
    );
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

async function serve(options: ServeOptions): Promise<void> {
  let node: RunningFreshet | undefined;
  let stopping: string | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    if (!node) return; // still starting: stopped once it has started
    process.stdout.write(`Freshet stopping (${signal})\n`);
    node.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`freshet: error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP reloads the files that may change while running (the auth file, the KMS keyring); a
  // file that is not right is logged, and what was loaded before stays.
  process.on('SIGHUP', () => {
    node?.reloadAuth();
    node?.reloadKeys();
    void node?.reloadTls();
  });

  await probeAddress(options.host, options.port);
  try {
    node = await startFreshet({
      port: options.port,
      host: options.host,
      dataDir: options.dataDir,
      fsync: options.fsync,
      decodeThreads: options.decodeThreads,
      ...options.connections,
      engine: options.engine,
      ...(options.regions ? { regions: options.regions } : {}),
      ...(options.authFile !== undefined ? { authFile: options.authFile } : {}),
      ...(options.kmsKeyring !== undefined ? { kmsKeyring: options.kmsKeyring } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.auditLog ? { auditLog: options.auditLog } : {}),
      ...(options.nats ? { nats: withNatsSecrets(options.nats, process.env) } : {}),
    });
  } catch (err) {
    if (
      err instanceof AuthFileError ||
      err instanceof KeyringError ||
      err instanceof TlsError ||
      err instanceof AuditLogError ||
      err instanceof NatsUnavailableError
    )
      throw new StartError(err.message);
    const explained = describeStartError(err, options.dataDir, options.host, options.port);
    throw explained ? new StartError(explained) : err;
  }
  const certificate = node.tlsCertFile ? `, TLS certificate ${node.tlsCertFile}` : '';
  const storage = options.nats
    ? `records on NATS JetStream ${options.nats.connection.servers.join(',')}`
    : `data in ${options.dataDir}, fsync ${options.fsync}`;
  process.stdout.write(`Freshet listening on ${node.url} (${storage}${certificate})\n`);
  if (stopping) {
    const signal = stopping;
    stopping = undefined;
    stop(signal);
  }
}

/** Runs the check and prints its report on stdout; exits 0 when clean, 1 when damage is found. */
async function check(options: CheckOptions): Promise<void> {
  const report = await checkDataDirectory(options.dataDir);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  process.exitCode = report.clean ? CHECK_EXIT.clean : CHECK_EXIT.damaged;
}

async function main(argv: readonly string[]): Promise<void> {
  const command = parseCommandLine(argv);
  switch (command.command) {
    case 'help':
      process.stdout.write(command.topic === 'check' ? CHECK_USAGE : USAGE);
      return;
    case 'version':
      process.stdout.write(`${version()}\n`);
      return;
    case 'serve':
      await serve(command.options);
      return;
    case 'check':
      await check(command.options);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`freshet: ${err.message}\n${err.hint}\n`);
    process.exit(2);
  }
  if (err instanceof CheckError) {
    process.stderr.write(`freshet: ${err.message}\n`);
    process.exit(CHECK_EXIT.cannotCheck);
  }
  if (err instanceof StartError) {
    process.stderr.write(`freshet: ${err.message}\n`);
    process.exit(1);
  }
  // Not a mistake of the user's: a bug, reported with its stack.
  process.stderr.write(`freshet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

/** The NATS token and password come from the environment: a command line is visible to every user of the host. */
function withNatsSecrets(nats: NonNullable<ServeOptions['nats']>, env: NodeJS.ProcessEnv): NonNullable<ServeOptions['nats']> {
  const connection = { ...nats.connection };
  if (env.FRESHET_NATS_TOKEN) connection.token = env.FRESHET_NATS_TOKEN;
  if (connection.user !== undefined) {
    if (env.FRESHET_NATS_PASSWORD === undefined) throw new StartError('--nats-user needs its password in FRESHET_NATS_PASSWORD');
    connection.password = env.FRESHET_NATS_PASSWORD;
  }
  return { ...nats, connection };
}
