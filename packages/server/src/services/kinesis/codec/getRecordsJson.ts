/**
 * A fast writer for the biggest answer there is: a GetRecords output in awsJson 1.1.
 *
 * The general writer builds the answer as one JavaScript string (10,000 records of base64 make
 * ~14 MB) and then encodes it into a Buffer: the string's pieces, its flattening and the encoding
 * cost more than everything else a drain does, most of it in garbage collection. This writer
 * measures the answer first, allocates its Buffer once and writes each piece straight into it.
 * Only the data's base64 goes through a string (Node's encoder is native and has no way to write
 * into a Buffer): the small pieces of a record (member names, arrival time, partition key,
 * sequence number) are copied in byte by byte, because a Buffer#write call costs more than the
 * ~100 bytes it would copy, and strings made per record are garbage the drain pays for.
 *
 * The bytes are exactly the general writer's (same member order, same number and string
 * formatting); a property test holds the two together. Everything but the records (ChildShards,
 * MillisBehindLatest, NextShardIterator) is small and goes through the general writer.
 */
import { jsonWriterOf, openRecordsJson } from '@freshet/aws';
import { KINESIS_MODEL } from '../model.js';
import type { GetRecordsOutput, Record as KinesisRecord } from '../shapes.generated.js';

// Member order is the model's (alphabetical), as the general writer's is. The constant pieces
// between a record's values are also joined ahead of time, one copy each.
const OPEN_RECORD = ascii('{');
const NEXT_RECORD = ascii(',{');
const OPEN_TIMESTAMP = ascii('"ApproximateArrivalTimestamp":');
const OPEN_DATA = ascii('"Data":"');
const AFTER_DATA = ascii('",');
const OPEN_ENCRYPTION = ascii('"EncryptionType":');
const OPEN_PARTITION_KEY = ascii('"PartitionKey":');
const OPEN_SEQUENCE = ascii(',"SequenceNumber":"');
const CLOSE_RECORD = ascii('"}');
const OPEN_RECORD_TIMESTAMP = join(OPEN_RECORD, OPEN_TIMESTAMP);
const NEXT_RECORD_TIMESTAMP = join(NEXT_RECORD, OPEN_TIMESTAMP);
const COMMA_OPEN_DATA = join(ascii(','), OPEN_DATA);
const OPEN_PARTITION_KEY_QUOTE = join(OPEN_PARTITION_KEY, ascii('"'));
const QUOTE_OPEN_SEQUENCE = join(ascii('"'), OPEN_SEQUENCE);
const CLOSE_RECORDS = ']}';
const COMMA = 0x2c;

const writeString = jsonWriterOf(KINESIS_MODEL, 'PartitionKey');
const writeEncryptionType = jsonWriterOf(KINESIS_MODEL, 'EncryptionType');

/** `allocate` gives the answer's Buffer: a pool's, so that big answers reuse their memory. */
export function writeGetRecordsJson(output: GetRecordsOutput, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const records = output.Records;
  const head = openRecordsJson(KINESIS_MODEL, 'GetRecordsOutput', output);

  // Partition keys that need escaping or are not ASCII, as JSON strings; the rest are copied as
  // they are. Nothing else is kept per record between measuring and writing.
  const escapedKeys = new Array<string | undefined>(records.length);
  let timestamps = new TimestampText();
  let size = Buffer.byteLength(head, 'utf8') + CLOSE_RECORDS.length;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (!isPlainAscii(record.PartitionKey)) escapedKeys[i] = writeString(record.PartitionKey);
    size += recordBytes(record, timestamps.of(record), escapedKeys[i], i);
  }

  const out = allocate(size);
  let at = out.write(head, 0, 'utf8');
  timestamps = new TimestampText();
  for (let i = 0; i < records.length; i++) at = writeRecord(out, at, records[i]!, timestamps.of(records[i]!), escapedKeys[i], i);
  at += out.write(CLOSE_RECORDS, at, 'latin1');
  if (at !== size) throw new Error(`GetRecords answer measured ${size} bytes but wrote ${at}`);
  return out;
}

/** Arrival times as JSON numbers. Records of one chunk share theirs: formatted once per run. */
class TimestampText {
  private ms = Number.NaN;
  private text = '';

  /** The record's arrival time as JSON, or '' when it has none. */
  of(record: KinesisRecord): string {
    const ms = record.ApproximateArrivalTimestamp?.getTime();
    if (ms === undefined) return '';
    if (ms !== this.ms) {
      this.ms = ms;
      this.text = String(ms / 1000);
    }
    return this.text;
  }
}

function encryptionText(record: KinesisRecord): string {
  return record.EncryptionType === undefined ? '' : writeEncryptionType(record.EncryptionType);
}

function recordBytes(record: KinesisRecord, timestamp: string, escapedKey: string | undefined, i: number): number {
  let bytes = (i > 0 ? NEXT_RECORD : OPEN_RECORD).length;
  if (timestamp) bytes += OPEN_TIMESTAMP.length + timestamp.length + 1;
  bytes += OPEN_DATA.length + base64Length(record.Data.length) + AFTER_DATA.length;
  const encryption = encryptionText(record);
  if (encryption) bytes += OPEN_ENCRYPTION.length + encryption.length + 1;
  bytes += OPEN_PARTITION_KEY.length;
  bytes += escapedKey === undefined ? record.PartitionKey.length + 2 : Buffer.byteLength(escapedKey, 'utf8');
  return bytes + OPEN_SEQUENCE.length + record.SequenceNumber.length + CLOSE_RECORD.length;
}

function writeRecord(out: Buffer, at: number, record: KinesisRecord, timestamp: string, escapedKey: string | undefined, i: number): number {
  if (timestamp) {
    at = put(out, at, i > 0 ? NEXT_RECORD_TIMESTAMP : OPEN_RECORD_TIMESTAMP);
    at = putAscii(out, at, timestamp);
    at = put(out, at, COMMA_OPEN_DATA);
  } else {
    at = put(out, at, i > 0 ? NEXT_RECORD : OPEN_RECORD);
    at = put(out, at, OPEN_DATA);
  }
  at += out.write(base64Of(record.Data), at, 'latin1');
  at = put(out, at, AFTER_DATA);
  const encryption = encryptionText(record);
  if (encryption) {
    at = put(out, at, OPEN_ENCRYPTION);
    at = putAscii(out, at, encryption);
    out[at++] = COMMA;
  }
  if (escapedKey === undefined) {
    at = put(out, at, OPEN_PARTITION_KEY_QUOTE);
    at = putAscii(out, at, record.PartitionKey);
    at = put(out, at, QUOTE_OPEN_SEQUENCE);
  } else {
    at = put(out, at, OPEN_PARTITION_KEY);
    at += out.write(escapedKey, at, 'utf8');
    at = put(out, at, OPEN_SEQUENCE);
  }
  // Sequence numbers are decimal digits (every one in an answer was made by this server): one
  // native copy, which also spares flattening the concatenated string they are built as.
  at += out.write(record.SequenceNumber, at, 'latin1');
  return put(out, at, CLOSE_RECORD);
}

function put(out: Buffer, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[at + i] = bytes[i]!;
  return at + bytes.length;
}

function putAscii(out: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

function join(...pieces: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(pieces));
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function base64Of(data: Uint8Array): string {
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return buffer.toString('base64');
}

/** True when JSON.stringify would write the key as it is between quotes: printable ASCII, no quote
 * or backslash. */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
