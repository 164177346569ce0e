/**
 * The storage seam. The engine talks only to these interfaces; `local/` implements them on files
 * (the default), and a NATS JetStream engine implements them for cluster mode.
 *
 * Two stores:
 * - MetadataStore: a small key-value store with revisions and compare-and-set, holding stream,
 *   shard and account metadata (JetStream: a KV bucket).
 * - RecordStore: opens one StreamLog per stream; a StreamLog holds the records of every shard
 *   of that stream (JetStream: one stream per Kinesis stream, one subject per shard).
 *
 * Positions inside a shard are "cursors": unsigned bigints, strictly increasing in append order
 * within a shard, opaque to the engine except for two rules: the record after cursor c is at a
 * cursor >= c + 1n, and `read(shard, c)` returns the records whose cursor is >= c. The engine
 * folds a cursor and a shard index into a Kinesis sequence number.
 */

export interface Versioned<T> {
  value: T;
  revision: number;
}

export interface MetadataStore {
  get<T>(key: string): Promise<Versioned<T> | undefined>;
  /** Every entry whose key starts with prefix, in key order. */
  list<T>(prefix: string): Promise<Array<{ key: string } & Versioned<T>>>;
  /**
   * Writes key durably. expectedRevision: undefined = unconditional, 0 = must not exist,
   * n = must currently be at revision n. Throws RevisionMismatchError otherwise.
   * Resolves to the new revision.
   */
  put<T>(key: string, value: T, expectedRevision?: number): Promise<number>;
  delete(key: string, expectedRevision?: number): Promise<void>;
  close(): Promise<void>;
}

export class RevisionMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number | undefined,
    readonly actual: number,
  ) {
    super(`revision mismatch on ${key}: expected ${expected}, found ${actual}`);
  }
}

/** A record as the producer gave it (the explicit hash key is not stored: AWS never returns it). */
export interface RecordInput {
  partitionKey: string;
  data: Uint8Array;
}

export interface StoredRecord {
  cursor: bigint;
  partitionKey: string;
  data: Buffer;
  /** Arrival time, epoch milliseconds: the time the server accepted the record. */
  arrivalMs: number;
}

export interface AppendResult {
  /** Cursor of the first record; the i-th record of the append is at firstCursor + BigInt(i). */
  firstCursor: bigint;
  arrivalMs: number;
}

/** One shard's records in an `appendMany`. */
export interface AppendPart {
  shard: number;
  records: RecordInput[];
}

export interface ReadLimits {
  maxRecords: number;
  maxBytes: number;
  /** Records that arrived before this time (epoch ms) are expired and skipped. */
  notBeforeMs: number;
}

export interface ReadResult {
  records: StoredRecord[];
  /** Where the next read continues: after the last record returned, or where this read stopped. */
  nextCursor: bigint;
  /** True when nothing durable follows nextCursor in this shard right now. */
  atTip: boolean;
}

/**
 * Encryption at rest is envelope encryption, as AWS KMS does it: records are encrypted with data
 * keys, and a data key is stored only wrapped (encrypted) by a master key that lives outside the
 * store. A key source hands out and unwraps data keys; it never gives out a master key. Every
 * engine takes one (the local engine at open), so the same keyring serves each of them.
 */
export interface DataKeySource {
  /**
   * A fresh 256-bit data key under the master key `keyRef` names (a key id, key ARN, alias name or
   * alias ARN), wrapped by that key's newest version. Throws KeyUnavailableError.
   */
  generateDataKey(keyRef: string): { plaintext: Buffer; wrapped: Buffer };
  /** The plaintext of a data key `generateDataKey` wrapped. Throws KeyUnavailableError. */
  unwrapDataKey(wrapped: Buffer): Buffer;
  /** Changes whenever keys may have changed (a reload): data keys cached before it are dropped. */
  readonly generation: number;
}

/** Why a master key cannot be used; the engine answers each with the API's KMS error. */
export type KeyUnavailableReason = 'NotFound' | 'Disabled' | 'InvalidState' | 'AccessDenied';

/**
 * A master key cannot be used (missing, disabled, pending deletion, not the caller's, or not the
 * key that wrapped a data key). Nothing is lost: an append is refused whole, and a read fails
 * without skipping anything, so the records read again once the key is back.
 */
export class KeyUnavailableError extends Error {
  constructor(
    readonly reason: KeyUnavailableReason,
    message: string,
  ) {
    super(message);
    this.name = 'KeyUnavailableError';
  }
}

export interface AppendOptions {
  /**
   * Store the records encrypted, with data keys under this master key (a DataKeySource key
   * reference). Absent: stored as they are.
   */
  encryptWith?: string;
}

export interface StreamLog {
  /**
   * Appends records to one shard. Resolves once they are durable (per the store's fsync policy);
   * appends issued in the same event-loop turn share one write and one sync (group commit).
   * Records of concurrent appends to one shard are laid out in call order. The records' data is
   * read when the batch is written, so it must not be modified until the append settles.
   */
  append(shard: number, records: RecordInput[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several shards at once (PutRecords): `append` for each part, acknowledged
   * together. The parts are validated as a whole before anything is queued: one invalid part, or
   * too many bytes waiting (StorageOverloadedError, judged on the parts' total), refuses the call
   * and appends nothing. Otherwise they join the same group commit as appends, are laid out in
   * call order (parts of one shard in the parts' order), and the promise resolves once every
   * part is durable, with the parts' results in order. A group is never split between two
   * flushes: it is written with one write and made durable with one sync, so it is stored wholly
   * or not at all. If that write or sync fails, it rejects once and nothing of it is stored (the
   * local engine cuts the failed bytes back, see docs/storage.md).
   */
  appendMany(parts: ReadonlyArray<AppendPart>, options?: AppendOptions): Promise<AppendResult[]>;
  /**
   * Records at or after `from`, decrypted if they were stored encrypted. Throws
   * KeyUnavailableError, skipping nothing, when a record's master key cannot be used.
   */
  read(shard: number, from: bigint, limits: ReadLimits): Promise<ReadResult>;
  /**
   * The cursor a record appended from now on will be at or after (iterator type LATEST), every
   * durable record being below it. Async: in a cluster, records appended through other nodes
   * count, so the answer may need a round trip.
   */
  tipCursor(shard: number): Promise<bigint>;
  /**
   * A bound, known without waiting, above every cursor this log has issued on this node: the data
   * plane refuses writes before cursors outgrow the sequence number layout. (The local engine: its
   * tip; the JetStream engine: the highest stream sequence it has seen, which is far from the limit.)
   */
  issuedCursorBound(): bigint;
  /** The cursor of the first record that arrived at or after timeMs (or the tip). */
  cursorAtTime(shard: number, timeMs: number): Promise<bigint>;
  /** Arrival time of the newest durable record of the shard, if any. */
  lastArrivalMs(shard: number): number | undefined;
  /** Reclaims the space of records that arrived before notBeforeMs (whole segments at a time). */
  trim(notBeforeMs: number): Promise<void>;
  /** Damage found so far in this log (at recovery and by reads), each range once, oldest first. */
  damage(): DamagedRange[];
  close(): Promise<void>;
}

export interface RecordStore {
  /**
   * Opens (creating if absent) the log of a stream; `id` is unique per stream incarnation.
   * While a log is open (or opening), open(id) returns that same StreamLog; its close() closes it
   * for every holder, after which open(id) opens it afresh.
   */
  open(id: string): Promise<StreamLog>;
  /** Deletes a stream's log and reclaims its space; the log must not be open. */
  destroy(id: string): Promise<void>;
  /** Damage found so far, over every log opened so far. */
  damage(): DamagedRange[];
  /**
   * Scans every segment and index of one log and reports what fails its checks, without changing
   * anything. Works on a log that is open (up to its committed end) and on one that is not.
   */
  verify(id: string): Promise<DamagedRange[]>;
  close(): Promise<void>;
}

/**
 * Bytes of a log that failed their checks. Reads skip them (as AWS skips trimmed records); the
 * records outside them stay readable.
 */
export interface DamagedRange {
  /** The stream log id (RecordStore.open's argument). */
  log: string;
  /** The file holding the bytes, relative to the data directory. */
  file: string;
  /** Byte positions in the log: [from, to). */
  from: number;
  to: number;
  reason: string;
  /** Where a copy of bytes that recovery removed was kept, relative to the data directory. */
  quarantined?: string;
}

/**
 * Too many appends are waiting for the disk; the caller should back off and retry. Any engine may
 * throw it from `append` and `appendMany`; the data plane answers it as AWS answers overload
 * (throttling).
 */
export class StorageOverloadedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageOverloadedError';
  }
}
