/**
 * Encryption at rest, for every storage engine: AES-256-GCM with data keys that a DataKeySource
 * (the KMS keyring) generates and wraps. An engine seals a payload (the local engine: a chunk's
 * records; the JetStream engine: a message's records, which have the same framing) with `seal`,
 * stores the wrapped data key beside it, and opens it with `open`. `DataKeys` keeps the data keys
 * in use: one for writing per master key and scope (the local engine's scope is a segment), and
 * the unwrapped ones readers met, so a read unwraps a data key once, not once per payload.
 * See docs/storage.md, "Encryption at rest".
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyUnavailableError, type DataKeySource } from './types.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** A wrapped data key is the key source's opaque blob; this bounds what a reader accepts. */
export const MAX_WRAPPED_KEY_BYTES = 1024;
/**
 * Payloads sealed with one data key before a fresh one is made. Nonces are random (96 bits), so
 * this keeps the chance of a repeated nonce under 2^-48, far below NIST SP 800-38D's 2^-32.
 */
const MAX_USES_PER_DATA_KEY = 2 ** 24;
/** Unwrapped data keys kept per engine instance (each ~100 bytes with its wrapped form). */
const MAX_CACHED_DATA_KEYS = 4096;

/** A data key for writing: its plaintext and its wrapped form, which is stored with each payload. */
export interface WriteKey {
  readonly plaintext: Buffer;
  readonly wrapped: Buffer;
}

interface WriteKeyEntry extends WriteKey {
  scope: number;
  uses: number;
}

/** The data keys one log (or one engine) uses: made, wrapped and unwrapped through a key source. */
export class DataKeys {
  private readonly writing = new Map<string, WriteKeyEntry>();
  /** Unwrapped data keys by their wrapped bytes (latin1), least recently used first. */
  private readonly unwrapped = new Map<string, Buffer>();
  private generation: number;

  constructor(private readonly source: DataKeySource | undefined) {
    this.generation = source?.generation ?? 0;
  }

  /**
   * The data key to seal new payloads with under `keyRef`: the same one while `scope` is the same,
   * a fresh one when the scope changes, the keys were reloaded (a disabled key fails here), or it
   * sealed MAX_USES_PER_DATA_KEY payloads. Throws KeyUnavailableError.
   */
  forWrite(keyRef: string, scope: number): WriteKey {
    const source = this.current();
    const entry = this.writing.get(keyRef);
    if (entry && entry.scope === scope && entry.uses < MAX_USES_PER_DATA_KEY) {
      entry.uses++;
      return entry;
    }
    const { plaintext, wrapped } = source.generateDataKey(keyRef);
    const fresh: WriteKeyEntry = { plaintext, wrapped, scope, uses: 1 };
    this.writing.set(keyRef, fresh);
    this.remember(wrapped, plaintext);
    return fresh;
  }

  /** The plaintext of a stored wrapped data key, unwrapped once and cached. Throws KeyUnavailableError. */
  unwrap(wrapped: Buffer): Buffer {
    const source = this.current();
    const id = wrapped.toString('latin1');
    const known = this.unwrapped.get(id);
    if (known) {
      this.unwrapped.delete(id); // most recently used goes last
      this.unwrapped.set(id, known);
      return known;
    }
    const plaintext = source.unwrapDataKey(wrapped);
    this.remember(wrapped, plaintext);
    return plaintext;
  }

  /** The key source, after dropping every cached key if the keys were reloaded since. */
  private current(): DataKeySource {
    const source = this.source;
    if (!source) throw new KeyUnavailableError('NotFound', 'No KMS keyring is configured: encrypted records cannot be written or read.');
    if (source.generation !== this.generation) {
      this.writing.clear();
      this.unwrapped.clear();
      this.generation = source.generation;
    }
    return source;
  }

  private remember(wrapped: Buffer, plaintext: Buffer): void {
    this.unwrapped.set(wrapped.toString('latin1'), plaintext);
    if (this.unwrapped.size > MAX_CACHED_DATA_KEYS) this.unwrapped.delete(this.unwrapped.keys().next().value!);
  }
}

/**
 * Encrypts `plaintext` in place with AES-256-GCM under a fresh random nonce; `aad` is
 * authenticated, not encrypted (the local engine: the chunk header, so a chunk cannot be moved).
 * Writes the nonce and tag at `nonceAt` and `tagAt` of `out`.
 */
export function sealInPlace(key: Buffer, aad: Buffer, plaintext: Buffer, out: Buffer, nonceAt: number, tagAt: number): void {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final(); // empty for GCM, a stream mode
  head.copy(plaintext, 0);
  tail.copy(plaintext, head.length);
  nonce.copy(out, nonceAt);
  cipher.getAuthTag().copy(out, tagAt);
}

/** Decrypts and authenticates; undefined when the tag does not match (the bytes were altered). */
export function open(key: Buffer, nonce: Buffer, tag: Buffer, aad: Buffer, ciphertext: Buffer): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  try {
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    return undefined;
  }
}
