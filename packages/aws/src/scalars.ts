/**
 * Scalars carried as text: URI labels, query strings, headers, XML text and awsQuery form values.
 * One conversion each way per shape type; only the timestamp format differs with where a value
 * travels (Smithy's defaults: headers `http-date`, labels and query `date-time`, XML bodies
 * `date-time`, JSON bodies `epoch-seconds`), and a member's or shape's timestampFormat wins.
 */
import type { MemberRef, Shape } from './model.js';
import { quotable } from './validation.js';

export type TimestampFormat = 'iso8601' | 'rfc822' | 'unixTimestamp';

/** A text value its shape cannot take; codecs turn it into their API's own error. */
export class ScalarError extends Error {
  constructor(
    readonly text: string,
    readonly type: string,
  ) {
    super(`'${quotable(text)}' is not a valid ${type}`);
  }
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

export function timestampFormatOf(shape: Shape, ref: MemberRef | undefined, fallback: TimestampFormat): TimestampFormat {
  return ref?.timestampFormat ?? shape.timestampFormat ?? fallback;
}

function readInteger(text: string, type: string, min: number, max: number): number {
  if (!INTEGER_TEXT.test(text.trim())) throw new ScalarError(text, type);
  const n = Number(text);
  if (n < min || n > max) throw new ScalarError(text, type);
  return n;
}

function readFloat(text: string, type: string): number {
  const trimmed = text.trim();
  if (trimmed === 'NaN') return NaN;
  if (trimmed === 'Infinity') return Infinity;
  if (trimmed === '-Infinity') return -Infinity;
  const n = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isFinite(n)) throw new ScalarError(text, type);
  return n;
}

function readTimestamp(text: string, format: TimestampFormat): Date {
  const trimmed = text.trim();
  // Clients do not always send the format the model names (boto3 sends ISO 8601 in some headers),
  // so a number is read as epoch seconds and anything else as a date text, whatever the format.
  const ms = /^-?\d+(\.\d+)?$/.test(trimmed) ? Math.round(Number(trimmed) * 1000) : Date.parse(trimmed);
  if (!Number.isFinite(ms) || (format !== 'unixTimestamp' && trimmed === '')) throw new ScalarError(text, 'timestamp');
  return new Date(ms);
}

/** The value of a scalar shape from its text form. */
export function readScalar(shape: Shape, ref: MemberRef | undefined, text: string, timestamps: TimestampFormat): unknown {
  switch (shape.type) {
    case 'string':
      return text;
    case 'integer':
      return readInteger(text, 'integer', INT32_MIN, INT32_MAX);
    case 'long':
      return readInteger(text, 'long', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case 'double':
    case 'float':
      return readFloat(text, shape.type);
    case 'boolean': {
      const lower = text.trim().toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw new ScalarError(text, 'boolean');
    }
    case 'blob':
      return Buffer.from(text, 'base64');
    case 'timestamp':
      return readTimestamp(text, timestampFormatOf(shape, ref, timestamps));
    default:
      throw new ScalarError(text, shape.type);
  }
}

/** Epoch seconds with millisecond precision, as the shortest decimal. */
function epochSeconds(date: Date): string {
  return String(date.getTime() / 1000);
}

/** ISO 8601 as AWS writes it in XML: always with milliseconds (`2009-10-12T17:50:30.000Z`). */
function writeTimestamp(date: Date, format: TimestampFormat): string {
  if (format === 'rfc822') return date.toUTCString(); // IMF-fixdate: `Thu, 01 Jan 1970 00:00:00 GMT`
  if (format === 'unixTimestamp') return epochSeconds(date);
  return date.toISOString();
}

function writeNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

/** The text form of a scalar value. */
export function writeScalar(shape: Shape, ref: MemberRef | undefined, value: unknown, timestamps: TimestampFormat): string {
  switch (shape.type) {
    case 'timestamp':
      return writeTimestamp(value instanceof Date ? value : new Date(value as number), timestampFormatOf(shape, ref, timestamps));
    case 'blob':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'boolean':
      return value ? 'true' : 'false';
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      return writeNumber(value as number);
    default:
      return String(value);
  }
}
