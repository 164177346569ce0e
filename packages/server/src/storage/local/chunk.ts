/**
 * Chunks: the unit of writing, checksumming and indexing. One flush writes one chunk per shard
 * it touches (more when a shard's share is large), each holding records of that shard.
 *
 * Chunk layout (little endian), 40-byte header then the records:
 *
 *   0  u8   magic 0xF5
 *   1  u8   version 1
 *   2  u16  reserved, 0
 *   4  u32  CRC-32 (zlib) of bytes [8, length): the rest of the header and every record
 *   8  u32  length of the whole chunk in bytes, header included
 *  12  u32  shard index
 *  16  u64  position of this chunk in the stream's log (where its first byte is)
 *  24  u64  arrival time, epoch ms, shared by every record of the chunk
 *  32  u32  record count (1 .. 2^20 - 1)
 *  36  u32  reserved, 0
 *
 * Each record: u16 partition key length, u32 data length, the key (UTF-8), the data.
 *
 * An encrypted chunk (version 2) has the same header, then an envelope, then the records
 * encrypted with AES-256-GCM (same length as in the clear; the AAD is header bytes [8, 40)):
 *
 *  40  u16  W: length of the wrapped data key
 *  42  u16  reserved, 0
 *  44  12   GCM nonce
 *  56  16   GCM tag
 *  72  W    the wrapped data key (the key source's blob: master key id and version, wrapped key)
 *
 * The CRC covers the envelope and the ciphertext too, so damage is found (and confined) without
 * any key; the GCM tag then proves the records are the ones written.
 */

import { crc32 } from 'node:zlib';
import { MAX_WRAPPED_KEY_BYTES, NONCE_BYTES, open, sealInPlace, TAG_BYTES, type DataKeys, type WriteKey } from '../encryption.js';
import { readU64, writeU64 } from './binary.js';
import { assert } from './errors.js';
import { MAX_RECORDS_PER_CHUNK, MAX_SHARD } from './limits.js';
import type { RecordInput, StoredRecord } from '../types.js';

export const CHUNK_MAGIC = 0xf5;
export const CHUNK_VERSION = 1;
export const ENCRYPTED_CHUNK_VERSION = 2;
export const CHUNK_HEADER_BYTES = 40;
/** The envelope of an encrypted chunk, before its wrapped data key. */
const ENVELOPE_FIXED_BYTES = 32;
export const RECORD_HEADER_BYTES = 6;

const AT_MAGIC = 0;
const AT_VERSION = 1;
const AT_RESERVED_A = 2;
const AT_CRC = 4;
const AT_LENGTH = 8;
const AT_SHARD = 12;
const AT_POSITION = 16;
const AT_ARRIVAL = 24;
const AT_COUNT = 32;
const AT_RESERVED_B = 36;
/** The checksum covers everything after itself. */
const CRC_FROM = 8;
const AT_WRAPPED_LENGTH = 40;
const AT_ENVELOPE_RESERVED = 42;
const AT_NONCE = 44;
const AT_TAG = AT_NONCE + NONCE_BYTES;
const AT_WRAPPED = AT_TAG + TAG_BYTES;

export interface ChunkHeader {
  length: number;
  shard: number;
  position: number;
  arrivalMs: number;
  recordCount: number;
  /** Version 2: the records are encrypted. */
  encrypted: boolean;
}

/** Bytes an encrypted chunk carries besides its header and records (0 for a chunk in the clear). */
export function envelopeBytes(key: WriteKey | undefined): number {
  return key ? ENVELOPE_FIXED_BYTES + key.wrapped.length : 0;
}

/** Encoded size of one record: its header, key and data. */
export function recordBytes(keyBytes: number, dataBytes: number): number {
  return RECORD_HEADER_BYTES + keyBytes + dataBytes;
}

/**
 * Writes one chunk holding the records of appends[start..end) into buf at offset and returns
 * its length. payloadBytes is the encoded size of those records, computed when they were
 * appended (so each key is measured once); it is checked here.
 */
export function encodeChunk(
  buf: Buffer,
  offset: number,
  header: { shard: number; position: number; arrivalMs: number },
  appends: ReadonlyArray<{ records: readonly RecordInput[] }>,
  start: number,
  end: number,
  payloadBytes: number,
  key?: WriteKey,
): number {
  const recordsAt = offset + CHUNK_HEADER_BYTES + envelopeBytes(key);
  let at = recordsAt;
  let count = 0;
  for (let a = start; a < end; a++) {
    for (const record of appends[a]!.records) {
      const keyBytes = writeKey(buf, record.partitionKey, at + RECORD_HEADER_BYTES);
      const data = record.data;
      buf.writeUInt16LE(keyBytes, at);
      buf.writeUInt32LE(data.length, at + 2);
      buf.set(data, at + RECORD_HEADER_BYTES + keyBytes);
      at += RECORD_HEADER_BYTES + keyBytes + data.length;
      count++;
    }
  }
  const length = at - offset;
  assert(at - recordsAt === payloadBytes, 'chunk payload size matches what append measured');
  assert(count >= 1 && count <= MAX_RECORDS_PER_CHUNK, 'chunk record count in range');
  buf[offset + AT_MAGIC] = CHUNK_MAGIC;
  buf[offset + AT_VERSION] = key ? ENCRYPTED_CHUNK_VERSION : CHUNK_VERSION;
  buf.writeUInt16LE(0, offset + AT_RESERVED_A);
  buf.writeUInt32LE(length, offset + AT_LENGTH);
  buf.writeUInt32LE(header.shard, offset + AT_SHARD);
  writeU64(buf, offset + AT_POSITION, header.position);
  writeU64(buf, offset + AT_ARRIVAL, header.arrivalMs);
  buf.writeUInt32LE(count, offset + AT_COUNT);
  buf.writeUInt32LE(0, offset + AT_RESERVED_B);
  if (key) {
    buf.writeUInt16LE(key.wrapped.length, offset + AT_WRAPPED_LENGTH);
    buf.writeUInt16LE(0, offset + AT_ENVELOPE_RESERVED);
    key.wrapped.copy(buf, offset + AT_WRAPPED);
    const aad = buf.subarray(offset + CRC_FROM, offset + CHUNK_HEADER_BYTES);
    sealInPlace(key.plaintext, aad, buf.subarray(recordsAt, offset + length), buf, offset + AT_NONCE, offset + AT_TAG);
  }
  buf.writeUInt32LE(crc32(buf.subarray(offset + CRC_FROM, offset + length)), offset + AT_CRC);
  return length;
}

/**
 * Writes a partition key as UTF-8 and returns its length. Keys are short and nearly always
 * ASCII, and a byte loop beats Buffer#write, whose cost is mostly per call; anything else
 * (including a key found not to be ASCII halfway) is written again by Buffer#write.
 */
function writeKey(buf: Buffer, key: string, at: number): number {
  if (key.length <= 64) {
    let i = 0;
    for (; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) break;
      buf[at + i] = c;
    }
    if (i === key.length) return i;
  }
  return buf.write(key, at, 'utf8');
}

/**
 * Parses and sanity-checks a chunk header (not the checksum). Returns a reason string when the
 * bytes are not a plausible header; `available` is how many bytes of the file follow offset.
 */
export function parseChunkHeader(buf: Buffer, offset: number, available: number): ChunkHeader | string {
  if (available < CHUNK_HEADER_BYTES) return 'torn chunk header';
  if (buf[offset + AT_MAGIC] !== CHUNK_MAGIC) return 'bad chunk magic';
  const version = buf[offset + AT_VERSION];
  if (version !== CHUNK_VERSION && version !== ENCRYPTED_CHUNK_VERSION) return `unknown chunk version ${version}`;
  // The checksum does not cover bytes 0-7, so each of them is checked: magic, version, zeros.
  if (buf.readUInt16LE(offset + AT_RESERVED_A) !== 0) return 'reserved chunk header bytes are not zero';
  const length = buf.readUInt32LE(offset + AT_LENGTH);
  const shard = buf.readUInt32LE(offset + AT_SHARD);
  const position = readU64(buf, offset + AT_POSITION);
  const arrivalMs = readU64(buf, offset + AT_ARRIVAL);
  const recordCount = buf.readUInt32LE(offset + AT_COUNT);
  if (length < CHUNK_HEADER_BYTES + RECORD_HEADER_BYTES) return 'chunk length too small';
  if (length > available) return 'torn chunk (length beyond end of file)';
  if (shard > MAX_SHARD) return 'shard out of range';
  if (Number.isNaN(position) || Number.isNaN(arrivalMs)) return 'u64 field out of range';
  if (recordCount < 1 || recordCount > MAX_RECORDS_PER_CHUNK) return 'record count out of range';
  return { length, shard, position, arrivalMs, recordCount, encrypted: version === ENCRYPTED_CHUNK_VERSION };
}

export function checksumMatches(buf: Buffer, offset: number, length: number): boolean {
  return crc32(buf.subarray(offset + CRC_FROM, offset + length)) === buf.readUInt32LE(offset + AT_CRC);
}

/** Checks that the records exactly fill the chunk (done at recovery, where bytes are untrusted). */
export function recordsFitChunk(buf: Buffer, offset: number, header: ChunkHeader): boolean {
  // Encrypted records are checked when they are decrypted (reads need the key; recovery does not).
  if (header.encrypted) return envelopeFits(buf, offset, header);
  return recordsFill(buf, offset + CHUNK_HEADER_BYTES, offset + header.length, header.recordCount);
}

/** An encrypted chunk's envelope lies inside it and leaves room for its records' headers. */
function envelopeFits(buf: Buffer, offset: number, header: ChunkHeader): boolean {
  if (header.length < AT_WRAPPED) return false;
  const wrappedBytes = buf.readUInt16LE(offset + AT_WRAPPED_LENGTH);
  if (wrappedBytes < 1 || wrappedBytes > MAX_WRAPPED_KEY_BYTES) return false;
  if (buf.readUInt16LE(offset + AT_ENVELOPE_RESERVED) !== 0) return false;
  return header.length - AT_WRAPPED - wrappedBytes >= header.recordCount * RECORD_HEADER_BYTES;
}

/**
 * The records of a verified encrypted chunk, in the clear, framed as in a version 1 chunk from
 * byte 0; a string (why) when the envelope is malformed or the GCM tag does not match (damage, as
 * a failed CRC is). Throws KeyUnavailableError when its data key cannot be unwrapped: that is no
 * damage, and nothing may be skipped for it.
 */
export function decryptRecords(buf: Buffer, offset: number, header: ChunkHeader, keys: DataKeys): Buffer | string {
  if (!envelopeFits(buf, offset, header)) return 'malformed encryption envelope';
  const wrappedEnd = offset + AT_WRAPPED + buf.readUInt16LE(offset + AT_WRAPPED_LENGTH);
  const key = keys.unwrap(buf.subarray(offset + AT_WRAPPED, wrappedEnd));
  const plain = open(
    key,
    buf.subarray(offset + AT_NONCE, offset + AT_TAG),
    buf.subarray(offset + AT_TAG, offset + AT_WRAPPED),
    buf.subarray(offset + CRC_FROM, offset + CHUNK_HEADER_BYTES),
    buf.subarray(wrappedEnd, offset + header.length),
  );
  if (!plain) return 'encrypted chunk failed authentication (GCM tag mismatch)';
  if (!recordsFill(plain, 0, plain.length, header.recordCount)) return 'decrypted records do not fill the chunk';
  return plain;
}

function recordsFill(buf: Buffer, at: number, end: number, recordCount: number): boolean {
  for (let i = 0; i < recordCount; i++) {
    if (at + RECORD_HEADER_BYTES > end) return false;
    at += RECORD_HEADER_BYTES + buf.readUInt16LE(at) + buf.readUInt32LE(at + 2);
  }
  return at === end;
}

/**
 * Verifies the chunk at buf[offset..] is the one the index points at: a valid header naming the
 * same position, length and shard, and a matching checksum. Returns the header, or a reason.
 */
export function verifyChunk(
  buf: Buffer,
  offset: number,
  expected: { position: number; length: number; shard: number },
): ChunkHeader | string {
  const header = parseChunkHeader(buf, offset, buf.length - offset);
  if (typeof header === 'string') return header;
  if (header.position !== expected.position) return `chunk position ${header.position} where ${expected.position} was indexed`;
  if (header.length !== expected.length) return 'chunk length differs from the index';
  if (header.shard !== expected.shard) return 'chunk shard differs from the index';
  if (!checksumMatches(buf, offset, header.length)) return 'chunk checksum mismatch';
  return header;
}

/** What a read may still return; decodeRecords spends it. */
export interface DecodeBudget {
  records: number;
  bytes: number;
}

/**
 * Pushes onto `out` the records of a verified chunk from record `startIndex` on, while the budget
 * allows (the first record of a read is always taken, so a read never stalls on a big record).
 * Record data are subarrays of buf: no copy. Returns the index of the first record not taken.
 */
export function decodeRecords(
  buf: Buffer,
  offset: number,
  header: ChunkHeader,
  startIndex: number,
  out: StoredRecord[],
  budget: DecodeBudget,
): number {
  return decodeRecordsIn(buf, offset + CHUNK_HEADER_BYTES, offset + header.length, header, startIndex, out, budget);
}

/** decodeRecords over records framed in buf[at, end) (a chunk's, or an encrypted chunk's once decrypted). */
export function decodeRecordsIn(
  buf: Buffer,
  at: number,
  end: number,
  header: ChunkHeader,
  startIndex: number,
  out: StoredRecord[],
  budget: DecodeBudget,
): number {
  for (let i = 0; i < startIndex; i++) {
    at += RECORD_HEADER_BYTES + buf.readUInt16LE(at) + buf.readUInt32LE(at + 2);
  }
  let cursor = (BigInt(header.position) << 20n) + BigInt(startIndex);
  for (let i = startIndex; i < header.recordCount; i++, cursor++) {
    const keyBytes = buf.readUInt16LE(at);
    const dataBytes = buf.readUInt32LE(at + 2);
    const size = keyBytes + dataBytes;
    if (budget.records <= 0 || (size > budget.bytes && out.length > 0)) return i;
    const keyAt = at + RECORD_HEADER_BYTES;
    const dataAt = keyAt + keyBytes;
    assert(dataAt + dataBytes <= end, 'record inside its chunk');
    out.push({
      cursor,
      partitionKey: buf.toString('utf8', keyAt, dataAt),
      data: buf.subarray(dataAt, dataAt + dataBytes),
      arrivalMs: header.arrivalMs,
    });
    budget.records--;
    budget.bytes -= size;
    at = dataAt + dataBytes;
  }
  return header.recordCount;
}
