/**
 * Turns a parsed request body (from JSON or CBOR) into the typed input of an operation, checking
 * that every value has the wire type its shape asks for. Each shape is compiled once into a closure;
 * only the leaves (strings, numbers, blobs, timestamps) differ between the two wire formats.
 *
 * Type mismatches answer with AWS's SerializationException texts. They come from AWS's Java JSON
 * parser (hence `java.lang.Boolean`, `TruncatingBigNumber` and the grammar "an String"), as recorded
 * against real AWS by kinesalite (mhart/kinesalite, validations/index.js and test/helpers.js).
 */
import { serializationError, type AwsError } from './errors.js';
import { memoizeByShape, type ServiceModel, type Shape } from './model.js';
import { quotable } from './validation.js';

/** Reads one non-null wire value of a shape; throws a SerializationException if it does not fit. */
export type ValueReader = (value: unknown) => unknown;

export type LeafType = 'string' | 'integer' | 'long' | 'double' | 'float' | 'boolean' | 'blob' | 'timestamp';
export type LeafReaders = Record<LeafType, ValueReader>;

const START_OF_LIST = 'Start of list found where not expected';
const START_OF_OBJECT = 'Start of structure or map found where not expected.';

/** The Java class AWS's parser names when a JSON scalar has the wrong type. */
function javaClassOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'class java.lang.Boolean';
    case 'number':
    case 'bigint':
      return 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';
    case 'string':
      return 'class java.lang.String';
    default:
      return undefined;
  }
}

/** JSON.parse and cbor-x both give objects with Object.prototype; byte strings, Dates and tags are not plain. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * The error for a value that cannot become `target` ("an String", "a Blob", ...). Values only CBOR
 * can carry (byte strings, tags) have no recorded AWS text, so they get a bare SerializationException.
 */
export function notConvertible(value: unknown, target: string): AwsError {
  if (Array.isArray(value)) return serializationError(START_OF_LIST);
  if (isPlainObject(value)) return serializationError(START_OF_OBJECT);
  const javaClass = javaClassOf(value);
  return javaClass ? serializationError(`${javaClass} can not be converted to ${target}`) : serializationError();
}

/** Structures, lists and maps answer scalars with their own texts ("Expected null" is AWS's, sic). */
function notContainer(value: unknown, scalarMessage: string, otherContainerMessage: string): AwsError {
  if (javaClassOf(value)) return serializationError(scalarMessage);
  if (Array.isArray(value) || isPlainObject(value)) return serializationError(otherContainerMessage);
  return serializationError();
}

function structureReader(shape: Shape, readerOf: (name: string) => ValueReader): ValueReader {
  // Reading the model's members (not the body's keys) drops unknown members, as AWS does.
  const members = Object.entries(shape.members ?? {}).map(([name, ref]) => ({ name, read: readerOf(ref.shape) }));
  return (value) => {
    if (!isPlainObject(value)) throw notContainer(value, 'Expected null', START_OF_LIST);
    const out: Record<string, unknown> = {};
    for (const member of members) {
      const raw = value[member.name];
      if (raw !== null && raw !== undefined) out[member.name] = member.read(raw);
    }
    return out;
  };
}

function listReader(shape: Shape, readerOf: (name: string) => ValueReader): ValueReader {
  const readMember = readerOf(shape.member!.shape);
  return (value) => {
    if (!Array.isArray(value)) throw notContainer(value, 'Expected list or null', START_OF_OBJECT);
    const out: unknown[] = [];
    // A null element carries nothing an operation could use; it is dropped like a null member.
    for (const item of value) if (item !== null && item !== undefined) out.push(readMember(item));
    return out;
  };
}

function mapReader(shape: Shape, readerOf: (name: string) => ValueReader): ValueReader {
  const readKey = readerOf(shape.key!.shape);
  const readValue = readerOf(shape.value!.shape);
  return (value) => {
    if (!isPlainObject(value)) throw notContainer(value, 'Expected map or null', START_OF_LIST);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const raw = value[key];
      if (raw === null || raw === undefined) continue;
      setOwn(out, readKey(key) as string, readValue(raw));
    }
    return out;
  };
}

/** Map keys come from the client: `__proto__` must become a key, not a new prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Compiles, once per shape, readers for one wire format given how it reads the leaves. */
export function shapeReaderCompiler(leaves: LeafReaders): (model: ServiceModel, shapeName: string) => ValueReader {
  return memoizeByShape<ValueReader>((shape, readerOf) => {
    switch (shape.type) {
      case 'structure':
        return structureReader(shape, readerOf);
      case 'list':
        return listReader(shape, readerOf);
      case 'map':
        return mapReader(shape, readerOf);
      default:
        return leaves[shape.type];
    }
  });
}

// ---- Leaf conversions shared by both wire formats ----

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
const INT64_LIMIT = 2 ** 63;

/**
 * AWS's parser truncates fractions and saturates at the Java type's range rather than rejecting:
 * kinesalite records `ShardCount: 100000000000` passing validation, and clamps integers to 2^31-1.
 */
export function toInteger(value: number | bigint): number {
  const n = Math.trunc(Number(value));
  return n > INT32_MAX ? INT32_MAX : n < INT32_MIN ? INT32_MIN : n;
}

export function toLong(value: number | bigint): number {
  const n = Math.trunc(Number(value));
  // Beyond 2^53 a JS number is approximate anyway; Java's long saturates near 2^63.
  return n > INT64_LIMIT ? INT64_LIMIT : n < -INT64_LIMIT ? -INT64_LIMIT : n;
}

/** "true"/"false" (and the 1/0/yes/no kinesalite saw accepted) convert; other strings fail, upper-cased. */
const BOOLEAN_STRINGS: Record<string, boolean> = { TRUE: true, FALSE: false, '1': true, '0': false, YES: true, NO: false };

export function readBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    const parsed = BOOLEAN_STRINGS[upper];
    if (parsed === undefined) throw serializationError(`'${quotable(upper)}' can not be converted to an Boolean`);
    return parsed;
  }
  throw notConvertible(value, 'an Boolean');
}

/** kinesalite's rule for which character AWS names: the first non-alphabet one, or an `=` before data. */
const FIRST_BAD_BASE64 = /[^a-zA-Z0-9+/=]|=[^=]/;

/**
 * Decodes base64 the way AWS's Java parser does: strictly. Node's decoder is lenient (it skips bad
 * characters and accepts the URL-safe alphabet), but re-encoding its result gives back the very
 * same text exactly when the text was canonical base64. That check costs less than a regex pass
 * over the text, and only a failure pays for finding AWS's reason.
 */
export function decodeBase64Strictly(text: string): Buffer {
  const fail = (reason: string) => serializationError(`'${quotable(text)}' can not be converted to a Blob: ${reason}`);
  if (text.length % 4 !== 0) {
    throw fail(`Base64 encoded length is expected a multiple of 4 bytes but found: ${text.length}`);
  }
  const bytes = Buffer.from(text, 'base64');
  if (!isCanonicalBase64(text, bytes)) {
    const bad = FIRST_BAD_BASE64.exec(text);
    if (bad) throw fail(`Invalid Base64 character: '${bad[0][0]}'`);
    throw fail('Invalid last non-pad Base64 character dectected'); // sic: AWS's spelling
  }
  return bytes;
}

/**
 * Whether `bytes`, decoded from `text` by Node's lenient decoder, came from canonical base64, as
 * re-encoding and comparing would tell, without re-encoding whole records (this runs for every
 * record of every PutRecords). Node skips characters outside the alphabet and stops at '=', so
 * any of those shortens the output; it also accepts base64url's '-' and '_', checked apart; and
 * a non-canonical final quantum ('QR==' decodes like 'QQ==') shows in the bits it leaves over.
 */
export function isCanonicalBase64(text: string, bytes: Buffer): boolean {
  if (text.length === 0) return true;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (bytes.length !== (text.length / 4) * 3 - padding) return false;
  if (text.includes('-') || text.includes('_')) return false;
  // The last character before the padding carries bits past the end of the data; canonical
  // base64 leaves them zero (4 bits before '==', 2 before '=').
  if (padding === 0) return true;
  const spareBits = BASE64_VALUE.indexOf(text.charAt(text.length - padding - 1)) & (padding === 2 ? 0b1111 : 0b11);
  return spareBits === 0;
}

const BASE64_VALUE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The largest time value a JS Date can hold. */
const MAX_DATE_MS = 8.64e15;

export function dateFromMillis(ms: number): Date {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) throw serializationError();
  return new Date(ms);
}

/**
 * JSON timestamps are epoch seconds, possibly fractional. AWS keeps millisecond precision; a
 * product like 1700000000.123 * 1000 lands a hair off the integer, so near-integers round.
 */
export function millisFromSeconds(seconds: number): number {
  const ms = seconds * 1000;
  const nearest = Math.round(ms);
  return Math.abs(ms - nearest) < 1e-3 ? nearest : Math.floor(ms);
}
