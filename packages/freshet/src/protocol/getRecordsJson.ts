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
import { jsonWriterOf } from './json.js';
import type { GetRecordsOutput, Record as KinesisRecord } from './shapes.generated.js';

// Member order is the model's (alphabetical), as the general writer's is.
const OPEN_RECORD = ascii('{');
const NEXT_RECORD = ascii(',{');
const OPEN_TIMESTAMP = ascii('"ApproximateArrivalTimestamp":');
const OPEN_DATA = ascii('"Data":"');
const AFTER_DATA = ascii('",');
const OPEN_ENCRYPTION = ascii('"EncryptionType":');
const OPEN_PARTITION_KEY = ascii('"PartitionKey":');
const OPEN_SEQUENCE = ascii(',"SequenceNumber":"');
const CLOSE_RECORD = ascii('"}');
const OPEN_RECORDS = '"Records":[';
const CLOSE_RECORDS = ']}';
const COMMA = 0x2c;
const QUOTE = 0x22;

const writeRestOfOutput = jsonWriterOf('GetRecordsOutput');
const writeString = jsonWriterOf('PartitionKey');
const writeEncryptionType = jsonWriterOf('EncryptionType');

/** The bytes of one record's small pieces, worked out while measuring and used while writing. */
interface RecordText {
  /** The arrival time as JSON, or '' when the record has none. */
  timestamp: string;
  /** The partition key as a JSON string when it needs escaping or is not ASCII, else undefined. */
  escapedKey: string | undefined;
  encryption: string;
}

export function writeGetRecordsJson(output: GetRecordsOutput): Buffer {
  const records = output.Records;
  // '{...}' of every member but Records, reopened so that Records (last in model order) follows.
  const rest = writeRestOfOutput({ ...output, Records: undefined });
  const head = rest.length > 2 ? rest.slice(0, -1) + ',' + OPEN_RECORDS : '{' + OPEN_RECORDS;

  const texts = new Array<RecordText>(records.length);
  let size = Buffer.byteLength(head, 'utf8') + CLOSE_RECORDS.length;
  let lastMs = Number.NaN;
  let lastTimestamp = '';
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const ms = record.ApproximateArrivalTimestamp?.getTime();
    // Records of one chunk share their arrival time: format it once per run.
    if (ms !== undefined && ms !== lastMs) {
      lastMs = ms;
      lastTimestamp = String(ms / 1000);
    }
    const text: RecordText = {
      timestamp: ms === undefined ? '' : lastTimestamp,
      escapedKey: isPlainAscii(record.PartitionKey) ? undefined : writeString(record.PartitionKey),
      encryption: record.EncryptionType === undefined ? '' : writeEncryptionType(record.EncryptionType),
    };
    texts[i] = text;
    size += recordBytes(record, text, i);
  }

  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0, 'utf8');
  for (let i = 0; i < records.length; i++) at = writeRecord(out, at, records[i]!, texts[i]!, i);
  at += out.write(CLOSE_RECORDS, at, 'latin1');
  if (at !== size) throw new Error(`GetRecords answer measured ${size} bytes but wrote ${at}`);
  return out;
}

function recordBytes(record: KinesisRecord, text: RecordText, i: number): number {
  let bytes = (i > 0 ? NEXT_RECORD : OPEN_RECORD).length;
  if (text.timestamp) bytes += OPEN_TIMESTAMP.length + text.timestamp.length + 1;
  bytes += OPEN_DATA.length + base64Length(record.Data.length) + AFTER_DATA.length;
  if (text.encryption) bytes += OPEN_ENCRYPTION.length + text.encryption.length + 1;
  bytes += OPEN_PARTITION_KEY.length;
  bytes += text.escapedKey === undefined ? record.PartitionKey.length + 2 : Buffer.byteLength(text.escapedKey, 'utf8');
  return bytes + OPEN_SEQUENCE.length + record.SequenceNumber.length + CLOSE_RECORD.length;
}

function writeRecord(out: Buffer, at: number, record: KinesisRecord, text: RecordText, i: number): number {
  at = put(out, at, i > 0 ? NEXT_RECORD : OPEN_RECORD);
  if (text.timestamp) {
    at = put(out, at, OPEN_TIMESTAMP);
    at = putAscii(out, at, text.timestamp);
    out[at++] = COMMA;
  }
  at = put(out, at, OPEN_DATA);
  at += out.write(base64Of(record.Data), at, 'latin1');
  at = put(out, at, AFTER_DATA);
  if (text.encryption) {
    at = put(out, at, OPEN_ENCRYPTION);
    at = putAscii(out, at, text.encryption);
    out[at++] = COMMA;
  }
  at = put(out, at, OPEN_PARTITION_KEY);
  if (text.escapedKey === undefined) {
    out[at++] = QUOTE;
    at = putAscii(out, at, record.PartitionKey);
    out[at++] = QUOTE;
  } else {
    at += out.write(text.escapedKey, at, 'utf8');
  }
  at = put(out, at, OPEN_SEQUENCE);
  // Sequence numbers are decimal digits: every one in an answer was made by this server.
  at = putAscii(out, at, record.SequenceNumber);
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
