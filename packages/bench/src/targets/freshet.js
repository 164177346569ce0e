import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Target } from './target.js';
import { repoRoot } from '../util/repo.js';

const freshetDir = join(repoRoot, 'packages', 'server');

/**
 * Freshet from this repository (built by `npm run build`), with a fresh data directory per start
 * unless `keepData` is set (the recovery scenario restarts on the same log).
 */
export class FreshetTarget extends Target {
  /** @param {{relaxed?: boolean, audit?: boolean, auth?: boolean, dataRoot: string}} options */
  constructor({ relaxed = false, audit = false, auth = false, dataRoot }) {
    super({
      name: relaxed ? 'freshet-relaxed' : audit ? 'freshet-audit' : auth ? 'freshet-auth' : 'freshet',
      version: JSON.parse(readFileSync(join(freshetDir, 'package.json'), 'utf8')).version,
      durability: relaxed
        ? '--fsync never: acknowledged once the write reaches the OS, before fsync: survives a crash of Freshet, not power loss'
        : "acknowledges only after the log is fsync'd (fdatasync): survives kill -9 and power loss",
      inMemory: false,
    });
    this.relaxed = relaxed;
    this.audit = audit;
    this.auth = auth;
    this.dataRoot = dataRoot;
    this.dataDir = null;
    this.keepData = false;
  }

  /** Why Freshet cannot run yet, or null. */
  static unavailableReason() {
    if (!existsSync(join(freshetDir, 'dist', 'src', 'cli', 'main.js')))
      return 'packages/server is not built (dist/src/cli/main.js missing)';
    return null;
  }

  async beforeStart() {
    if (!this.dataDir) this.dataDir = mkdtempSync(join(this.dataRoot, `${this.name}-`));
  }

  async afterStop() {
    if (this.keepData) return;
    rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = null;
  }

  command(port) {
    // Streams become ACTIVE at once and the shard limit is raised, as for the peers; AWS's
    // per-shard throughput limits stay off (Freshet's default, `--limits none`).
    const args = [
      join(freshetDir, 'bin', 'freshet.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data-dir',
      this.dataDir,
    ];
    args.push('--create-stream-ms', '0', '--delete-stream-ms', '0', '--shard-limit', '100000');
    if (this.relaxed) args.push('--fsync', 'never');
    if (this.audit) args.push('--audit-log', join(this.dataDir, 'audit.log'));
    if (this.auth) args.push('--auth', this.writeAuthFile());
    return { command: process.execPath, args };
  }

  /**
   * freshet-auth: every request's signature verified (and its policy evaluated) against a file
   * with one principal, the bench's key, allowed everything: the cost of verification alone.
   */
  writeAuthFile() {
    const file = join(this.dataDir, 'auth.json');
    const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const principal = {
      user: 'bench',
      account: '000000000000',
      credentials: [{ accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' }],
      policies: [{ name: 'all', document: allowAll }],
    };
    writeFileSync(file, JSON.stringify({ accounts: [{ id: '000000000000' }], principals: [principal] }));
    return file;
  }
}
