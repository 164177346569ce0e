/**
 * The `freshet` command: `freshet serve [options]` runs a node on the embedded local store.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_ENGINE_OPTIONS } from '../services/kinesis/engine/options.js';
import { DEFAULT_OPTIONS, startFreshet } from '../node.js';

const USAGE = `Usage: freshet serve [options]

Runs a Freshet node: the Amazon Kinesis Data Streams API on a durable local store.

Options:
  --port <n>                 port to listen on (default ${DEFAULT_OPTIONS.port}; 0 picks a free one)
  --host <address>           address to listen on (default ${DEFAULT_OPTIONS.host})
  --data-dir <path>          where streams and records are kept (default ./${DEFAULT_OPTIONS.dataDir})
  --fsync <always|never>     always: acknowledge writes after fdatasync, surviving power loss (default);
                             never: after the write reaches the OS, surviving a crash of Freshet only
  --decode-threads <n>       worker threads that decode large PutRecords bodies (default ${DEFAULT_OPTIONS.decodeThreads}
                             here: the cores beside the event loop's, up to 2; 0 decodes on the event loop)
  --account <id>             the 12-digit account id streams belong to (default ${DEFAULT_ENGINE_OPTIONS.account})
  --create-stream-ms <ms>    how long a new stream stays CREATING (default ${DEFAULT_ENGINE_OPTIONS.createStreamMs})
  --delete-stream-ms <ms>    how long a deleted stream stays DELETING (default ${DEFAULT_ENGINE_OPTIONS.deleteStreamMs})
  --update-stream-ms <ms>    how long an updated stream stays UPDATING (default ${DEFAULT_ENGINE_OPTIONS.updateStreamMs})
  --shard-limit <n>          open shards allowed per account and region (default ${DEFAULT_ENGINE_OPTIONS.shardLimit})
  --retention-hour-ms <ms>   length of a retention hour, to test retention quickly (default 3600000)
  --limits <none|aws>        aws: enforce AWS's per-shard throughput and API call rates (default none)
  --autoscale-interval-ms <ms>  how often ON_DEMAND streams are checked for hot/cold shards (default 10000)
  --autoscale-cooldown-ms <ms>  how long after a split cold shards may be merged back (default 900000)
  --register-consumer-ms <ms>   how long a new enhanced fan-out consumer stays CREATING (default ${DEFAULT_ENGINE_OPTIONS.registerConsumerMs})
  --deregister-consumer-ms <ms> how long a deregistered consumer stays DELETING (default ${DEFAULT_ENGINE_OPTIONS.deregisterConsumerMs})
  --subscription-ms <ms>     how long a SubscribeToShard subscription lasts (default ${DEFAULT_ENGINE_OPTIONS.subscriptionMs}, AWS's 5 minutes)
  -h, --help                 show this help
`;

function fail(message: string): never {
  process.stderr.write(`freshet: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min) fail(`--${name} must be an integer >= ${min}, got '${value}'`);
  return parsed;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      fsync: { type: 'string' },
      'decode-threads': { type: 'string' },
      account: { type: 'string' },
      'create-stream-ms': { type: 'string' },
      'delete-stream-ms': { type: 'string' },
      'update-stream-ms': { type: 'string' },
      'shard-limit': { type: 'string' },
      'retention-hour-ms': { type: 'string' },
      limits: { type: 'string' },
      'autoscale-interval-ms': { type: 'string' },
      'autoscale-cooldown-ms': { type: 'string' },
      'register-consumer-ms': { type: 'string' },
      'deregister-consumer-ms': { type: 'string' },
      'subscription-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const command = positionals[0] ?? 'serve';
  if (command !== 'serve' || positionals.length > 1) fail(`unknown command '${positionals.join(' ')}'`);
  const fsync = values.fsync ?? DEFAULT_OPTIONS.fsync;
  if (fsync !== 'always' && fsync !== 'never') fail(`--fsync must be 'always' or 'never', got '${fsync}'`);
  const limits = values.limits ?? 'none';
  if (limits !== 'none' && limits !== 'aws') fail(`--limits must be 'none' or 'aws', got '${limits}'`);
  const account = values.account ?? DEFAULT_ENGINE_OPTIONS.account;
  if (!/^\d{12}$/.test(account)) fail(`--account must be 12 digits, got '${account}'`);

  const engine = Object.fromEntries(
    Object.entries({
      account,
      limits,
      createStreamMs: integer(values['create-stream-ms'], 'create-stream-ms'),
      deleteStreamMs: integer(values['delete-stream-ms'], 'delete-stream-ms'),
      updateStreamMs: integer(values['update-stream-ms'], 'update-stream-ms'),
      shardLimit: integer(values['shard-limit'], 'shard-limit', 1),
      retentionHourMs: integer(values['retention-hour-ms'], 'retention-hour-ms', 1),
      autoscaleIntervalMs: integer(values['autoscale-interval-ms'], 'autoscale-interval-ms', 10),
      autoscaleCooldownMs: integer(values['autoscale-cooldown-ms'], 'autoscale-cooldown-ms'),
      registerConsumerMs: integer(values['register-consumer-ms'], 'register-consumer-ms'),
      deregisterConsumerMs: integer(values['deregister-consumer-ms'], 'deregister-consumer-ms'),
      subscriptionMs: integer(values['subscription-ms'], 'subscription-ms', 1),
    }).filter(([, value]) => value !== undefined),
  );
  const node = await startFreshet({
    port: integer(values.port, 'port') ?? DEFAULT_OPTIONS.port,
    host: values.host ?? DEFAULT_OPTIONS.host,
    dataDir: values['data-dir'] ?? DEFAULT_OPTIONS.dataDir,
    fsync,
    decodeThreads: integer(values['decode-threads'], 'decode-threads') ?? DEFAULT_OPTIONS.decodeThreads,
    engine,
  });
  process.stdout.write(`Freshet listening on ${node.url} (data in ${values['data-dir'] ?? DEFAULT_OPTIONS.dataDir}, fsync ${fsync})\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Freshet stopping (${signal})\n`);
    node.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`freshet: error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`freshet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
