/**
 * The record store: one LocalStreamLog per stream, each in its own directory
 * `<dataDir>/streams/<encoded id>/`.
 *
 * open(id) while that log is open (or opening) returns the same StreamLog instance: the log is
 * shared, and its close() closes it for every holder. destroy(id) refuses an open log.
 */

import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { encodeName, ensureDir, fsyncDir } from './files.js';
import { verifyLog } from './recovery.js';
import { LocalStreamLog, type StreamLogConfig } from './streamLog.js';
import type { DamagedRange, RecordStore, StreamLog } from '../types.js';

/** What every stream log is opened with, and where the stream directories live. */
export interface RecordStoreConfig extends Omit<StreamLogConfig, 'dir' | 'id' | 'dataDir' | 'onClosed'> {
  /** `<dataDir>/streams` */
  root: string;
}

/** Destroyed logs are renamed to `.trash-*` first (atomic), then removed; leftovers go at open. */
const TRASH_PREFIX = '.trash-';
const MAX_STREAM_ID_LENGTH = 1024;

export class LocalRecordStore implements RecordStore {
  private readonly logs = new Map<string, Promise<LocalStreamLog>>();
  private readonly destroying = new Set<string>();
  /** Every log opened so far (the latest instance per id), for damage(). */
  private readonly opened = new Map<string, LocalStreamLog>();
  /** Damage found by earlier instances of logs opened again since (not found twice: see open). */
  private readonly earlierDamage: DamagedRange[] = [];
  private closing = false;

  private constructor(private readonly config: RecordStoreConfig) {}

  static async open(config: RecordStoreConfig): Promise<LocalRecordStore> {
    await ensureDir(config.root, config.fsync === 'always');
    for (const name of await fs.readdir(config.root)) {
      if (name.startsWith(TRASH_PREFIX)) await fs.rm(path.join(config.root, name), { recursive: true, force: true });
    }
    return new LocalRecordStore(config);
  }

  open(id: string): Promise<StreamLog> {
    if (this.closing) return Promise.reject(new Error('record store is closed'));
    const problem = checkId(id);
    if (problem) return Promise.reject(problem);
    if (this.destroying.has(id)) return Promise.reject(new Error(`stream log ${id} is being destroyed`));
    const existing = this.logs.get(id);
    // The same log while it is open; one being closed is reopened once its close completes.
    if (existing) return existing.then((log) => (log.isClosing ? log.close().then(() => this.open(id)) : log));
    const opening: Promise<LocalStreamLog> = LocalStreamLog.open({
      ...this.config,
      dir: this.dirOf(id),
      id,
      dataDir: path.dirname(this.config.root),
      onClosed: () => this.forget(id, opening),
    });
    this.logs.set(id, opening);
    void opening
      .then((log) => {
        // Recovery seals a damaged active segment and cuts a torn tail, so a reopen does not
        // find the same damage again: what the previous instance found is kept.
        const previous = this.opened.get(id);
        if (previous && previous !== log) this.earlierDamage.push(...previous.damage());
        this.opened.set(id, log);
      })
      .catch(() => undefined);
    opening.catch(() => this.forget(id, opening));
    return opening;
  }

  async destroy(id: string): Promise<void> {
    if (this.closing) throw new Error('record store is closed');
    const problem = checkId(id);
    if (problem) throw problem;
    if (this.logs.has(id)) throw new Error(`stream log ${id} is open; close it before destroying it`);
    if (this.destroying.has(id)) throw new Error(`stream log ${id} is already being destroyed`);
    this.destroying.add(id);
    this.opened.delete(id);
    for (let i = this.earlierDamage.length - 1; i >= 0; i--) if (this.earlierDamage[i]!.log === id) this.earlierDamage.splice(i, 1);
    try {
      const trash = path.join(this.config.root, TRASH_PREFIX + randomUUID());
      try {
        await fs.rename(this.dirOf(id), trash);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing to destroy
        throw error;
      }
      if (this.config.fsync === 'always') await fsyncDir(this.config.root);
      await fs.rm(trash, { recursive: true, force: true });
    } finally {
      this.destroying.delete(id);
    }
  }

  damage(): DamagedRange[] {
    return [...this.earlierDamage, ...[...this.opened.values()].flatMap((log) => log.damage())];
  }

  async verify(id: string): Promise<DamagedRange[]> {
    const problem = checkId(id);
    if (problem) throw problem;
    const open = this.logs.get(id);
    const log = open ? await open.catch(() => undefined) : undefined;
    const committedEnd = log && !log.isClosing ? log.committedPosition : undefined;
    const dataDir = path.dirname(this.config.root);
    const found = await verifyLog(this.dirOf(id), committedEnd);
    return found.map((damage) => ({
      log: id,
      file: path.relative(dataDir, damage.file),
      from: damage.from,
      to: damage.to,
      reason: damage.reason,
    }));
  }

  /** Closes every open log (flushing its pending appends); a log that failed to open is skipped. */
  async close(): Promise<void> {
    this.closing = true;
    const opened = await Promise.allSettled([...this.logs.values()]);
    const logs = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const closed = await Promise.allSettled(logs.map((log) => log.close()));
    const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private dirOf(id: string): string {
    return path.join(this.config.root, encodeName(id));
  }

  private forget(id: string, log: Promise<LocalStreamLog>): void {
    if (this.logs.get(id) === log) this.logs.delete(id);
  }
}

function checkId(id: string): Error | undefined {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_STREAM_ID_LENGTH) {
    return new RangeError(`a stream id is a string of 1 to ${MAX_STREAM_ID_LENGTH} characters`);
  }
  return undefined;
}
