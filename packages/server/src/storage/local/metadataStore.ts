/**
 * A small durable key-value store with revisions and compare-and-set, on files: one file per key
 * under `<dataDir>/meta/`, replaced atomically on every write, all entries cached in memory from
 * open. Metadata is small (streams, shards, consumers, tags) and written rarely, so simplicity and
 * robustness win over speed here.
 *
 * Revisions are global and increasing across the whole store (like the sequence numbers of a
 * JetStream KV bucket), never per key: a key deleted and created again gets a revision higher
 * than any it had, so a stale compare-and-set can never succeed by accident (no ABA).
 *
 * File `<encoded key>.meta` (and `.revision`, which holds the revision high-water mark so that
 * deletes never let a revision be handed out twice):
 *
 *   0  u32  magic 0x54454d46 ("FMET")
 *   4  u8   version 1
 *   5  u8[3] reserved, 0
 *   8  u32  CRC-32 of bytes [12, end)
 *  12  u32  body length in bytes
 *  16  ...  body: UTF-8 JSON {"key": string, "revision": number, "value": any}
 *
 * A file that fails its checks at open is damage, not a reason to refuse the whole store: it is
 * moved aside into `quarantine/` (never deleted), reported, and its key is absent from then on.
 * Its revision is lost with it, and it may have been the highest ever handed out, so the
 * high-water mark jumps by REVISION_JUMP_ON_DAMAGE and is persisted at once: a revision is never
 * handed out twice, even for a key that is written again. A damaged `.revision` file is treated
 * the same way. See docs/storage.md, "Metadata store".
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { Mutex } from './concurrency.js';
import { StorageCorruptionError } from './errors.js';
import { encodeName, ensureDir, fsyncDir, TEMP_SUFFIX, writeFileAtomic } from './files.js';
import { checkExpectedRevision, checkMetadataKey, metadataJson } from '../metadataRules.js';
import { RevisionMismatchError, type MetadataStore, type Versioned } from '../types.js';

const MAGIC = 0x54454d46;
const VERSION = 1;
const HEADER_BYTES = 16;
const KEY_SUFFIX = '.meta';
/** Starts with a dot: encodeName never produces one, so no key can collide with it. */
const HIGH_WATER_FILE = '.revision';
/** Where damaged files are moved: a name without `.meta`, so never taken for a key's file. */
export const QUARANTINE_DIR = 'quarantine';
/**
 * How far the high-water mark jumps when a file holding a revision is lost. A damaged file's
 * revision exceeds the highest one read by at most the writes made since: 2^32 writes, each an
 * atomic file replacement, are weeks of nothing else; safe integers leave room for 2 million jumps.
 */
export const REVISION_JUMP_ON_DAMAGE = 2 ** 32;

/** A metadata file that failed its checks at open, and where it was moved. */
export interface MetadataDamage {
  file: string;
  /** The key the file belonged to, from its name (undefined for `.revision` and hashed names). */
  key: string | undefined;
  reason: string;
  /** The damaged file's new place, under `quarantine/`. */
  quarantined: string;
}

interface Entry {
  revision: number;
  /** The value as JSON text: every get parses a fresh copy, so callers cannot mutate the cache. */
  json: string;
}

export class LocalMetadataStore implements MetadataStore {
  private readonly entries = new Map<string, Entry>();
  /** Per-key chains: operations on one key run one at a time, in call order. */
  private readonly keyChains = new Map<string, Promise<unknown>>();
  private readonly highWaterMutex = new Mutex();
  /** The newest revision handed out. */
  private highWater = 0;
  private closed = false;
  private readonly damaged: MetadataDamage[] = [];

  private constructor(
    private readonly dir: string,
    private readonly sync: boolean,
  ) {}

  /**
   * Loads every entry. Damaged files are quarantined and reported through onDamage (once each,
   * as found), and listed by damage(); a file that cannot be read at all (EIO, EACCES) still
   * fails the open, since nothing says the rest of the disk is any better.
   */
  static async open(dir: string, sync: boolean, onDamage: (damage: MetadataDamage) => void = () => {}): Promise<LocalMetadataStore> {
    await ensureDir(dir, sync);
    const store = new LocalMetadataStore(dir, sync);
    let lostRevisions = false;
    for (const name of (await fs.readdir(dir)).sort()) {
      const file = path.join(dir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        await fs.rm(file, { force: true }); // an interrupted write: the old file is still in place
        continue;
      }
      if (name !== HIGH_WATER_FILE && !name.endsWith(KEY_SUFFIX)) continue;
      const bytes = await fs.readFile(file);
      try {
        const { key, revision, value } = decodeFile(file, bytes);
        if (name === HIGH_WATER_FILE) {
          store.highWater = Math.max(store.highWater, revision);
          continue;
        }
        if (encodeName(key) + KEY_SUFFIX !== name) {
          throw new StorageCorruptionError(file, `holds key ${JSON.stringify(key)}, which belongs in another file`);
        }
        store.entries.set(key, { revision, json: JSON.stringify(value) });
        store.highWater = Math.max(store.highWater, revision);
      } catch (error) {
        if (!(error instanceof StorageCorruptionError)) throw error;
        const damage: MetadataDamage = {
          file,
          key: name === HIGH_WATER_FILE ? undefined : decodeName(name.slice(0, -KEY_SUFFIX.length)),
          reason: error.message.slice(`corrupt storage file ${file}: `.length),
          quarantined: await store.quarantine(name),
        };
        store.damaged.push(damage);
        onDamage(damage);
        lostRevisions = true;
      }
    }
    if (lostRevisions) {
      store.highWater += REVISION_JUMP_ON_DAMAGE;
      await store.persistHighWater(store.highWater);
    }
    return store;
  }

  /** The files found damaged (and quarantined) when the store was opened. */
  damage(): MetadataDamage[] {
    return [...this.damaged];
  }

  /** Moves a damaged file into quarantine/ under a name no earlier quarantine took; returns its path. */
  private async quarantine(name: string): Promise<string> {
    const dir = path.join(this.dir, QUARANTINE_DIR);
    await ensureDir(dir, this.sync);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (let attempt = 0; ; attempt++) {
      const target = path.join(dir, `${name}.${stamp}${attempt === 0 ? '' : `.${attempt}`}`);
      try {
        // link + unlink rather than rename: rename would silently replace an existing target.
        await fs.link(path.join(this.dir, name), target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      await fs.rm(path.join(this.dir, name));
      if (this.sync) {
        await fsyncDir(dir);
        await fsyncDir(this.dir);
      }
      return target;
    }
  }

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    this.assertUsable(key);
    const entry = this.entries.get(key);
    return entry ? { value: JSON.parse(entry.json) as T, revision: entry.revision } : undefined;
  }

  async list<T>(prefix: string): Promise<Array<{ key: string } & Versioned<T>>> {
    if (this.closed) throw new Error('metadata store is closed');
    if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
    const keys = [...this.entries.keys()].filter((key) => key.startsWith(prefix)).sort();
    return keys.map((key) => {
      const entry = this.entries.get(key)!;
      return { key, value: JSON.parse(entry.json) as T, revision: entry.revision };
    });
  }

  put<T>(key: string, value: T, expectedRevision?: number): Promise<number> {
    return this.serialize(key, async () => {
      this.assertUsable(key);
      checkExpectedRevision(expectedRevision);
      const json = metadataJson(value);
      this.checkRevision(key, expectedRevision);
      const revision = ++this.highWater;
      await writeFileAtomic(this.fileOf(key), encodeFile(key, revision, json), this.sync);
      this.entries.set(key, { revision, json });
      return revision;
    });
  }

  delete(key: string, expectedRevision?: number): Promise<void> {
    return this.serialize(key, async () => {
      this.assertUsable(key);
      checkExpectedRevision(expectedRevision);
      this.checkRevision(key, expectedRevision);
      if (!this.entries.has(key)) return;
      // Persist the high-water mark first: once the key's file is gone, nothing else records it.
      await this.persistHighWater(++this.highWater);
      await fs.rm(this.fileOf(key), { force: true });
      if (this.sync) await fsyncDir(this.dir);
      this.entries.delete(key);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled([...this.keyChains.values()]);
    this.closed = true;
  }

  private checkRevision(key: string, expected: number | undefined): void {
    if (expected === undefined) return;
    const actual = this.entries.get(key)?.revision ?? 0;
    if (actual !== expected) throw new RevisionMismatchError(key, expected, actual);
  }

  private async persistHighWater(revision: number): Promise<void> {
    const release = await this.highWaterMutex.lock();
    try {
      const mark = Math.max(revision, this.highWater);
      await writeFileAtomic(path.join(this.dir, HIGH_WATER_FILE), encodeFile('', mark, 'null'), this.sync);
    } finally {
      release();
    }
  }

  private serialize<R>(key: string, operation: () => Promise<R>): Promise<R> {
    const previous = this.keyChains.get(key) ?? Promise.resolve();
    const run = previous.then(operation);
    const tail = run.catch(() => undefined);
    this.keyChains.set(key, tail);
    void tail.then(() => {
      if (this.keyChains.get(key) === tail) this.keyChains.delete(key);
    });
    return run;
  }

  private assertUsable(key: string): void {
    if (this.closed) throw new Error('metadata store is closed');
    checkMetadataKey(key);
  }

  private fileOf(key: string): string {
    return path.join(this.dir, encodeName(key) + KEY_SUFFIX);
  }
}

function encodeFile(key: string, revision: number, json: string): Buffer {
  const body = Buffer.from(`{"key":${JSON.stringify(key)},"revision":${revision},"value":${json}}`, 'utf8');
  const buf = Buffer.alloc(HEADER_BYTES + body.length);
  buf.writeUInt32LE(MAGIC, 0);
  buf[4] = VERSION;
  buf.writeUInt32LE(body.length, 12);
  body.copy(buf, HEADER_BYTES);
  buf.writeUInt32LE(crc32(buf.subarray(12)), 8);
  return buf;
}

function decodeFile(file: string, buf: Buffer): { key: string; revision: number; value: unknown } {
  const corrupt = (why: string) => new StorageCorruptionError(file, why);
  if (buf.length < HEADER_BYTES || buf.readUInt32LE(0) !== MAGIC) throw corrupt('bad magic');
  if (buf[4] !== VERSION) throw corrupt(`unknown version ${buf[4]}`);
  if (buf[5] !== 0 || buf[6] !== 0 || buf[7] !== 0) throw corrupt('reserved header bytes are not zero');
  if (buf.readUInt32LE(12) !== buf.length - HEADER_BYTES) throw corrupt('body length mismatch');
  if (crc32(buf.subarray(12)) !== buf.readUInt32LE(8)) throw corrupt('checksum mismatch');
  let body: { key: unknown; revision: unknown; value: unknown };
  try {
    body = JSON.parse(buf.toString('utf8', HEADER_BYTES)) as typeof body;
  } catch {
    throw corrupt('body is not JSON');
  }
  if (typeof body?.key !== 'string' || !Number.isSafeInteger(body.revision) || (body.revision as number) < 1) {
    throw corrupt('body is not {key, revision, value}');
  }
  return { key: body.key, revision: body.revision as number, value: body.value };
}

/** The key a file name was made from by encodeName; undefined for a hashed (too long) name. */
export function decodeName(name: string): string | undefined {
  if (name.startsWith('~')) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined; // not a name encodeName makes (invalid UTF-8 escapes)
  }
}
