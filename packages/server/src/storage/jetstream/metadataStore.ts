/**
 * The MetadataStore of cluster mode: a JetStream KV bucket (file storage, replicated), shared by
 * every Freshet node of the cluster. See docs/storage.md, "Metadata in a KV bucket".
 *
 * - Revisions are the bucket stream's sequence numbers: global to the bucket, increasing, never
 *   reused (a delete is a message too, with its own sequence), exactly the local store's promise:
 *   a key deleted and created again gets a revision above any it had (no ABA).
 * - Compare-and-set is on the bucket's last sequence, not the key's: read the bucket's last
 *   sequence L, then the key's revision; if it is the expected one, publish with
 *   `Nats-Expected-Last-Sequence: L`. The publish is stored only if nothing at all was written
 *   since L, so the revision read is still the key's; a write to another key in between makes it
 *   fail and the loop reads again. JetStream's per-key check (`Nats-Expected-Last-Subject-Sequence`,
 *   what `kv.update` uses) is not serialised with in-flight writes on a replicated stream before
 *   nats-server 2.9.21 (nats-io/nats-server#4320): on 2.9.10 ten racing updates all won. The
 *   stream-wide check is made against the leader's proposal sequence, so it holds on 2.9. Metadata
 *   writes are rare, so serialising them all costs little.
 * - The bucket always holds `freshet.format` (a key with a dot, which no encoded key has): an
 *   expected last sequence of 0 means "no check" to the server, so the bucket is never empty.
 * - Reads go to the stream leader (allow_direct off): a node reads every write acknowledged before,
 *   wherever it was made, which the engine's read-then-compare-and-set sequences need.
 * - Keys: KV keys allow `[-/_=.A-Za-z0-9]` and use `.` as a token separator, so each byte outside
 *   `[-/_A-Za-z0-9]` is written `=XX` (hex). The encoding is per character, so a key prefix
 *   encodes to a prefix of the encoded keys, which `list` relies on.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JetStreamPublishOptions,
} from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { checkExpectedRevision, checkMetadataKey, metadataJson } from '../metadataRules.js';
import { RevisionMismatchError, type MetadataStore, type Versioned } from '../types.js';

export interface JetStreamMetadataOptions {
  /** The KV bucket's name (default `freshet_meta`): one per Freshet cluster. */
  bucket?: string;
  /** Copies of every entry (1, 3 or 5; default 3). Used when the bucket is created. */
  replicas?: number;
}

export const DEFAULT_METADATA_BUCKET = 'freshet_meta';

const PLAIN_KEY_BYTE = /[-/_A-Za-z0-9]/;
/** Written at open so the bucket is never empty; its dot keeps it apart from every encoded key. */
const FORMAT_KEY = 'freshet.format';
const FORMAT_VERSION = 1;
/** The header nats.js and the servers read a KV delete marker by. */
const KV_OPERATION_HEADER = 'KV-Operation';
const DELETE = Symbol('delete');
const EMPTY = new Uint8Array(0);
/** Compare-and-sets lost to writes of other keys before giving up (each a few milliseconds). */
const MAX_WRITE_ATTEMPTS = 1000;

export class JetStreamMetadataStore implements MetadataStore {
  private closed = false;

  private readonly stream: string;

  private constructor(
    private readonly bucket: string,
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {
    this.stream = `KV_${bucket}`;
  }

  /** Binds to the bucket, creating it on first use (every node may race to: creation is idempotent). */
  static async open(nc: NatsConnection, options: JetStreamMetadataOptions = {}): Promise<JetStreamMetadataStore> {
    const js = jetstream(nc);
    const bucket = options.bucket ?? DEFAULT_METADATA_BUCKET;
    const kv = await new Kvm(js).create(bucket, {
      replicas: options.replicas ?? 3,
      history: 1,
      allow_direct: false,
    });
    try {
      await kv.create(FORMAT_KEY, JSON.stringify({ version: FORMAT_VERSION }));
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error; // another node wrote it first
    }
    return new JetStreamMetadataStore(bucket, kv, js, await js.jetstreamManager());
  }

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    this.assertUsable(key);
    return present(await this.kv.get(encodeKey(key)));
  }

  async list<T>(prefix: string): Promise<Array<{ key: string } & Versioned<T>>> {
    if (this.closed) throw new Error('metadata store is closed');
    if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
    const encodedPrefix = encodeKey(prefix);
    const keys: string[] = [];
    for await (const encoded of await this.kv.keys()) {
      if (encoded.startsWith(encodedPrefix) && !encoded.includes('.')) keys.push(encoded);
    }
    const entries = await Promise.all(keys.map(async (encoded) => ({ encoded, entry: await this.kv.get(encoded) })));
    const listed: Array<{ key: string } & Versioned<T>> = [];
    for (const { encoded, entry } of entries) {
      const found = present<T>(entry); // deleted between the listing and the get: absent
      if (found) listed.push({ key: decodeKey(encoded), ...found });
    }
    return listed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async put<T>(key: string, value: T, expectedRevision?: number): Promise<number> {
    this.assertUsable(key);
    checkExpectedRevision(expectedRevision);
    const json = metadataJson(value);
    if (expectedRevision === undefined) return await this.kv.put(encodeKey(key), json);
    return (await this.writeIf(key, expectedRevision, json))!;
  }

  async delete(key: string, expectedRevision?: number): Promise<void> {
    this.assertUsable(key);
    checkExpectedRevision(expectedRevision);
    await this.writeIf(key, expectedRevision, DELETE);
  }

  /** The connection belongs to the caller (it is shared with the record store); nothing to release. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Writes json (or a delete marker) if the key is at `expected` (any revision when undefined),
   * as one compare-and-set on the bucket's last sequence; retried while other keys' writes get in
   * between. Resolves to the new revision, or undefined for a delete of an absent key (a no-op,
   * as in the local store: no marker is written).
   */
  private async writeIf(key: string, expected: number | undefined, json: string | typeof DELETE): Promise<number | undefined> {
    const subject = `$KV.${this.bucket}.${encodeKey(key)}`;
    for (let attempt = 1; ; attempt++) {
      const last = (await this.jsm.streams.info(this.stream)).state.last_seq;
      const actual = (await this.get(key))?.revision ?? 0;
      if (expected !== undefined && actual !== expected) throw new RevisionMismatchError(key, expected, actual);
      if (json === DELETE && actual === 0) return undefined;
      const options: Partial<JetStreamPublishOptions> = { expect: { lastSequence: last } };
      if (json === DELETE) {
        options.headers = headers();
        options.headers.set(KV_OPERATION_HEADER, 'DEL');
      }
      try {
        return (await this.js.publish(subject, json === DELETE ? EMPTY : json, options)).seq;
      } catch (error) {
        if (!isWrongLastSequence(error) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
        await sleep(Math.random() * Math.min(attempt, 20)); // spread the contenders out
      }
    }
  }

  private assertUsable(key: string): void {
    if (this.closed) throw new Error('metadata store is closed');
    checkMetadataKey(key);
  }
}

function present<T>(entry: KvEntry | null): Versioned<T> | undefined {
  if (entry === null || entry.operation !== 'PUT') return undefined;
  return { value: entry.json<T>(), revision: entry.revision };
}

function isWrongLastSequence(error: unknown): boolean {
  if (!(error instanceof JetStreamApiError)) return false;
  return error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
}

export function encodeKey(key: string): string {
  let encoded = '';
  for (const char of key) {
    if (PLAIN_KEY_BYTE.test(char)) encoded += char;
    else for (const byte of Buffer.from(char, 'utf8')) encoded += '=' + byte.toString(16).padStart(2, '0').toUpperCase();
  }
  return encoded;
}

export function decodeKey(encoded: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '=') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(encoded.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
