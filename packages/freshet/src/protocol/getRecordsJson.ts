/**
 * A fast writer for the biggest answer there is: a GetRecords output in awsJson 1.1.
 *
 * The general writer builds the answer as one JavaScript string (10,000 records of base64 make
 * ~14 MB) and then encodes it into a Buffer: the string's pieces, its flattening and the encoding
 * cost more than everything else a drain does, most of it in garbage collection. This writer
 * measures the answer first, allocates its Buffer once and writes each piece straight into it:
 * a record's base64 text is the only string made per record, and it is short-lived.
 *
 * The bytes are exactly the general writer's (same member order, same number and string
 * formatting); a property test holds the two together. Everything but the records (ChildShards,
 * MillisBehindLatest, NextShardIterator) is small and goes through the general writer.
 */
import { jsonWriterOf } from './json.js';
import type { GetRecordsOutput, Record as KinesisRecord } from './shapes.generated.js';

// Member order is the model's (alphabetical), as the general writer's is.
const OPEN_TIMESTAMP = '{"ApproximateArrivalTimestamp":';
const OPEN_DATA = '"Data":"';
const AFTER_DATA = '",';
const ENCRYPTION = '"EncryptionType":';
const OPEN_PARTITION_KEY = '"PartitionKey":';
const OPEN_SEQUENCE = ',"SequenceNumber":"';
const CLOSE_RECORD = '"}';
const OPEN_RECORDS = '"Records":[';
const CLOSE_RECORDS = ']}';

const writeRestOfOutput = jsonWriterOf('GetRecordsOutput');
const writeString = jsonWriterOf('PartitionKey');
const writeEncryptionType = jsonWriterOf('EncryptionType');

export function writeGetRecordsJson(output: GetRecordsOutput): Buffer {
  const records = output.Records;
  // '{...}' of every member but Records, reopened so that Records (last in model order) follows.
  const rest = writeRestOfOutput({ ...output, Records: undefined });
  const head = rest.length > 2 ? rest.slice(0, -1) + ',' + OPEN_RECORDS : '{' + OPEN_RECORDS;

  const texts = new Array<RecordTexts>(records.length);
  let size = head.length + CLOSE_RECORDS.length + Math.max(0, records.length - 1);
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
    const recordTexts = textsOf(record, ms === undefined ? undefined : lastTimestamp);
    texts[i] = recordTexts;
    size += recordTexts.size;
  }

  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0, 'latin1');
  for (let i = 0; i < records.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ','
    at = writeRecord(out, at, records[i]!, texts[i]!);
  }
  at += out.write(CLOSE_RECORDS, at, 'latin1');
  if (at !== size) throw new Error(`GetRecords answer measured ${size} bytes but wrote ${at}`);
  return out;
}

/** The per-record texts that are not written straight from the record, and the record's size. */
interface RecordTexts {
  /** The member prefix up to the opening quote of Data: timestamp, when there is one. */
  prefix: string;
  /** PartitionKey and the members after it, as JSON text; may hold non-ASCII characters. */
  partitionKeyJson: string;
  partitionKeyBytes: number;
  encryption: string;
  size: number;
}

function textsOf(record: KinesisRecord, timestamp: string | undefined): RecordTexts {
  const prefix = timestamp === undefined ? '{' + OPEN_DATA : OPEN_TIMESTAMP + timestamp + ',' + OPEN_DATA;
  const partitionKeyJson = writeString(record.PartitionKey);
  const partitionKeyBytes = isAscii(partitionKeyJson) ? partitionKeyJson.length : Buffer.byteLength(partitionKeyJson, 'utf8');
  const encryption = record.EncryptionType === undefined ? '' : ENCRYPTION + writeEncryptionType(record.EncryptionType) + ',';
  const size =
    prefix.length +
    base64Length(record.Data.length) +
    AFTER_DATA.length +
    encryption.length +
    OPEN_PARTITION_KEY.length +
    partitionKeyBytes +
    OPEN_SEQUENCE.length +
    record.SequenceNumber.length +
    CLOSE_RECORD.length;
  return { prefix, partitionKeyJson, partitionKeyBytes, encryption, size };
}

function writeRecord(out: Buffer, at: number, record: KinesisRecord, texts: RecordTexts): number {
  at += out.write(texts.prefix, at, 'latin1');
  at += out.write(base64Of(record.Data), at, 'latin1');
  at += out.write(AFTER_DATA, at, 'latin1');
  if (texts.encryption) at += out.write(texts.encryption, at, 'latin1');
  at += out.write(OPEN_PARTITION_KEY, at, 'latin1');
  at += texts.partitionKeyBytes === texts.partitionKeyJson.length
    ? out.write(texts.partitionKeyJson, at, 'latin1')
    : out.write(texts.partitionKeyJson, at, 'utf8');
  at += out.write(OPEN_SEQUENCE, at, 'latin1');
  // Sequence numbers are decimal digits (validated on every path that makes one).
  at += out.write(record.SequenceNumber, at, 'latin1');
  at += out.write(CLOSE_RECORD, at, 'latin1');
  return at;
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function base64Of(data: Uint8Array): string {
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return buffer.toString('base64');
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
