/**
 * The rules every MetadataStore applies to its arguments, whatever holds the entries, so that the
 * engines refuse the same calls with the same errors (one implementation, used by local/ and
 * jetstream/).
 */

import { MAX_META_KEY_BYTES, MAX_META_VALUE_BYTES } from './local/limits.js';

/** A key is a non-empty string of at most MAX_META_KEY_BYTES UTF-8 bytes. */
export function checkMetadataKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > MAX_META_KEY_BYTES) {
    throw new RangeError(`a metadata key is a string of 1 to ${MAX_META_KEY_BYTES} bytes`);
  }
}

/** undefined (unconditional), 0 (must not exist) or a revision. */
export function checkExpectedRevision(expected: number | undefined): void {
  if (expected !== undefined && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new RangeError('expectedRevision must be a non-negative integer');
  }
}

/** The value as the JSON text stored; refuses what JSON cannot carry and values over the limit. */
export function metadataJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('a metadata value must be JSON-serializable');
  if (Buffer.byteLength(json) > MAX_META_VALUE_BYTES) {
    throw new RangeError(`metadata value larger than ${MAX_META_VALUE_BYTES} bytes`);
  }
  return json;
}
