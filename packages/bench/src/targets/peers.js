import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Target } from './target.js';
import { freePort } from '../util/ports.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

function packageDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

function packageVersion(name) {
  return JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')).version;
}

/** kinesalite (mhart/kinesalite) from npm, in memory (memdown), through its module API. */
export class KinesaliteTarget extends Target {
  constructor() {
    super({
      name: 'kinesalite',
      version: packageVersion('kinesalite'),
      durability: 'in memory (memdown): acknowledged records live only in the process; nothing survives a restart',
      inMemory: true,
    });
  }

  command(port) {
    return { command: process.execPath, args: [join(here, 'kinesalite-server.cjs'), String(port)] };
  }
}

/**
 * kinesis-local: the npm build (Scala.js) of etspaceman/kinesis-mock. It always opens a TLS port
 * besides the plain one, and reads its certificate relative to the working directory.
 * It listens on every interface and has no option to change that; we only ever send it loopback traffic.
 */
export class KinesisLocalTarget extends Target {
  constructor() {
    super({
      name: 'kinesis-local',
      version: packageVersion('kinesis-local'),
      durability: 'in memory (SHOULD_PERSIST_DATA=false, its default): nothing survives a restart',
      inMemory: true,
    });
  }

  async beforeStart() {
    this.tlsPort = await freePort();
  }

  command(port) {
    const dir = packageDir('kinesis-local');
    const instant = '0ms';
    return {
      command: process.execPath,
      args: [join(dir, 'main.js')],
      cwd: dir,
      env: {
        KINESIS_MOCK_PLAIN_PORT: String(port),
        KINESIS_MOCK_TLS_PORT: String(this.tlsPort),
        KINESIS_MOCK_CERT_PATH: join(dir, 'server.json'),
        SHARD_LIMIT: '100000',
        CREATE_STREAM_DURATION: instant,
        DELETE_STREAM_DURATION: instant,
        LOG_LEVEL: 'WARN',
      },
    };
  }
}
