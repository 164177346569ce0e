/**
 * CBOR 1.1 (`application/x-amz-cbor-1.1`, the AWS Java SDK's default for Kinesis).
 *
 * Wire facts (AWS departs from RFC 8949 on the second):
 * - blobs are CBOR byte strings (major type 2), never base64 text;
 * - timestamps are tag 1 holding an integer count of epoch MILLISECONDS, in requests and responses.
 *
 * Decoding and encoding are both ours: decoding is guided by the input shape (bodyPlan.ts) so that
 * unknown members cost no objects, and takes indefinite-length strings, which cbor-x refuses;
 * encoding is compiled per shape, because a generic encoder would write Dates as tag 1 with
 * seconds and cannot know which strings of a shape are blobs.
 */
import { isUtf8 } from 'node:buffer';
import { ANY_PLAN, MAX_NESTING_DEPTH, type BodyPlan } from './bodyPlan.js';
import { serializationError } from './errors.js';
import { memoizeByShape, type ServiceModel, type Shape } from './model.js';
import {
  decodeBase64Strictly,
  dateFromMillis,
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
 * Parses a body that must hold one CBOR map (definite or indefinite, RFC 8949) and nothing after
 * it; anything else is a bare SerializationException.
 *
 * As parseJsonBody does, it reads only what `plan` says the input shape will read: unknown members
 * are stepped over without building anything. Byte strings are views of the body, as cbor-x gave
 * them. Indefinite-length byte and text strings (chunks of definite strings of the same type, as
 * RFC 8949 3.2.3 has them) are joined. Text must be valid UTF-8 (RFC 8949 3.1: a text string is
 * UTF-8, and a decoder must not pass on one that is not); containers and tags nest at most
 * MAX_NESTING_DEPTH deep. Tag 1 holds epoch MILLISECONDS on AWS's wire and is read as such;
 * bignums (tags 2 and 3) become numbers (AWS's parser saturates them); tag 55799 (self-described
 * CBOR) is transparent; other tags and simple values are CborOther, which no shape takes.
 */
export function parseCborBody(body: Buffer, plan: BodyPlan = ANY_PLAN): Record<string, unknown> {
  const parser = new CborParser(body);
  // Tag 55799 only says "this is CBOR" (RFC 8949 3.4.6); cbor-x, which read these bodies before, skipped it.
  if (body[0] === 0xd9 && body[1] === 0xd9 && body[2] === 0xf7) parser.at = 3;
  const first = body[parser.at];
  if (first === undefined || first >> 5 !== MAJOR_MAP) throw serializationError();
  const parsed = parser.value(plan, 0);
  if (parser.at !== body.length) throw serializationError();
  return parsed as Record<string, unknown>;
}

/** A CBOR tag or simple value no AWS shape takes; shape readers answer it with a bare SerializationException. */
export class CborOther {
  constructor(
    readonly tag: number | undefined,
    readonly value: unknown,
  ) {}
}

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const INDEFINITE = 31;
const SELF_DESCRIBED = 55799;
const BREAK = 0xff;

/** A recursive-descent CBOR reader guided by a plan. Every failure is a bare SerializationException. */
class CborParser {
  at = 0;
  constructor(private readonly body: Buffer) {}

  /** The argument of the head at the cursor (its major type already looked at); -1 for indefinite. */
  private argument(): number {
    const body = this.body;
    const info = body[this.at]! & 0x1f;
    const at = this.at + 1;
    if (info < 24) {
      this.at = at;
      return info;
    }
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) {
      if (info !== INDEFINITE) throw serializationError(); // 28-30 are reserved
      this.at = at;
      return -1;
    }
    if (at + size > body.length) throw serializationError();
    this.at = at + size;
    if (size === 1) return body[at]!;
    if (size === 2) return body.readUInt16BE(at);
    if (size === 4) return body.readUInt32BE(at);
    // A 64-bit argument as a number, as cbor-x's int64AsNumber did: exact up to 2^53.
    return body.readUInt32BE(at) * 0x100000000 + body.readUInt32BE(at + 4);
  }

  /** A definite count of items, each at least one byte: more than the bytes left is a lie. */
  private count(argument: number, bytesPerItem: number): number {
    if (argument > (this.body.length - this.at) / bytesPerItem) throw serializationError();
    return argument;
  }

  private atBreak(): boolean {
    if (this.at >= this.body.length) throw serializationError();
    if (this.body[this.at] !== BREAK) return false;
    this.at++;
    return true;
  }

  /** The value at the cursor as `plan` reads it; `depth` counts the containers and tags around it. */
  value(plan: BodyPlan, depth: number): unknown {
    const body = this.body;
    if (this.at >= body.length) throw serializationError();
    const initial = body[this.at]!;
    const major = initial >> 5;
    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE: {
        const n = this.argument();
        if (n < 0) throw serializationError();
        return major === MAJOR_UNSIGNED ? n : -1 - n;
      }
      case MAJOR_BYTES:
        return this.bytes();
      case MAJOR_TEXT:
        return this.text();
      case MAJOR_ARRAY:
        if (plan.kind === 'list' || plan.kind === 'any') return this.array(plan, depth + 1);
        this.skip(depth);
        return []; // the reader only needs to see that an array was here
      case MAJOR_MAP:
        if (plan.kind === 'structure' || plan.kind === 'map' || plan.kind === 'any') return this.map(plan, depth + 1);
        this.skip(depth);
        return {};
      case MAJOR_TAG:
        return this.tag(plan, depth + 1);
      default:
        return this.simple();
    }
  }

  private array(plan: BodyPlan, depth: number): unknown[] {
    if (depth > MAX_NESTING_DEPTH) throw serializationError();
    const length = this.argument();
    const element = plan.child()!;
    const out: unknown[] = [];
    if (length < 0) {
      while (!this.atBreak()) out.push(this.value(element, depth));
    } else {
      for (let i = this.count(length, 1); i > 0; i--) out.push(this.value(element, depth));
    }
    return out;
  }

  private map(plan: BodyPlan, depth: number): Record<string, unknown> {
    if (depth > MAX_NESTING_DEPTH) throw serializationError();
    const length = this.argument();
    const out: Record<string, unknown> = {};
    const members = plan.kind === 'structure' ? plan.members : undefined;
    let left = length < 0 ? -1 : this.count(length, 2);
    while (length < 0 ? !this.atBreak() : left-- > 0) {
      let key = members ? this.memberKey(members) : undefined;
      if (key === null) {
        this.skip(depth); // a member the shape does not have: its name was not even decoded
        continue;
      }
      key ??= this.key();
      const child = members ? plan.child(key) : plan.child();
      if (child === undefined) this.skip(depth);
      else setOwn(out, key, this.value(child, depth));
    }
    return out;
  }

  /**
   * A structure's key matched against its members' bytes: the member's name, null for a short
   * text key that is none of them (consumed), or undefined when the key is not a short definite
   * text (not consumed: key() reads it).
   */
  private memberKey(members: NonNullable<BodyPlan['members']>): string | null | undefined {
    const body = this.body;
    const initial = body[this.at];
    if (initial === undefined || initial >> 5 !== MAJOR_TEXT || (initial & 0x1f) >= 24) return undefined;
    const start = this.at + 1;
    const length = initial & 0x1f;
    if (start + length > body.length) throw serializationError();
    for (const member of members) {
      const utf8 = member.utf8;
      if (utf8.length !== length) continue;
      let i = 0;
      while (i < length && body[start + i] === utf8[i]) i++;
      if (i === length) {
        this.at = start + length;
        return member.name;
      }
    }
    if (!isUtf8(body.subarray(start, start + length))) throw serializationError();
    this.at = start + length;
    return null;
  }

  /** A map key: text, or an integer taken as its decimal text (as cbor-x did). */
  private key(): string {
    if (this.at >= this.body.length) throw serializationError();
    const major = this.body[this.at]! >> 5;
    if (major === MAJOR_TEXT) return this.text();
    if (major === MAJOR_UNSIGNED || major === MAJOR_NEGATIVE) {
      const n = this.argument();
      if (n < 0) throw serializationError();
      return String(major === MAJOR_UNSIGNED ? n : -1 - n);
    }
    throw serializationError();
  }

  /** The [start, end) of the next definite string of `major`, for the chunks of an indefinite one. */
  private chunk(major: number): [number, number] {
    if (this.at >= this.body.length || this.body[this.at]! >> 5 !== major) throw serializationError();
    const length = this.argument();
    if (length < 0) throw serializationError(); // chunks are definite (RFC 8949 3.2.3)
    const start = this.at;
    if (length > this.body.length - start) throw serializationError();
    this.at = start + length;
    return [start, this.at];
  }

  /** The spans of a string: one for a definite string, one per chunk for an indefinite one. */
  private spans(major: number): Array<[number, number]> {
    const info = this.body[this.at]! & 0x1f;
    if (info !== INDEFINITE) return [this.chunk(major)];
    this.at++;
    const spans: Array<[number, number]> = [];
    while (!this.atBreak()) spans.push(this.chunk(major));
    return spans;
  }

  private bytes(): Buffer {
    const spans = this.spans(MAJOR_BYTES);
    if (spans.length === 1) return this.body.subarray(spans[0]![0], spans[0]![1]);
    return Buffer.concat(spans.map(([start, end]) => this.body.subarray(start, end)));
  }

  private text(): string {
    const body = this.body;
    const info = body[this.at]! & 0x1f;
    if (info < 24) {
      // Short text (member names, most keys): ASCII is copied in a loop, cheaper than a native call.
      const start = this.at + 1;
      const end = start + info;
      if (end > body.length) throw serializationError();
      let ascii = '';
      for (let i = start; i < end; i++) {
        const byte = body[i]!;
        if (byte > 0x7f) return this.utf8Spans(this.spans(MAJOR_TEXT));
        ascii += String.fromCharCode(byte);
      }
      this.at = end;
      return ascii;
    }
    return this.utf8Spans(this.spans(MAJOR_TEXT));
  }

  /** Each chunk must be UTF-8 by itself: a character is never split between chunks (RFC 8949 3.2.3). */
  private utf8Spans(spans: Array<[number, number]>): string {
    let out = '';
    for (const [start, end] of spans) {
      const span = this.body.subarray(start, end);
      if (!isUtf8(span)) throw serializationError();
      out += span.toString('utf8');
    }
    return out;
  }

  private tag(plan: BodyPlan, depth: number): unknown {
    if (depth > MAX_NESTING_DEPTH) throw serializationError();
    const tag = this.argument();
    if (tag < 0) throw serializationError();
    const content = this.value(tag === 1 || tag === 2 || tag === 3 ? SCALAR_PLAN : plan, depth);
    if (tag === SELF_DESCRIBED) return content;
    if (tag === 1 && typeof content === 'number') return new Date(content); // AWS: milliseconds
    if ((tag === 2 || tag === 3) && content instanceof Uint8Array) {
      let n = 0;
      for (const byte of content) n = n * 256 + byte; // past 2^1024 it is Infinity, which readers saturate
      return tag === 2 ? n : -1 - n;
    }
    return new CborOther(tag, content);
  }

  private simple(): unknown {
    const body = this.body;
    const info = body[this.at]! & 0x1f;
    const at = this.at + 1;
    switch (info) {
      case 20:
        this.at = at;
        return false;
      case 21:
        this.at = at;
        return true;
      case 22:
        this.at = at;
        return null;
      case 23:
        this.at = at;
        return undefined;
      case 25:
        if (at + 2 > body.length) throw serializationError();
        this.at = at + 2;
        return halfFloat(body.readUInt16BE(at));
      case 26:
        if (at + 4 > body.length) throw serializationError();
        this.at = at + 4;
        return body.readFloatBE(at);
      case 27:
        if (at + 8 > body.length) throw serializationError();
        this.at = at + 8;
        return body.readDoubleBE(at);
      default: {
        // Other simple values (0-19 in the head, 32-255 in a byte) carry nothing a shape takes;
        // 24 with a value under 32, 28-30 and a stray break are not well-formed.
        if (info < 20) {
          this.at = at;
          return new CborOther(undefined, info);
        }
        if (info === 24 && at < body.length && body[at]! >= 32) {
          this.at = at + 1;
          return new CborOther(undefined, body[at]);
        }
        throw serializationError();
      }
    }
  }

  /** Steps over one item, checking that it is well-formed and not too deep, building nothing. */
  skip(depth: number): void {
    const body = this.body;
    if (this.at >= body.length) throw serializationError();
    const major = body[this.at]! >> 5;
    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE:
        if (this.argument() < 0) throw serializationError();
        return;
      case MAJOR_BYTES:
      case MAJOR_TEXT:
        this.spans(major); // unread text is not checked for UTF-8: nothing will see it
        return;
      case MAJOR_ARRAY:
      case MAJOR_MAP: {
        if (depth + 1 > MAX_NESTING_DEPTH) throw serializationError();
        const perEntry = major === MAJOR_MAP ? 2 : 1;
        const length = this.argument();
        if (length < 0) {
          while (!this.atBreak()) for (let i = 0; i < perEntry; i++) this.skip(depth + 1);
        } else {
          for (let i = this.count(length, perEntry) * perEntry; i > 0; i--) this.skip(depth + 1);
        }
        return;
      }
      case MAJOR_TAG:
        if (depth + 1 > MAX_NESTING_DEPTH) throw serializationError();
        if (this.argument() < 0) throw serializationError();
        this.skip(depth + 1);
        return;
      default:
        this.simple();
    }
  }
}

/** An IEEE 754 half-precision float (RFC 8949 Appendix D). */
function halfFloat(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const magnitude =
    exponent === 0 ? mantissa * 2 ** -24 : exponent === 31 ? (mantissa === 0 ? Infinity : NaN) : (mantissa + 1024) * 2 ** (exponent - 25);
  return half & 0x8000 ? -magnitude : magnitude;
}

const SCALAR_PLAN: BodyPlan = { kind: 'scalar', child: () => undefined };

const isNumeric = (value: unknown): value is number | bigint => typeof value === 'number' || typeof value === 'bigint';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
    if (value instanceof Date) return dateFromMillis(value.getTime()); // tag 1, read as milliseconds
    // An untagged number is read the same way: milliseconds.
    if (isNumeric(value)) return dateFromMillis(Number(value));
    throw notConvertible(value, 'milliseconds since epoch');
  },
};

/** The CBOR reader of a shape, compiled on first use and kept. */
export const cborReaderOf: (model: ServiceModel, shapeName: string) => ValueReader = shapeReaderCompiler(cborLeaves);

// ---- Encoding ----

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
