/**
 * awsJson1_1: request bodies in, response bodies out.
 *
 * Wire facts: blobs are base64 strings; timestamps are epoch seconds as JSON numbers, fractional
 * for milliseconds (`1700000000.123`).
 */
import { isUtf8 } from 'node:buffer';
import { ANY_PLAN, MAX_NESTING_DEPTH, type BodyPlan } from './bodyPlan.js';
import { serializationError } from './errors.js';
import { memoizeByShape, type ServiceModel, type Shape } from './model.js';
import {
  decodeBase64Strictly,
  dateFromMillis,
  millisFromSeconds,
  notConvertible,
  readBoolean,
  setOwn,
  shapeReaderCompiler,
  toInteger,
  toLong,
  type LeafReaders,
  type ValueReader,
} from './shapeReader.js';

// ---- Decoding ----

/**
 * Parses a body that must hold one JSON object; anything else is a bare SerializationException,
 * which is how AWS's Coral services answer a body their JSON parser refuses.
 *
 * `plan` says what the input shape will read (bodyPlan.ts): unknown members are stepped over
 * without building anything, so the cost of a body is that of what the operation uses, plus a
 * linear scan. Besides JSON's grammar, the body must be valid UTF-8 (AWS reads it as UTF-8 text:
 * a byte sequence that is not UTF-8 is not JSON; Node would quietly make it U+FFFD), containers
 * may nest at most MAX_NESTING_DEPTH deep, and a `\u` escape must not leave half a surrogate
 * pair in a string that is read (such a string cannot be written back as UTF-8, nor stored).
 */
export function parseJsonBody(body: Buffer, plan: BodyPlan = ANY_PLAN): Record<string, unknown> {
  if (!isUtf8(body)) throw serializationError();
  const parser = new JsonParser(body);
  parser.skipSpace();
  if (body[parser.at] !== OPEN_BRACE) throw serializationError();
  const parsed = parser.value(plan, 0);
  parser.skipSpace();
  if (parser.at !== body.length) throw serializationError();
  return parsed as Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** What `\b`, `\n`... stand for; the other simple escapes (`\"`, `\\`, `\/`) stand for themselves. */
const SIMPLE_ESCAPES: Record<number, number> = { 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

/** Strings up to this many bytes (member names, enum values, most keys) are decoded in JavaScript. */
const SHORT_STRING = 16;

/**
 * Short ASCII strings recently read, by a hash of their bytes. Bodies repeat the same short
 * strings (member names, enum values, keys) hundreds of times, and a hostile one millions of
 * times: a hit costs no allocation, as JSON.parse's internalized strings cost none.
 */
const recentShortStrings = new Array<string | undefined>(4096);

/** A short string: ASCII found in the cache or copied in a loop (cheaper than a call into native code); anything else decoded. */
function shortString(body: Buffer, start: number, end: number): string {
  let hash = end - start;
  for (let i = start; i < end; i++) {
    const byte = body[i]!;
    if (byte > 0x7f) return body.toString('utf8', start, end);
    hash = (Math.imul(hash, 31) + byte) | 0;
  }
  const slot = (hash ^ (hash >>> 12)) & 4095;
  const cached = recentShortStrings[slot];
  if (cached !== undefined && cached.length === end - start) {
    let i = 0;
    while (i < cached.length && cached.charCodeAt(i) === body[start + i]) i++;
    if (i === cached.length) return cached;
  }
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(body[i]!);
  recentShortStrings[slot] = out;
  return out;
}

/** Writes one code point as UTF-8 at `at`; returns the number of bytes written. */
function writeUtf8(out: Buffer, at: number, codePoint: number): number {
  if (codePoint < 0x80) {
    out[at] = codePoint;
    return 1;
  }
  if (codePoint < 0x800) {
    out[at] = 0xc0 | (codePoint >> 6);
    out[at + 1] = 0x80 | (codePoint & 0x3f);
    return 2;
  }
  if (codePoint < 0x10000) {
    out[at] = 0xe0 | (codePoint >> 12);
    out[at + 1] = 0x80 | ((codePoint >> 6) & 0x3f);
    out[at + 2] = 0x80 | (codePoint & 0x3f);
    return 3;
  }
  out[at] = 0xf0 | (codePoint >> 18);
  out[at + 1] = 0x80 | ((codePoint >> 12) & 0x3f);
  out[at + 2] = 0x80 | ((codePoint >> 6) & 0x3f);
  out[at + 3] = 0x80 | (codePoint & 0x3f);
  return 4;
}

const isDigit = (byte: number | undefined) => byte !== undefined && byte >= ZERO && byte <= NINE;

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= ZERO && byte <= NINE) return byte - ZERO;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** A recursive-descent JSON reader over the body's bytes, guided by a plan. Every failure is a bare SerializationException. */
class JsonParser {
  at = 0;
  constructor(private readonly body: Buffer) {}

  skipSpace(): void {
    const body = this.body;
    let at = this.at;
    for (;;) {
      const byte = body[at];
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
      at++;
    }
    this.at = at;
  }

  private expect(byte: number): void {
    this.skipSpace();
    if (this.body[this.at] !== byte) throw serializationError();
    this.at++;
  }

  /** The value at the cursor as `plan` reads it; `depth` counts the containers around it. */
  value(plan: BodyPlan, depth: number): unknown {
    this.skipSpace();
    const byte = this.body[this.at];
    if (byte === OPEN_BRACE) {
      if (plan.kind === 'structure' || plan.kind === 'map' || plan.kind === 'any') return this.object(plan, depth + 1);
      this.skip(depth);
      return {}; // the reader only needs to see that an object was here
    }
    if (byte === OPEN_BRACKET) {
      if (plan.kind === 'list' || plan.kind === 'any') return this.array(plan, depth + 1);
      this.skip(depth);
      return [];
    }
    if (byte === QUOTE) return this.string();
    if (byte === MINUS || isDigit(byte)) {
      const start = this.at;
      this.at = this.number();
      return Number(this.body.toString('latin1', start, this.at));
    }
    return this.literal();
  }

  private object(plan: BodyPlan, depth: number): Record<string, unknown> {
    if (depth > MAX_NESTING_DEPTH) throw serializationError();
    this.at++; // {
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.body[this.at] === CLOSE_BRACE) {
      this.at++;
      return out;
    }
    const isStructure = plan.kind === 'structure';
    for (;;) {
      this.skipSpace();
      if (this.body[this.at] !== QUOTE) throw serializationError();
      const key = this.string();
      this.expect(COLON);
      const child = isStructure ? plan.child(key) : plan.child();
      if (child === undefined) this.skip(depth);
      else setOwn(out, key, this.value(child, depth));
      this.skipSpace();
      const next = this.body[this.at++];
      if (next === CLOSE_BRACE) return out;
      if (next !== COMMA) throw serializationError();
    }
  }

  private array(plan: BodyPlan, depth: number): unknown[] {
    if (depth > MAX_NESTING_DEPTH) throw serializationError();
    this.at++; // [
    const out: unknown[] = [];
    this.skipSpace();
    if (this.body[this.at] === CLOSE_BRACKET) {
      this.at++;
      return out;
    }
    const element = plan.child()!;
    for (;;) {
      out.push(this.value(element, depth));
      this.skipSpace();
      const next = this.body[this.at++];
      if (next === CLOSE_BRACKET) return out;
      if (next !== COMMA) throw serializationError();
    }
  }

  /** Steps over one value, checking its grammar and depth, building nothing. */
  skip(depth: number): void {
    this.skipSpace();
    const body = this.body;
    const byte = body[this.at];
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (depth + 1 > MAX_NESTING_DEPTH) throw serializationError();
      const close = byte === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      this.at++;
      this.skipSpace();
      if (body[this.at] === close) {
        this.at++;
        return;
      }
      for (;;) {
        if (byte === OPEN_BRACE) {
          this.skipSpace();
          if (body[this.at] !== QUOTE) throw serializationError();
          this.skipString();
          this.expect(COLON);
        }
        this.skip(depth + 1);
        this.skipSpace();
        const next = body[this.at++];
        if (next === close) return;
        if (next !== COMMA) throw serializationError();
      }
    }
    if (byte === QUOTE) return this.skipString();
    if (byte === MINUS || isDigit(byte)) {
      this.at = this.number();
      return;
    }
    this.literal();
  }

  private literal(): boolean | null {
    const body = this.body;
    const at = this.at;
    if (body[at] === 0x74 && body[at + 1] === 0x72 && body[at + 2] === 0x75 && body[at + 3] === 0x65) {
      this.at += 4;
      return true;
    }
    if (body[at] === 0x66 && body.toString('latin1', at, at + 5) === 'false') {
      this.at += 5;
      return false;
    }
    if (body[at] === 0x6e && body[at + 1] === 0x75 && body[at + 2] === 0x6c && body[at + 3] === 0x6c) {
      this.at += 4;
      return null;
    }
    throw serializationError();
  }

  /** Checks JSON's number grammar from the cursor; returns where the number ends. */
  private number(): number {
    const body = this.body;
    let at = this.at;
    if (body[at] === MINUS) at++;
    if (body[at] === ZERO) at++;
    else if (isDigit(body[at])) while (isDigit(body[at])) at++;
    else throw serializationError();
    if (body[at] === DOT) {
      at++;
      if (!isDigit(body[at])) throw serializationError();
      while (isDigit(body[at])) at++;
    }
    if (body[at] === 0x65 || body[at] === 0x45) {
      at++;
      if (body[at] === PLUS || body[at] === MINUS) at++;
      if (!isDigit(body[at])) throw serializationError();
      while (isDigit(body[at])) at++;
    }
    return at;
  }

  /** Steps over a string, checking its escapes and that no control character is raw in it. */
  private skipString(): void {
    const body = this.body;
    let at = this.at + 1;
    for (;;) {
      const byte = body[at];
      if (byte === undefined || byte < 0x20) throw serializationError();
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) {
        const escaped = body[at + 1];
        if (escaped === 0x75) {
          for (let i = 2; i < 6; i++) if (hexValue(body[at + i]) < 0) throw serializationError();
          at += 6;
          continue;
        }
        if (
          escaped !== QUOTE &&
          escaped !== BACKSLASH &&
          escaped !== SLASH &&
          (escaped === undefined || SIMPLE_ESCAPES[escaped] === undefined)
        ) {
          throw serializationError();
        }
        at += 2;
        continue;
      }
      at++;
    }
    this.at = at + 1;
  }

  /**
   * Reads a string (a value or a key). One without escapes is decoded from the bytes in one go
   * (the body is known to be UTF-8); one with escapes is unescaped into bytes first, then decoded
   * once, so a string of a million escapes costs one pass, not a million concatenations. An
   * escape that leaves half a surrogate pair is refused.
   */
  string(): string {
    const body = this.body;
    const start = this.at + 1;
    let at = start;
    for (;;) {
      const byte = body[at];
      if (byte === QUOTE) {
        this.at = at + 1;
        return at - start <= SHORT_STRING ? shortString(body, start, at) : body.toString('utf8', start, at);
      }
      if (byte === BACKSLASH) break;
      if (byte === undefined || byte < 0x20) throw serializationError();
      at++;
    }
    // Unescaped text is never longer than its escaped form.
    this.skipString();
    const out = Buffer.allocUnsafe(this.at - 1 - start);
    let written = body.copy(out, 0, start, at);
    for (;;) {
      const byte = body[at]!;
      if (byte === QUOTE) break;
      if (byte !== BACKSLASH) {
        out[written++] = byte;
        at++;
        continue;
      }
      const escaped = body[at + 1]!;
      if (escaped !== 0x75) {
        out[written++] = escaped === QUOTE || escaped === BACKSLASH || escaped === SLASH ? escaped : SIMPLE_ESCAPES[escaped]!;
        at += 2;
        continue;
      }
      let codePoint = this.hex4(at + 2);
      at += 6;
      if (codePoint >= 0xd800 && codePoint <= 0xdbff) {
        // A high surrogate must be followed by an escaped low one: together they are one character.
        const low = body[at] === BACKSLASH && body[at + 1] === 0x75 ? this.hex4(at + 2) : -1;
        if (low < 0xdc00 || low > 0xdfff) throw serializationError();
        codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (low - 0xdc00);
        at += 6;
      } else if (codePoint >= 0xdc00 && codePoint <= 0xdfff) {
        throw serializationError();
      }
      written += writeUtf8(out, written, codePoint);
    }
    return out.toString('utf8', 0, written);
  }

  private hex4(at: number): number {
    const body = this.body;
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const digit = hexValue(body[at + i]);
      if (digit < 0) throw serializationError();
      value = (value << 4) | digit;
    }
    return value;
  }
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
