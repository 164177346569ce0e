/**
 * Every limit of the local storage engine, in one place. A limit on everything (queue lengths,
 * batch sizes, file sizes) keeps memory and latency bounded whatever the load.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** A cursor is chunkPosition * 2^20 + indexOfRecordInChunk. */
export const CURSOR_INDEX_BITS = 20n;
export const CURSOR_INDEX_MASK = (1n << CURSOR_INDEX_BITS) - 1n;
/** Below 2^20 so the record index always fits in the low bits of a cursor. */
export const MAX_RECORDS_PER_CHUNK = 2 ** 20 - 1;

/** Byte positions are JS numbers: exact up to 2^53 (8 PiB of log per stream). */
export const MAX_POSITION = Number.MAX_SAFE_INTEGER;
/** Shard indexes are stored as u32; the engine numbers shards from 0. */
export const MAX_SHARD = 2 ** 31 - 1;

/** Partition keys are stored with a u16 length (AWS caps them at 256 characters). */
export const MAX_PARTITION_KEY_BYTES = 65_535;
/** One append is one chunk (so its records get consecutive cursors): bound it. */
export const MAX_APPEND_RECORDS = 100_000;
export const MAX_APPEND_BYTES = 64 * MiB;

/**
 * Appends to one shard within one flush merge into one chunk until it reaches this size; the
 * next append starts a new chunk. Small chunks keep a read of a few records cheap (a chunk is
 * read and checksummed whole, so a GetRecords with a small Limit would otherwise re-read a big
 * chunk many times); adjacent chunks are still read with one pread, and 64 bytes of header and
 * index per 256 KiB cost nothing.
 */
export const SOFT_CHUNK_BYTES = 256 * KiB;

/** One flush (one write, one fdatasync) carries at most this much (unless one append is bigger). */
export const MAX_BATCH_BYTES = 16 * MiB;
export const MAX_BATCH_APPENDS = 16_384;
/** Batch buffers kept for reuse between flushes, across all logs (util/bufferPool.ts). */
export const BATCH_BUFFER_POOL_BYTES = 32 * MiB;
/** Appends waiting for a flush; beyond this, append() fails fast instead of growing memory. */
export const MAX_PENDING_BYTES = 256 * MiB;

export const DEFAULT_SEGMENT_BYTES = 128 * MiB;
export const MIN_SEGMENT_BYTES = 1 * KiB;
export const MAX_SEGMENT_BYTES = 1 * GiB;
/** Bounds the in-memory index of the active segment (24 bytes a chunk) whatever the chunk size. */
export const DEFAULT_MAX_CHUNKS_PER_SEGMENT = 131_072;

/** Sealed indexes loaded for reads, shared by every log of a store (LRU by bytes). */
export const DEFAULT_INDEX_CACHE_BYTES = 64 * MiB;
/** Sealed segment files each log keeps open for reads (LRU). */
export const MAX_OPEN_SEALED_FILES = 16;

export const MAX_READ_RECORDS = 100_000;
/** Chunks of one shard closer than this are read with one pread (the gap is read and ignored). */
export const READ_GAP_BYTES = 64 * KiB;
/** One pread reads at most this much (unless one chunk is bigger). */
export const MAX_SPAN_BYTES = 16 * MiB;
/** Bounds the planning work of one read. */
export const MAX_CHUNKS_PER_READ = 65_536;

/** Recovery and index rebuilds scan segments in blocks of this size. */
export const SCAN_BLOCK_BYTES = 8 * MiB;

/** Metadata keys and values. */
export const MAX_META_KEY_BYTES = 1024;
export const MAX_META_VALUE_BYTES = 4 * MiB;

/** File names stay well under the 255-byte limit of common file systems. */
export const MAX_ENCODED_NAME_BYTES = 200;

/**
 * The durable high-water mark of positions (reservedPosition.ts) is moved this far ahead of the
 * written end each time a write would pass it: one extra sync per 256 MiB of log, and at most
 * this many positions skipped at a restart after a crash (positions are 2^53: plenty).
 */
export const RESERVE_STEP_BYTES = 256 * MiB;
