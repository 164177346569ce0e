/**
 * The local storage engine: records in per-stream segmented logs, metadata in one file per key,
 * all under one data directory:
 *
 *   <dataDir>/freshet-storage.json   format marker, checked at open
 *   <dataDir>/LOCK                   locked (kernel lock) by the process using the directory; holds its pid
 *   <dataDir>/meta/                  MetadataStore files (damaged ones moved to meta/quarantine/)
 *   <dataDir>/streams/<id>/          one StreamLog per stream: segments and their indexes
 *
 * See docs/storage.md.
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createLogger, type Logger } from '../../core/logger.js';
import { BufferPool } from '../../util/bufferPool.js';
import { acquireDirectoryLock } from './directoryLock.js';
import { ensureDir, writeFileAtomic } from './files.js';
import { IndexCache } from './indexCache.js';
import {
  BATCH_BUFFER_POOL_BYTES,
  DEFAULT_INDEX_CACHE_BYTES,
  DEFAULT_MAX_CHUNKS_PER_SEGMENT,
  DEFAULT_SEGMENT_BYTES,
  MAX_SEGMENT_BYTES,
  MIN_SEGMENT_BYTES,
} from './limits.js';
import { LocalMetadataStore, type MetadataDamage } from './metadataStore.js';
import { LocalRecordStore } from './recordStore.js';
import type { DamagedRange, DataKeySource, MetadataStore, RecordStore } from '../types.js';

export { StorageCorruptionError, StorageFailedError, StorageOverloadedError } from './errors.js';
export { DirectoryInUseError } from './directoryLock.js';
export type { MetadataDamage } from './metadataStore.js';

export interface LocalStorageOptions {
  dataDir: string;
  /**
   * 'always': an append resolves once fdatasync returned: it survives kill -9 and power loss.
   * 'never': it resolves once write() returned: it survives kill -9 of the process, not a power
   * loss or kernel crash.
   */
  fsync: 'always' | 'never';
  /** Size at which a stream's active segment is rolled (default 128 MiB). */
  segmentBytes?: number;
  /** The clock (epoch ms), injectable so tests can move time. Default Date.now. */
  now?: () => number;
  /** Chunks indexed in one segment before it is rolled, bounding the active index's memory. */
  maxChunksPerSegment?: number;
  /** Memory for sealed segment indexes loaded for reads, shared by all streams (default 64 MiB). */
  indexCacheBytes?: number;
  /** Where storage reports what it recovered from, and damage at error level (default: a pino logger on stderr). */
  logger?: Logger;
  /** Reports recoveries (torn tails truncated, indexes rebuilt). Default: the logger, at warn. */
  warn?: (message: string) => void;
  /**
   * Reports damage (bytes of a log, metadata files) as it is found. Default: `warn` when one is
   * given (a caller that routes storage reports gets them all there), else the logger, at error.
   */
  error?: (message: string) => void;
  /**
   * The KMS keyring: data keys for appends asked to be encrypted, and for reading encrypted
   * chunks. Without one, such appends and reads fail with KeyUnavailableError.
   */
  keys?: DataKeySource;
}

export interface LocalStorage {
  records: RecordStore;
  metadata: MetadataStore;
  /** The damage found so far: metadata files quarantined at open, damaged ranges of the logs opened. */
  damage(): LocalStorageDamage;
  close(): Promise<void>;
}

export interface LocalStorageDamage {
  metadata: MetadataDamage[];
  records: DamagedRange[];
}

const FORMAT_FILE = 'freshet-storage.json';
const FORMAT = { format: 'freshet-local', version: 1 };

export async function openLocalStorage(options: LocalStorageOptions): Promise<LocalStorage> {
  const config = checkOptions(options);
  const dataDir = path.resolve(options.dataDir);
  const sync = options.fsync === 'always';
  await ensureDir(dataDir, sync);
  const lock = await acquireDirectoryLock(dataDir);
  try {
    await checkFormat(dataDir, sync);
    const metadata = await LocalMetadataStore.open(path.join(dataDir, 'meta'), sync, (damage) =>
      config.error(
        `damaged metadata file ${damage.file}${damage.key === undefined ? '' : ` (key ${damage.key})`}: ${damage.reason}; ` +
          `moved to ${damage.quarantined}; its key is absent from now on, and revisions jump past any it may have held`,
      ),
    );
    const records = await LocalRecordStore.open({ ...config, root: path.join(dataDir, 'streams') });
    let closing: Promise<void> | undefined;
    const close = async () => {
      try {
        await records.close();
        await metadata.close();
      } finally {
        await lock.release();
      }
    };
    return {
      records,
      metadata,
      damage: () => ({ metadata: metadata.damage(), records: records.damage() }),
      close: () => (closing ??= close()),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

function checkOptions(options: LocalStorageOptions) {
  if (typeof options.dataDir !== 'string' || options.dataDir.length === 0) throw new TypeError('dataDir is required');
  if (options.fsync !== 'always' && options.fsync !== 'never') throw new TypeError("fsync is 'always' or 'never'");
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
    throw new RangeError(`segmentBytes must be an integer in [${MIN_SEGMENT_BYTES}, ${MAX_SEGMENT_BYTES}]`);
  }
  const maxChunksPerSegment = options.maxChunksPerSegment ?? DEFAULT_MAX_CHUNKS_PER_SEGMENT;
  if (!Number.isInteger(maxChunksPerSegment) || maxChunksPerSegment < 1) {
    throw new RangeError('maxChunksPerSegment must be a positive integer');
  }
  const indexCacheBytes = options.indexCacheBytes ?? DEFAULT_INDEX_CACHE_BYTES;
  const logger = options.logger ?? createLogger();
  return {
    fsync: options.fsync,
    segmentBytes,
    maxChunksPerSegment,
    now: options.now ?? Date.now,
    warn: options.warn ?? warnThrough(logger),
    error: options.error ?? options.warn ?? errorThrough(logger),
    indexCache: new IndexCache(indexCacheBytes),
    batchBuffers: new BufferPool({ maxFreeBytes: BATCH_BUFFER_POOL_BYTES }),
    ...(options.keys ? { keys: options.keys } : {}),
  };
}

function errorThrough(logger: Logger): (message: string) => void {
  return (message) => logger.error({ component: 'storage' }, message);
}

function warnThrough(logger: Logger): (message: string) => void {
  return (message) => logger.warn({ component: 'storage' }, message);
}

/** Refuses a directory written in another format (a future version, or not Freshet's at all). */
async function checkFormat(dataDir: string, sync: boolean): Promise<void> {
  const file = path.join(dataDir, FORMAT_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await writeFileAtomic(file, Buffer.from(JSON.stringify(FORMAT) + '\n'), sync);
    return;
  }
  const found = JSON.parse(text) as { format?: unknown; version?: unknown };
  if (found.format !== FORMAT.format || found.version !== FORMAT.version) {
    throw new Error(`${file} describes ${text.trim()}; this Freshet reads ${JSON.stringify(FORMAT)}`);
  }
}
