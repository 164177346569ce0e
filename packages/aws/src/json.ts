/**
 * awsJson1_1: request bodies in, response bodies out.
 *
 * Wire facts: blobs are base64 strings; timestamps are epoch seconds as JSON numbers, fractional
 * for milliseconds (`1700000000.123`).
 */
import { serializationError } from './errors.js';
import { memoizeByShape, type ServiceModel, type Shape } from './model.js';
import {
  decodeBase64Strictly,
  dateFromMillis,
  millisFromSeconds,
  notConvertible,
  readBoolean,
  shapeReaderCompiler,
  toInteger,
  toLong,
  type LeafReaders,
  type ValueReader,
} from './shapeReader.js';

// ---- Decoding ----

/** Parses a body that must hold one JSON object; anything else is a bare SerializationException. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw serializationError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw serializationError();
  return parsed as Record<string, unknown>;
}

const jsonLeaves: LeafReaders = {
  string: (value) => {
    if (typeof value === 'string') return value;
    throw notConvertible(value, 'an String');
  },
  integer: (value) => {
    if (typeof value === 'number') return toInteger(value);
    throw notConvertible(value, 'an Integer');
  },
  long: (value) => {
    if (typeof value === 'number') return toLong(value);
    throw notConvertible(value, 'an Long');
  },
  double: (value) => {
    if (typeof value === 'number') return value;
    throw notConvertible(value, 'an Double');
  },
  float: (value) => {
    if (typeof value === 'number') return value;
    throw notConvertible(value, 'an Float');
  },
  boolean: readBoolean,
  blob: (value) => {
    if (typeof value === 'string') return decodeBase64Strictly(value);
    throw notConvertible(value, 'a Blob');
  },
  timestamp: (value) => {
    if (typeof value === 'number') return dateFromMillis(millisFromSeconds(value));
    throw notConvertible(value, 'milliseconds since epoch');
  },
};

/** The JSON reader of a shape, compiled on first use and kept. */
export const jsonReaderOf: (model: ServiceModel, shapeName: string) => ValueReader = shapeReaderCompiler(jsonLeaves);

// ---- Encoding ----

/** Writes one non-null value of a shape as JSON text. */
export type JsonWriter = (value: any) => string; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Most strings on the hot path (sequence numbers, shard ids, partition keys) need no escaping;
 * checking that is cheaper than JSON.stringify. Anything else, lone surrogates included, goes
 * through JSON.stringify.
 */
function writeString(value: string): string {
  if (value.length > 128) return JSON.stringify(value);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(value);
  }
  return '"' + value + '"';
}

function writeNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a JSON number`);
  return String(value);
}

function writeBlob(value: Uint8Array): string {
  const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return '"' + buffer.toString('base64') + '"';
}

/** Epoch seconds with millisecond precision: ms / 1000 prints as the shortest exact decimal. */
function writeTimestamp(value: Date): string {
  return writeNumber(value.getTime() / 1000);
}

function structureWriter(shape: Shape, writerOf: (name: string) => JsonWriter): JsonWriter {
  const members = Object.entries(shape.members ?? {}).map(([name, ref]) => ({
    name,
    key: JSON.stringify(name) + ':',
    write: writerOf(ref.shape),
  }));
  return (value) => {
    let out = '{';
    for (const member of members) {
      const memberValue = value[member.name];
      if (memberValue === undefined || memberValue === null) continue;
      if (out.length > 1) out += ',';
      out += member.key + member.write(memberValue);
    }
    return out + '}';
  };
}

function listWriter(shape: Shape, writerOf: (name: string) => JsonWriter): JsonWriter {
  const writeMember = writerOf(shape.member!.shape);
  return (value: unknown[]) => {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += writeMember(value[i]);
    }
    return out + ']';
  };
}

function mapWriter(shape: Shape, writerOf: (name: string) => JsonWriter): JsonWriter {
  const writeValue = writerOf(shape.value!.shape);
  return (value: Record<string, unknown>) => {
    let out = '{';
    for (const key of Object.keys(value)) {
      const entry = value[key];
      if (entry === undefined || entry === null) continue;
      if (out.length > 1) out += ',';
      out += writeString(key) + ':' + writeValue(entry);
    }
    return out + '}';
  };
}

/**
 * The JSON writer of a shape. It builds the text directly from the model's members, which is
 * several times faster than JSON.stringify with a replacer, and GetRecords/PutRecords are hot.
 */
export const jsonWriterOf: (model: ServiceModel, shapeName: string) => JsonWriter = memoizeByShape<JsonWriter>((shape, writerOf) => {
  switch (shape.type) {
    case 'structure':
      return structureWriter(shape, writerOf);
    case 'list':
      return listWriter(shape, writerOf);
    case 'map':
      return mapWriter(shape, writerOf);
    case 'string':
      return writeString;
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      return writeNumber;
    case 'boolean':
      return (value: boolean) => (value ? 'true' : 'false');
    case 'blob':
      return writeBlob;
    case 'timestamp':
      return writeTimestamp;
  }
});

/**
 * For the fast writers of answers whose records come last in model order (GetRecords, PutRecords):
 * every other member written by the general writer, and the object left open at `"Records":[`,
 * so the caller writes the records and closes with `]}`.
 */
export function openRecordsJson(model: ServiceModel, shapeName: string, output: object): string {
  const rest = jsonWriterOf(model, shapeName)({ ...output, Records: undefined });
  return (rest.length > 2 ? rest.slice(0, -1) + ',' : '{') + '"Records":[';
}
