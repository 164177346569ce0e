/**
 * A fast reader for the commonest request there is: a PutRecords body in awsJson 1.1.
 *
 * The general path turns the whole body (500 records of base64, ~700 KB) into one string, parses
 * it into objects holding a second copy of every record as a base64 string, and only then decodes
 * the base64: three copies and a large-object garbage collection per request. This reader walks
 * the bytes once, finds each base64 run with a native `indexOf`, and decodes it straight from the
 * body, so a record's bytes are copied once on their way in.
 *
 * It only ever takes the happy path: the exact grammar of a well-formed PutRecords body with the
 * members AWS defines, strings without escapes, canonical base64. Anything else (an escape, an
 * unknown or repeated member, a null, a type mismatch, malformed JSON) makes it answer undefined,
 * and the general path decodes the body and reports AWS's exact error. The result is checked by
 * the same model validator as every other input.
 */
import type { PutRecordsInput, PutRecordsRequestEntry } from '../shapes.generated.js';
import { isUtf8 } from 'node:buffer';
import { isCanonicalBase64 } from '@freshet/aws';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// The reader gives up by throwing a symbol, not an Error: no stack is captured on a path taken
// for every body it declines, and nothing outside this file ever sees it.
/* eslint-disable @typescript-eslint/only-throw-error */
/** Thrown inside the reader to give up; never escapes it. */
const GIVE_UP = Symbol('give up');

class Cursor {
  at = 0;
  /**
   * Where blobs are decoded: one allocation per body instead of one per record. Decoded base64
   * is at most 3/4 of its text, so 3/4 of the body holds every blob of it.
   */
  private arena: Buffer | undefined;
  private arenaAt = 0;
  constructor(readonly body: Buffer) {}

  skipSpace(): void {
    const body = this.body;
    let at = this.at;
    while (at < body.length) {
      const byte = body[at]!;
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
      at++;
    }
    this.at = at;
  }

  /** Consumes one structural byte (after optional space); false if the next byte is another. */
  take(byte: number): boolean {
    this.skipSpace();
    if (this.body[this.at] !== byte) return false;
    this.at++;
    return true;
  }

  expect(byte: number): void {
    if (!this.take(byte)) throw GIVE_UP;
  }

  /**
   * The [start, end) of the next string's contents, up to the next quote. An escaped quote would
   * end it early, so every caller refuses a backslash in what it gets: text() and memberName()
   * by looking, blob() because a backslash is not base64.
   */
  private stringSpan(): [number, number] {
    this.expect(QUOTE);
    const start = this.at;
    const end = this.body.indexOf(QUOTE, start);
    if (end < 0) throw GIVE_UP;
    this.at = end + 1;
    return [start, end];
  }

  /** A short string without escapes or the control characters JSON forbids raw. */
  private plainSpan(): [number, number] {
    const [start, end] = this.stringSpan();
    for (let i = start; i < end; i++) {
      const byte = this.body[i]!;
      if (byte < 0x20 || byte === BACKSLASH) throw GIVE_UP;
    }
    return [start, end];
  }

  /**
   * A string of text. Bytes that are not UTF-8 would be decoded as U+FFFD: such a body is left
   * to the general path, which refuses it.
   */
  text(): string {
    const [start, end] = this.plainSpan();
    const body = this.body;
    for (let i = start; i < end; i++) {
      if (body[i]! > 0x7f) {
        if (!isUtf8(body.subarray(start, end))) throw GIVE_UP;
        break;
      }
    }
    return body.toString('utf8', start, end);
  }

  /** A member name, followed by its colon. */
  memberName(): string {
    const [start, end] = this.plainSpan();
    this.expect(COLON);
    return this.body.toString('latin1', start, end);
  }

  /** A base64 string, decoded (a backslash, like anything outside base64, fails the check). */
  blob(): Buffer {
    const [start, end] = this.stringSpan();
    const text = this.body.toString('latin1', start, end);
    if (text.length % 4 !== 0) throw GIVE_UP;
    this.arena ??= Buffer.allocUnsafeSlow(Math.ceil((this.body.length * 3) / 4));
    const from = this.arenaAt;
    const written = this.arena.write(text, from, 'base64');
    const bytes = this.arena.subarray(from, from + written);
    if (!isCanonicalBase64(text, bytes)) throw GIVE_UP;
    this.arenaAt = from + written;
    return bytes;
  }
}

/** Reads `{ member: value, ... }`, calling `member` for each name; repeated names give up. */
function readObject(cursor: Cursor, member: (name: string) => void): void {
  cursor.expect(OPEN_BRACE);
  if (cursor.take(CLOSE_BRACE)) return;
  const seen = new Set<string>();
  do {
    const name = cursor.memberName();
    if (seen.has(name)) throw GIVE_UP;
    seen.add(name);
    member(name);
  } while (cursor.take(COMMA));
  cursor.expect(CLOSE_BRACE);
}

function readRecord(cursor: Cursor): PutRecordsRequestEntry {
  const entry = {} as PutRecordsRequestEntry;
  readObject(cursor, (name) => {
    if (name === 'Data') entry.Data = cursor.blob();
    else if (name === 'PartitionKey') entry.PartitionKey = cursor.text();
    else if (name === 'ExplicitHashKey') entry.ExplicitHashKey = cursor.text();
    else throw GIVE_UP;
  });
  return entry;
}

function readRecords(cursor: Cursor): PutRecordsRequestEntry[] {
  cursor.expect(OPEN_BRACKET);
  const records: PutRecordsRequestEntry[] = [];
  if (cursor.take(CLOSE_BRACKET)) return records;
  do records.push(readRecord(cursor));
  while (cursor.take(COMMA));
  cursor.expect(CLOSE_BRACKET);
  return records;
}

/** The typed PutRecords input of a well-formed JSON body, or undefined to use the general path. */
export function readPutRecordsJson(body: Buffer): PutRecordsInput | undefined {
  const cursor = new Cursor(body);
  const input = {} as PutRecordsInput;
  try {
    readObject(cursor, (name) => {
      if (name === 'Records') input.Records = readRecords(cursor);
      else if (name === 'StreamName') input.StreamName = cursor.text();
      else if (name === 'StreamARN') input.StreamARN = cursor.text();
      else if (name === 'StreamId') input.StreamId = cursor.text();
      else throw GIVE_UP;
    });
    cursor.skipSpace();
    if (cursor.at !== body.length || input.Records === undefined) return undefined;
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
  return input;
}
