import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Target } from './target.js';
import { repoRoot } from '../util/repo.js';

const freshetDir = join(repoRoot, 'packages', 'freshet');

/**
 * Freshet from this repository (built by `npm run build`), with a fresh data directory per start
 * unless `keepData` is set (the recovery scenario restarts on the same log).
 */
export class FreshetTarget extends Target {
  /** @param {{relaxed?: boolean, dataRoot: string}} options */
  constructor({ relaxed = false, dataRoot }) {
    super({
      name: relaxed ? 'freshet-relaxed' : 'freshet',
      version: JSON.parse(readFileSync(join(freshetDir, 'package.json'), 'utf8')).version,
      durability: relaxed
        ? '--fsync never: acknowledged before fsync, so a power loss or OS crash can lose acknowledged records'
        : 'acknowledges only after the log is fsync\'d (fdatasync): survives kill -9 and power loss',
      inMemory: false,
    });
    this.relaxed = relaxed;
    this.dataRoot = dataRoot;
    this.dataDir = null;
    this.keepData = false;
  }

  /** Why Freshet cannot run yet, or null. */
  static unavailableReason() {
    if (!existsSync(join(freshetDir, 'dist', 'src', 'cli', 'main.js'))) return 'packages/freshet is not built (dist/src/cli/main.js missing)';
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
    const args = [join(freshetDir, 'bin', 'freshet.js'), 'serve', '--port', String(port), '--data-dir', this.dataDir];
    if (this.relaxed) args.push('--fsync', 'never');
    return { command: process.execPath, args };
  }
}
