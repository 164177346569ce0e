/**
 * CBOR 1.1 (`application/x-amz-cbor-1.1`, the AWS Java SDK's default for Kinesis).
 *
 * Wire facts (AWS departs from RFC 8949 on the second):
 * - blobs are CBOR byte strings (major type 2), never base64 text;
 * - timestamps are tag 1 holding an integer count of epoch MILLISECONDS, in requests and responses.
 *
 * Decoding uses cbor-x; encoding is compiled per shape here, because cbor-x would write Dates as
 * tag 1 with seconds and cannot know which strings of a shape are blobs.
 */
import { Decoder, type Options } from 'cbor-x';
import { serializationError } from './errors.js';
import { memoizeByShape, type ServiceModel, type Shape } from './model.js';
import {
  decodeBase64Strictly,
  dateFromMillis,
  isPlainObject,
  notConvertible,
  readBoolean,
  shapeReaderCompiler,
  toInteger,
  toLong,
  type LeafReaders,
  type ValueReader,
} from './shapeReader.js';

// ---- Decoding ----

/**
 * Plain maps as objects, no cbor-x records, and 64-bit integers as numbers (a count of
 * milliseconds fits a double exactly until the year 287,396).
 */
const decoder = new Decoder({ mapsAsObjects: true, useRecords: false, int64AsNumber: true } as Options);

/** Parses a body that must hold one CBOR map; anything else is a bare SerializationException. */
export function parseCborBody(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = decoder.decode(body);
  } catch {
    throw serializationError();
  }
  if (!isPlainObject(parsed)) throw serializationError();
  return parsed;
}

const isNumeric = (value: unknown): value is number | bigint => typeof value === 'number' || typeof value === 'bigint';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * cbor-x follows RFC 8949 and reads tag 1 as seconds, building `new Date(round(content * 1000))`.
 * AWS puts milliseconds there, so the Date's time value divided by 1000 is the client's count.
 * (This is exact for any time before the year 2243; later ones make an invalid Date and fail.)
 */
function millisFromTagOne(date: Date): number {
  return date.getTime() / 1000;
}

const cborLeaves: LeafReaders = {
  string: (value) => {
    if (typeof value === 'string') return value;
    throw notConvertible(value, 'an String');
  },
  integer: (value) => {
    if (isNumeric(value)) return toInteger(value);
    throw notConvertible(value, 'an Integer');
  },
  long: (value) => {
    if (isNumeric(value)) return toLong(value);
    throw notConvertible(value, 'an Long');
  },
  double: (value) => {
    if (isNumeric(value)) return Number(value);
    throw notConvertible(value, 'an Double');
  },
  float: (value) => {
    if (isNumeric(value)) return Number(value);
    throw notConvertible(value, 'an Float');
  },
  boolean: readBoolean,
  blob: (value) => {
    if (value instanceof Uint8Array) return asBuffer(value);
    // Not what AWS's SDKs send, but harmless to accept: base64 text, checked as strictly as in JSON.
    if (typeof value === 'string') return decodeBase64Strictly(value);
    throw notConvertible(value, 'a Blob');
  },
  timestamp: (value) => {
    if (value instanceof Date) return dateFromMillis(millisFromTagOne(value));
    // An untagged number is read the same way: milliseconds.
    if (isNumeric(value)) return dateFromMillis(Number(value));
    throw notConvertible(value, 'milliseconds since epoch');
  },
};

/** The CBOR reader of a shape, compiled on first use and kept. */
export const cborReaderOf: (model: ServiceModel, shapeName: string) => ValueReader = shapeReaderCompiler(cborLeaves);

// ---- Encoding ----

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const TAG_EPOCH_TIME = 0xc1; // major type 6, tag 1
const FALSE = 0xf4;
const TRUE = 0xf5;
const FLOAT64 = 0xfb;

/** Byte strings at least this long are referenced, not copied, until the final concat. */
const BIG_CHUNK = 1024;
const SCRATCH_SIZE = 16 * 1024;

/** Collects CBOR bytes in scratch buffers, keeping large blobs as separate chunks. */
export class CborSink {
  private readonly chunks: Buffer[] = [];
  private scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
  private position = 0;
  private total = 0;

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.scratch.length) return;
    this.flushScratch();
    this.scratch = Buffer.allocUnsafe(Math.max(bytes, SCRATCH_SIZE));
  }

  private flushScratch(): void {
    if (this.position === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.position));
    this.total += this.position;
    this.scratch = this.scratch.subarray(this.position);
    this.position = 0;
  }

  byte(value: number): void {
    this.reserve(1);
    this.scratch[this.position++] = value;
  }

  /** A major type with its argument in the shortest form (RFC 8949 §3). */
  head(major: number, argument: number): void {
    this.reserve(9);
    const type = major << 5;
    const s = this.scratch;
    let p = this.position;
    if (argument < 24) {
      s[p++] = type | argument;
    } else if (argument < 0x100) {
      s[p++] = type | 24;
      s[p++] = argument;
    } else if (argument < 0x10000) {
      s[p++] = type | 25;
      s.writeUInt16BE(argument, p);
      p += 2;
    } else if (argument < 0x100000000) {
      s[p++] = type | 26;
      s.writeUInt32BE(argument, p);
      p += 4;
    } else {
      s[p++] = type | 27;
      s.writeUInt32BE(Math.floor(argument / 0x100000000), p);
      s.writeUInt32BE(argument >>> 0, p + 4);
      p += 8;
    }
    this.position = p;
  }

  integer(value: number): void {
    if (value >= 0) this.head(MAJOR_UNSIGNED, value);
    else this.head(MAJOR_NEGATIVE, -1 - value);
  }

  number(value: number): void {
    if (Number.isSafeInteger(value)) return this.integer(value);
    this.reserve(9);
    this.scratch[this.position] = FLOAT64;
    this.scratch.writeDoubleBE(value, this.position + 1);
    this.position += 9;
  }

  text(value: string): void {
    if (value.length < 24 && this.shortAscii(value)) return;
    const length = Buffer.byteLength(value, 'utf8');
    this.head(MAJOR_TEXT, length);
    this.reserve(length);
    this.position += this.scratch.write(value, this.position, length, 'utf8');
  }

  /**
   * Short ASCII strings (shard ids, partition keys) are copied in a JS loop: cheaper than two
   * native calls. Returns false, having written nothing, if the string is not ASCII.
   */
  private shortAscii(value: string): boolean {
    this.reserve(1 + value.length);
    const s = this.scratch;
    const start = this.position + 1;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0x7f) return false;
      s[start + i] = c;
    }
    s[this.position] = (MAJOR_TEXT << 5) | value.length;
    this.position = start + value.length;
    return true;
  }

  /** Pre-encoded bytes (a map key, say). */
  raw(bytes: Buffer): void {
    this.reserve(bytes.length);
    if (bytes.length < 32) {
      // A JS loop beats a native copy call for map keys and other short runs.
      for (let i = 0; i < bytes.length; i++) this.scratch[this.position + i] = bytes[i]!;
    } else {
      bytes.copy(this.scratch, this.position);
    }
    this.position += bytes.length;
  }

  bytes(value: Uint8Array): void {
    this.head(MAJOR_BYTES, value.byteLength);
    if (value.byteLength >= BIG_CHUNK) {
      this.flushScratch();
      this.chunks.push(asBuffer(value));
      this.total += value.byteLength;
    } else {
      this.raw(asBuffer(value));
    }
  }

  finish(): Buffer {
    this.flushScratch();
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.total);
  }
}

/** Writes one non-null value of a shape. */
type CborWriter = (value: any, sink: CborSink) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The bytes of a text string, for map keys known in advance. */
function encodedText(value: string): Buffer {
  const sink = new CborSink();
  sink.text(value);
  return Buffer.from(sink.finish());
}

function structureWriter(shape: Shape, writerOf: (name: string) => CborWriter): CborWriter {
  const members = Object.entries(shape.members ?? {}).map(([name, ref]) => ({
    name,
    key: encodedText(name),
    write: writerOf(ref.shape),
  }));
  return (value, sink) => {
    let present = 0;
    for (const member of members) if (value[member.name] !== undefined && value[member.name] !== null) present++;
    sink.head(MAJOR_MAP, present);
    for (const member of members) {
      const memberValue = value[member.name];
      if (memberValue === undefined || memberValue === null) continue;
      sink.raw(member.key);
      member.write(memberValue, sink);
    }
  };
}

function listWriter(shape: Shape, writerOf: (name: string) => CborWriter): CborWriter {
  const writeMember = writerOf(shape.member!.shape);
  return (value: unknown[], sink) => {
    sink.head(MAJOR_ARRAY, value.length);
    for (const item of value) writeMember(item, sink);
  };
}

function mapWriter(shape: Shape, writerOf: (name: string) => CborWriter): CborWriter {
  const writeValue = writerOf(shape.value!.shape);
  return (value: Record<string, unknown>, sink) => {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined && value[key] !== null);
    sink.head(MAJOR_MAP, keys.length);
    for (const key of keys) {
      sink.text(key);
      writeValue(value[key], sink);
    }
  };
}

function writeTimestamp(value: Date, sink: CborSink): void {
  sink.byte(TAG_EPOCH_TIME);
  sink.integer(Math.round(value.getTime()));
}

/** The CBOR writer of a shape, compiled on first use and kept. */
export const cborWriterOf: (model: ServiceModel, shapeName: string) => CborWriter = memoizeByShape<CborWriter>((shape, writerOf) => {
  switch (shape.type) {
    case 'structure':
      return structureWriter(shape, writerOf);
    case 'list':
      return listWriter(shape, writerOf);
    case 'map':
      return mapWriter(shape, writerOf);
    case 'string':
      return (value: string, sink) => sink.text(value);
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      return (value: number, sink) => sink.number(value);
    case 'boolean':
      return (value: boolean, sink) => sink.byte(value ? TRUE : FALSE);
    case 'blob':
      return (value: Uint8Array, sink) => sink.bytes(value);
    case 'timestamp':
      return writeTimestamp;
  }
});

/** A flat map of text keys to text values: the shape of an error body. */
export function encodeCborTextMap(entries: ReadonlyArray<readonly [string, string]>): Buffer {
  const sink = new CborSink();
  sink.head(MAJOR_MAP, entries.length);
  for (const [key, value] of entries) {
    sink.text(key);
    sink.text(value);
  }
  return sink.finish();
}
