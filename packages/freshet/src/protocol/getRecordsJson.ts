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
import type { GetRecordsOutput } from './shapes.generated.js';

// Member order is the model's (alphabetical), as the general writer's is.
const OPEN_TIMESTAMP = '"ApproximateArrivalTimestamp":';
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

  // Each record is three writes: the text before its data, the data's base64, the text after.
  // Buffer#write costs far more per call than per byte, so the small pieces are joined first.
  const before = new Array<string>(records.length);
  const after = new Array<string>(records.length);
  const afterIsAscii = new Array<boolean>(records.length);
  let size = head.length + CLOSE_RECORDS.length;
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
    const open = i > 0 ? ',{' : '{';
    before[i] = ms === undefined ? open + OPEN_DATA : open + OPEN_TIMESTAMP + lastTimestamp + ',' + OPEN_DATA;
    const encryption = record.EncryptionType === undefined ? '' : ENCRYPTION + writeEncryptionType(record.EncryptionType) + ',';
    // Sequence numbers are decimal digits: every one in an answer was made by this server.
    const text = AFTER_DATA + encryption + OPEN_PARTITION_KEY + writeString(record.PartitionKey) + OPEN_SEQUENCE + record.SequenceNumber + CLOSE_RECORD;
    after[i] = text;
    afterIsAscii[i] = isAscii(text);
    size += before[i]!.length + base64Length(record.Data.length) + (afterIsAscii[i] ? text.length : Buffer.byteLength(text, 'utf8'));
  }

  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0, 'latin1');
  for (let i = 0; i < records.length; i++) {
    at += out.write(before[i]!, at, 'latin1');
    at += out.write(base64Of(records[i]!.Data), at, 'latin1');
    at += out.write(after[i]!, at, afterIsAscii[i] ? 'latin1' : 'utf8');
  }
  at += out.write(CLOSE_RECORDS, at, 'latin1');
  if (at !== size) throw new Error(`GetRecords answer measured ${size} bytes but wrote ${at}`);
  return out;
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
