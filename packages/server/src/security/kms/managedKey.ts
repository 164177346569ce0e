/**
 * The AWS-managed key `alias/aws/kinesis` when no keyring names it: a master key generated on
 * first use and kept in `<dir>/aws-kinesis.json` (by default `<data-dir>.keys/`, beside the data
 * directory and never inside it; docs/security.md says why), so a default setup still encrypts.
 * The file is made once, atomically, readable by its owner only, and never overwritten: losing
 * it makes the records encrypted under it unreadable, which is what encryption means.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { decodeKeyText, isKeyId, KEY_BYTES, KeyringError, refuseInside, type MasterKey } from './keyringFile.js';

const FILE_NAME = 'aws-kinesis.json';

export class ManagedKeyFile {
  private key: MasterKey | undefined;

  constructor(
    private readonly dir: string,
    dataDir: string,
  ) {
    refuseInside(dir, dataDir, (reason) => {
      throw new KeyringError(dir, reason);
    });
  }

  get file(): string {
    return path.join(this.dir, FILE_NAME);
  }

  /** The managed key if it exists and has this id (a wrapped data key names it). */
  withId(keyId: string): MasterKey | undefined {
    const key = this.load();
    return key?.keyId === keyId ? key : undefined;
  }

  /** The managed key, generated and stored on first use. */
  getOrCreate(): MasterKey {
    const existing = this.load();
    if (existing) return existing;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const content = JSON.stringify({
      keyId: randomUUID(),
      aliases: ['alias/aws/kinesis'],
      versions: [randomBytes(KEY_BYTES).toString('hex')],
    });
    const temp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, `${content}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, this.file); // never replaces a key someone else made meanwhile
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(temp);
    }
    syncDir(this.dir);
    return this.load()!;
  }

  private load(): MasterKey | undefined {
    if (this.key) return this.key;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as { keyId?: unknown; versions?: unknown };
    const versions = Array.isArray(parsed.versions)
      ? parsed.versions.map((v) => (typeof v === 'string' ? decodeKeyText(v) : undefined))
      : [];
    if (typeof parsed.keyId !== 'string' || !isKeyId(parsed.keyId) || versions.length === 0 || versions.some((v) => !v)) {
      throw new KeyringError(this.file, 'not a managed key file ({"keyId": uuid, "versions": [hex]})');
    }
    this.key = { keyId: parsed.keyId, aliases: ['alias/aws/kinesis'], state: 'Enabled', versions: versions as Buffer[] };
    return this.key;
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
