import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Target } from './target.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The calibration server: answers every PutRecords with a canned success, stores nothing. */
export class NoopTarget extends Target {
  constructor() {
    super({ name: 'noop', version: process.version, durability: 'stores nothing (calibration only)', inMemory: true });
  }

  command(port) {
    return { command: process.execPath, args: [join(here, 'noop-server.js'), String(port)] };
  }
}
