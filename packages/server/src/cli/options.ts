/**
 * The command line of `freshet`: one table of options from which both the help text and the
 * parser are made (so the two cannot drift apart), and the parser, which turns argv into a
 * command or a UsageError that names the mistake in one line.
 */
import { parseArgs } from 'node:util';
import { isWellFormedRegionName } from '../core/regions.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../services/kinesis/index.js';
import { DEFAULT_AUDIT_LOG, DEFAULT_OPTIONS, type AuditLogOptions, type ConnectionOptions, type FreshetOptions } from '../node.js';
import type { TlsSource } from '../security/tls/index.js';
import type { NatsConnectionOptions } from '../storage/jetstream/index.js';

/** A mistake on the command line: exit code 2, the message and a pointer to the command's --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The short pointer printed under the message. */
    readonly hint: string = USAGE_HINT,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Longest delay a Node timer takes as given (longer ones fire after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

type EngineKey = Exclude<keyof EngineOptions, 'account' | 'limits' | 'clock' | 'logger' | 'onDemandStreamLimit' | 'kms'>;

interface IntegerOption {
  kind: 'integer';
  name: string;
  arg: string;
  min: number;
  max: number;
  help: string[];
  /** Where the value goes: an option of the node, of its connections, or of the engine. */
  node?: 'port' | 'decodeThreads';
  connection?: keyof ConnectionOptions;
  engine?: EngineKey;
  audit?: 'maxBytes' | 'keep';
  nats?: 'replicas';
}
interface OtherOption {
  kind: 'string' | 'choice' | 'flag';
  name: string;
  short?: string;
  arg?: string;
  choices?: readonly string[];
  help: string[];
}
type Option = IntegerOption | OtherOption;

const ms = (name: string, engine: EngineKey, help: string[], min = 0): IntegerOption => ({
  kind: 'integer',
  name,
  arg: '<ms>',
  min,
  max: MAX_TIMER_MS,
  help,
  engine,
});

/** Every option of `freshet serve`, in the order the help lists them. */
export const OPTIONS: readonly Option[] = [
  {
    kind: 'integer',
    name: 'port',
    arg: '<n>',
    min: 0,
    max: 65535,
    node: 'port',
    help: [`port to listen on (default ${DEFAULT_OPTIONS.port}; 0 picks a free one)`],
  },
  {
    kind: 'string',
    name: 'host',
    arg: '<address>',
    help: [`address to listen on (default ${DEFAULT_OPTIONS.host}); another than loopback needs --auth or --allow-unauthenticated`],
  },
  {
    kind: 'string',
    name: 'auth',
    arg: '<file>',
    help: [
      'verify SigV4 signatures against the keys of this JSON or YAML file (accounts, users, roles,',
      'policies: docs/security.md); reloaded on SIGHUP',
    ],
  },
  {
    kind: 'flag',
    name: 'allow-unauthenticated',
    help: ['listen on a non-loopback --host without --auth: anyone who reaches the port may do anything'],
  },
  { kind: 'string', name: 'data-dir', arg: '<path>', help: [`where streams and records are kept (default ./${DEFAULT_OPTIONS.dataDir})`] },
  {
    kind: 'choice',
    name: 'engine',
    arg: '<local|jetstream>',
    choices: ['local', 'jetstream'],
    help: [
      'local: records and metadata in --data-dir; jetstream: on the NATS JetStream cluster of --nats',
      '(cluster mode: docs/storage.md), the token and password from FRESHET_NATS_TOKEN and',
      'FRESHET_NATS_PASSWORD, never the command line (default local)',
    ],
  },
  {
    kind: 'string',
    name: 'nats',
    arg: '<url,url,...>',
    help: ['the NATS servers of --engine jetstream (nats://host:4222,...); one is enough to join'],
  },
  {
    kind: 'integer',
    name: 'nats-replicas',
    arg: '<n>',
    min: 1,
    max: 5,
    nats: 'replicas',
    help: ['copies JetStream keeps of every record and metadata entry (default 3; 1 for a single server)'],
  },
  { kind: 'string', name: 'nats-creds', arg: '<file>', help: ['a NATS .creds file (JWT and nkey seed) to connect with'] },
  { kind: 'string', name: 'nats-user', arg: '<name>', help: ['the NATS user to connect as (its password in FRESHET_NATS_PASSWORD)'] },
  { kind: 'string', name: 'nats-tls-ca', arg: '<file>', help: ["PEM CA bundle that signed the NATS servers' certificates"] },
  { kind: 'string', name: 'nats-tls-cert', arg: '<file>', help: ['PEM client certificate for NATS (mutual TLS, with --nats-tls-key)'] },
  { kind: 'string', name: 'nats-tls-key', arg: '<file>', help: ['the PEM private key of --nats-tls-cert'] },
  {
    kind: 'string',
    name: 'kms-keyring',
    arg: '<file>',
    help: [
      'KMS master keys for StartStreamEncryption (JSON, outside the data directory: docs/security.md);',
      'reloaded on SIGHUP. alias/aws/kinesis works without it (its key is kept in <data-dir>.keys/)',
    ],
  },
  {
    kind: 'choice',
    name: 'tls',
    arg: '<auto>',
    choices: ['auto'],
    help: [
      'serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with a self-signed certificate for localhost, 127.0.0.1',
      'and ::1, made once and kept in <data-dir>/tls/cert.pem: give that file to clients as their CA bundle',
    ],
  },
  {
    kind: 'string',
    name: 'tls-cert',
    arg: '<file>',
    help: ['serve HTTPS with this PEM certificate chain (with --tls-key); reloaded on SIGHUP'],
  },
  { kind: 'string', name: 'tls-key', arg: '<file>', help: ['the PEM private key of --tls-cert'] },
  {
    kind: 'string',
    name: 'audit-log',
    arg: '<file>',
    help: ['write a CloudTrail-shaped JSON line for every API call to this file (- for stdout)'],
  },
  {
    kind: 'integer',
    name: 'audit-log-max-bytes',
    arg: '<n>',
    min: 1024,
    max: Number.MAX_SAFE_INTEGER,
    audit: 'maxBytes',
    help: [`size at which the audit log is rotated to <file>.1, <file>.2, ... (default ${DEFAULT_AUDIT_LOG.maxBytes})`],
  },
  {
    kind: 'integer',
    name: 'audit-log-keep',
    arg: '<n>',
    min: 0,
    max: 1000,
    audit: 'keep',
    help: [`rotated audit log files kept (default ${DEFAULT_AUDIT_LOG.keep})`],
  },
  {
    kind: 'choice',
    name: 'fsync',
    arg: '<always|never>',
    choices: ['always', 'never'],
    help: [
      'always: acknowledge writes after fdatasync, surviving power loss;',
      `never: after the write reaches the OS, surviving a crash of Freshet only (default ${DEFAULT_OPTIONS.fsync})`,
    ],
  },
  {
    kind: 'integer',
    name: 'decode-threads',
    arg: '<n>',
    min: 0,
    max: 64,
    node: 'decodeThreads',
    help: [
      `worker threads that decode large PutRecords bodies (default ${DEFAULT_OPTIONS.decodeThreads}`,
      "here: the cores beside the event loop's, up to 2; 0 decodes on the event loop)",
    ],
  },
  {
    kind: 'integer',
    name: 'headers-timeout-ms',
    arg: '<ms>',
    min: 0,
    max: MAX_TIMER_MS,
    connection: 'headersTimeoutMs',
    help: [`how long a new connection has to send its first request's headers (default ${DEFAULT_OPTIONS.headersTimeoutMs}; 0: no limit)`],
  },
  {
    kind: 'integer',
    name: 'body-timeout-ms',
    arg: '<ms>',
    min: 0,
    max: MAX_TIMER_MS,
    connection: 'bodyTimeoutMs',
    help: [`how long a request's body has to arrive, from its headers (default ${DEFAULT_OPTIONS.bodyTimeoutMs}; 0: no limit)`],
  },
  {
    kind: 'integer',
    name: 'idle-timeout-ms',
    arg: '<ms>',
    min: 0,
    max: MAX_TIMER_MS,
    connection: 'idleTimeoutMs',
    help: [`how long a connection with no request in flight stays open (default ${DEFAULT_OPTIONS.idleTimeoutMs}; 0: no limit)`],
  },
  {
    kind: 'integer',
    name: 'max-connections',
    arg: '<n>',
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    connection: 'maxConnections',
    help: [
      `open connections allowed; more are closed as soon as accepted (default ${DEFAULT_OPTIONS.maxConnections}`,
      'here: half the open-file limit, up to 10000)',
    ],
  },
  {
    kind: 'integer',
    name: 'max-concurrent-streams',
    arg: '<n>',
    min: 1,
    max: 2 ** 32 - 1,
    connection: 'maxConcurrentStreams',
    help: [`streams one HTTP/2 connection may have open at once (default ${DEFAULT_OPTIONS.maxConcurrentStreams})`],
  },
  {
    kind: 'integer',
    name: 'body-budget-bytes',
    arg: '<n>',
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    connection: 'bodyBudgetBytes',
    help: [
      `bytes of request bodies held at once, all connections together; a request over it gets 503`,
      `(default ${DEFAULT_OPTIONS.bodyBudgetBytes} here: 256 MiB or a quarter of memory, whichever is less)`,
    ],
  },
  {
    kind: 'string',
    name: 'account',
    arg: '<id>',
    help: [`the 12-digit account id streams belong to (default ${DEFAULT_ENGINE_OPTIONS.account})`],
  },
  {
    kind: 'string',
    name: 'regions',
    arg: '<a,b,...>',
    help: ['the regions requests may be signed for, comma-separated (default: every AWS region);', 'others are refused'],
  },
  ms('create-stream-ms', 'createStreamMs', [`how long a new stream stays CREATING (default ${DEFAULT_ENGINE_OPTIONS.createStreamMs})`]),
  ms('delete-stream-ms', 'deleteStreamMs', [`how long a deleted stream stays DELETING (default ${DEFAULT_ENGINE_OPTIONS.deleteStreamMs})`]),
  ms('update-stream-ms', 'updateStreamMs', [
    `how long an updated stream stays UPDATING (default ${DEFAULT_ENGINE_OPTIONS.updateStreamMs})`,
  ]),
  {
    kind: 'integer',
    name: 'shard-limit',
    arg: '<n>',
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    engine: 'shardLimit',
    help: [`open shards allowed per account and region (default ${DEFAULT_ENGINE_OPTIONS.shardLimit})`],
  },
  ms(
    'retention-hour-ms',
    'retentionHourMs',
    [`length of a retention hour, to test retention quickly (default ${DEFAULT_ENGINE_OPTIONS.retentionHourMs})`],
    1,
  ),
  {
    kind: 'choice',
    name: 'limits',
    arg: '<none|aws>',
    choices: ['none', 'aws'],
    help: [`aws: enforce AWS's per-shard throughput and API call rates (default ${DEFAULT_ENGINE_OPTIONS.limits})`],
  },
  ms(
    'autoscale-interval-ms',
    'autoscaleIntervalMs',
    [`how often ON_DEMAND streams are checked for hot/cold shards (default ${DEFAULT_ENGINE_OPTIONS.autoscaleIntervalMs})`],
    10,
  ),
  ms('autoscale-cooldown-ms', 'autoscaleCooldownMs', [
    `how long after a split cold shards may be merged back (default ${DEFAULT_ENGINE_OPTIONS.autoscaleCooldownMs})`,
  ]),
  ms('register-consumer-ms', 'registerConsumerMs', [
    `how long a new enhanced fan-out consumer stays CREATING (default ${DEFAULT_ENGINE_OPTIONS.registerConsumerMs})`,
  ]),
  ms('deregister-consumer-ms', 'deregisterConsumerMs', [
    `how long a deregistered consumer stays DELETING (default ${DEFAULT_ENGINE_OPTIONS.deregisterConsumerMs})`,
  ]),
  ms(
    'subscription-ms',
    'subscriptionMs',
    [`how long a SubscribeToShard subscription lasts (default ${DEFAULT_ENGINE_OPTIONS.subscriptionMs}, AWS's 5 minutes)`],
    1,
  ),
  { kind: 'flag', name: 'help', short: 'h', help: ['show this help'] },
  { kind: 'flag', name: 'version', help: ['print the version of Freshet'] },
];

/** Every option of `freshet check`, in the order its help lists them. */
export const CHECK_OPTIONS: readonly Option[] = [
  {
    kind: 'string',
    name: 'data-dir',
    arg: '<path>',
    help: [`the data directory to check (default ./${DEFAULT_OPTIONS.dataDir}); refused while a node uses it`],
  },
  { kind: 'flag', name: 'json', help: ['print the report as one JSON document, for machines'] },
  { kind: 'flag', name: 'help', short: 'h', help: ['show this help'] },
];

const COLUMN = 32;

function usageLines(options: readonly Option[]): string[] {
  const lines: string[] = [];
  for (const option of options) {
    const flag = `${'short' in option && option.short ? `-${option.short}, ` : ''}--${option.name}${option.arg ? ` ${option.arg}` : ''}`;
    const [first, ...rest] = option.help;
    if (flag.length + 2 >= COLUMN) {
      lines.push(`  ${flag}`);
      lines.push(`${' '.repeat(COLUMN)}${first}`);
    } else {
      lines.push(`  ${flag.padEnd(COLUMN - 2)}${first}`);
    }
    for (const line of rest) lines.push(`${' '.repeat(COLUMN)}${line}`);
  }
  return lines;
}

export const USAGE = `Usage: freshet serve [options]
       freshet check [--data-dir <path>] [--json]   ('freshet check --help' tells more)
       freshet --version

Runs a Freshet node: the Amazon Kinesis Data Streams API on a durable local store.

Options:
${usageLines(OPTIONS).join('\n')}
`;

export const CHECK_USAGE = `Usage: freshet check [--data-dir <path>] [--json]

Checks a data directory while no node runs on it: verifies every stream log against its
checksums and lists damaged byte ranges (stream, file, range, reason, where a copy was kept),
metadata files kept aside in meta/quarantine/, and orphan logs (logs no stream names). Opening
the directory does what a node's start does: a damaged metadata file is quarantined.

Options:
${usageLines(CHECK_OPTIONS).join('\n')}

Exit codes: 0 no damage found; 1 damage found (listed); 2 a mistake on the command line;
3 the directory could not be checked (absent, in use by a running node, unreadable).
`;

/** The short pointer printed under a usage error. */
export const USAGE_HINT = "Usage: freshet serve [options]; 'freshet --help' lists the options.";
const CHECK_USAGE_HINT = "Usage: freshet check [--data-dir <path>] [--json]; 'freshet check --help' tells more.";

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  fsync: FreshetOptions['fsync'];
  decodeThreads: number;
  /** The connection limits given on the command line (the node's defaults for the others). */
  connections: Partial<ConnectionOptions>;
  engine: Partial<EngineOptions>;
  regions?: string[];
  /** --kms-keyring: the KMS keyring file. */
  kmsKeyring?: string;
  /** --tls auto, or --tls-cert with --tls-key. */
  tls?: TlsSource;
  /** --audit-log and its rotation. */
  auditLog?: AuditLogOptions;
  /** --auth: the auth file. */
  authFile?: string;
  /** --engine jetstream: the cluster (the token and password are added from the environment). */
  nats?: { connection: NatsConnectionOptions; replicas?: number };
}

export interface CheckOptions {
  dataDir: string;
  json: boolean;
}

export type Command =
  | { command: 'help'; topic: 'serve' | 'check' }
  | { command: 'version' }
  | { command: 'serve'; options: ServeOptions }
  | { command: 'check'; options: CheckOptions };

const COMMANDS = ['serve', 'check', 'help', 'version'];

/** Parses argv (without node and the script); throws UsageError on any mistake. */
export function parseCommandLine(argv: readonly string[]): Command {
  // One parse for both tables (an option of both has the same kind in each); the command's table
  // then decides what is allowed.
  const config = Object.fromEntries(
    [...OPTIONS, ...CHECK_OPTIONS].map((option) => [
      option.name,
      {
        type: option.kind === 'flag' ? ('boolean' as const) : ('string' as const),
        ...('short' in option && option.short ? { short: option.short } : {}),
      },
    ]),
  );
  // strict: false, so that mistakes come back as tokens and are named here in one line
  // (node's own messages are long and speak of positional arguments).
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, string | true>();
  const positionals = tokens.flatMap((t) => (t.kind === 'positional' ? [t.value] : []));
  const command = positionals[0] ?? 'serve';
  const checking = command === 'check';
  const table = checking ? CHECK_OPTIONS : OPTIONS;
  const hint = checking ? CHECK_USAGE_HINT : USAGE_HINT;
  // --help and --version answer whatever else the line holds (even a mistake).
  const asked = (name: string) => tokens.some((t) => t.kind === 'option' && t.name === name && t.value === undefined);
  if (asked('help')) return { command: 'help', topic: checking ? 'check' : 'serve' };
  if (asked('version')) return { command: 'version' };
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = table.find((o) => o.name === token.name);
    if (!option) throw new UsageError(`unknown option '${token.rawName}'${suggestion(token.rawName, table)}`, hint);
    if (option.kind === 'flag') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, got '${token.value}'`, hint);
      values.set(option.name, true);
      continue;
    }
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.startsWith('-') && value.length > 1 && !/^-\d/.test(value))) {
      throw new UsageError(`${token.rawName} needs a value: ${token.rawName} ${option.arg}`, hint);
    }
    values.set(option.name, value);
  }

  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, hint);
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command '${command}' (the commands are 'serve' and 'check')`);
  if (command === 'help') return { command: 'help', topic: 'serve' };
  if (command === 'version') return { command };
  if (checking) {
    const dataDir = values.get('data-dir') as string | undefined;
    if (dataDir === '') throw new UsageError("--data-dir must be a path, got ''", hint);
    return { command: 'check', options: { dataDir: dataDir ?? DEFAULT_OPTIONS.dataDir, json: values.has('json') } };
  }

  const string = (name: string) => values.get(name) as string | undefined;
  const options: ServeOptions = {
    port: DEFAULT_OPTIONS.port,
    host: DEFAULT_OPTIONS.host,
    dataDir: DEFAULT_OPTIONS.dataDir,
    fsync: DEFAULT_OPTIONS.fsync,
    decodeThreads: DEFAULT_OPTIONS.decodeThreads,
    connections: {},
    engine: {},
  };
  const audit: Partial<AuditLogOptions> = {};
  let natsReplicas: number | undefined;
  for (const option of OPTIONS) {
    const value = string(option.name);
    if (value === undefined || option.kind === 'flag') continue;
    if (option.kind === 'integer') {
      const parsed = integer(value, option);
      if (option.node) options[option.node] = parsed;
      if (option.connection) options.connections[option.connection] = parsed;
      if (option.engine) options.engine[option.engine] = parsed;
      if (option.audit) audit[option.audit] = parsed;
      if (option.nats) natsReplicas = parsed;
    } else if (option.kind === 'choice') {
      if (!option.choices!.includes(value)) {
        throw new UsageError(`--${option.name} must be ${option.choices!.map((c) => `'${c}'`).join(' or ')}, got '${value}'`);
      }
    }
  }
  const host = string('host');
  if (host !== undefined) {
    if (host.trim() === '') throw new UsageError("--host must be an address, got ''");
    options.host = host;
  }
  const dataDir = string('data-dir');
  if (dataDir !== undefined) {
    if (dataDir === '') throw new UsageError("--data-dir must be a path, got ''");
    options.dataDir = dataDir;
  }
  const fsync = string('fsync');
  if (fsync !== undefined) options.fsync = fsync as ServeOptions['fsync'];
  const limits = string('limits');
  if (limits !== undefined) options.engine.limits = limits as EngineOptions['limits'];
  const account = string('account');
  if (account !== undefined) {
    if (!/^\d{12}$/.test(account)) throw new UsageError(`--account must be 12 digits, got '${account}'`);
    options.engine.account = account;
  }
  const regions = string('regions');
  if (regions !== undefined) {
    const names = regions.split(',').map((name) => name.trim());
    const bad = names.find((name) => !isWellFormedRegionName(name));
    if (bad !== undefined) throw new UsageError(`--regions takes region names (lower-case letters, digits, hyphens), got '${bad}'`);
    options.regions = names;
  }
  const authFile = string('auth');
  if (authFile !== undefined) {
    if (authFile === '') throw new UsageError("--auth must be a file, got ''");
    options.authFile = authFile;
  }
  if (authFile === undefined && !values.has('allow-unauthenticated') && !isLoopback(options.host)) {
    throw new UsageError(
      `refusing to listen on ${options.host} without authentication: anyone who reaches it could read and write every stream. ` +
        'Give --auth <file> to verify signatures (docs/security.md), or --allow-unauthenticated if the network is trusted.',
    );
  }
  const keyring = string('kms-keyring');
  if (keyring !== undefined) {
    if (keyring === '') throw new UsageError("--kms-keyring must be a file, got ''");
    options.kmsKeyring = keyring;
  }
  const tls = tlsSource(string('tls'), string('tls-cert'), string('tls-key'));
  if (tls) options.tls = tls;
  const auditFile = string('audit-log');
  if (auditFile === '') throw new UsageError("--audit-log must be a file or -, got ''");
  if (auditFile === undefined && Object.keys(audit).length > 0) {
    throw new UsageError(`--audit-log-${audit.maxBytes !== undefined ? 'max-bytes' : 'keep'} needs --audit-log <file>`);
  }
  if (auditFile !== undefined) options.auditLog = { file: auditFile, ...audit };
  const nats = natsCluster(string, natsReplicas);
  if (nats) options.nats = nats;
  return { command: 'serve', options };
}

/** --engine jetstream with --nats and its connection options, or none of them. */
function natsCluster(string: (name: string) => string | undefined, replicas: number | undefined): ServeOptions['nats'] {
  const given = OPTIONS.filter((o) => o.name.startsWith('nats') && string(o.name) !== undefined).map((o) => `--${o.name}`);
  if (string('engine') !== 'jetstream') {
    if (given.length > 0) throw new UsageError(`${given[0]} needs --engine jetstream`);
    return undefined;
  }
  const urls = string('nats');
  if (urls === undefined) throw new UsageError('--engine jetstream needs --nats <url,url,...>: the NATS servers to keep streams on');
  const servers = urls.split(',').map((url) => url.trim());
  const bad = servers.find((url) => !/^((nats|tls):\/\/)?[^\s/,]+(:\d+)?$/.test(url));
  if (bad !== undefined) throw new UsageError(`--nats takes server URLs like nats://host:4222, comma-separated, got '${bad}'`);
  const [ca, cert, key] = [string('nats-tls-ca'), string('nats-tls-cert'), string('nats-tls-key')];
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--nats-tls-cert and --nats-tls-key go together');
  const connection: NatsConnectionOptions = { servers };
  const creds = string('nats-creds');
  if (creds !== undefined) connection.credsFile = creds;
  const user = string('nats-user');
  if (user !== undefined) connection.user = user;
  if (ca !== undefined || cert !== undefined) {
    connection.tls = { ...(ca !== undefined ? { caFile: ca } : {}), ...(cert !== undefined ? { certFile: cert, keyFile: key } : {}) };
  }
  return { connection, ...(replicas !== undefined ? { replicas } : {}) };
}

/** Whether an address is this machine's loopback (127.0.0.0/8, ::1, localhost), reachable from here only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** --tls auto, or --tls-cert and --tls-key together, or none of them. */
function tlsSource(tls: string | undefined, certFile: string | undefined, keyFile: string | undefined): TlsSource | undefined {
  if (tls !== undefined && (certFile !== undefined || keyFile !== undefined)) {
    throw new UsageError('--tls auto makes its own certificate: give it, or --tls-cert and --tls-key, not both');
  }
  if (tls !== undefined) return { kind: 'auto' };
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (!certFile || !keyFile)
    throw new UsageError(`--tls-cert and --tls-key go together: ${certFile ? '--tls-key' : '--tls-cert'} <file> is missing`);
  return { kind: 'files', certFile, keyFile };
}

function integer(value: string, option: IntegerOption): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < option.min || parsed > option.max) {
    const range = option.max === Number.MAX_SAFE_INTEGER ? `>= ${option.min}` : `from ${option.min} to ${option.max}`;
    throw new UsageError(`--${option.name} must be an integer ${range}, got '${value}'`);
  }
  return parsed;
}

/** " (did you mean --port?)" for a near miss among the command's options, else "". */
function suggestion(rawName: string, table: readonly Option[]): string {
  const name = rawName.replace(/^-+/, '').split('=')[0]!;
  let best: { name: string; distance: number } | undefined;
  for (const option of table) {
    const distance = editDistance(name, option.name);
    if (!best || distance < best.distance) best = { name: option.name, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(name.length / 4)) ? ` (did you mean --${best.name}?)` : '';
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
