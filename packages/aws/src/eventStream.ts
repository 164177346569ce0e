/**
 * AWS's event-stream encoding (`application/vnd.amazon.eventstream`), the framing of streaming
 * responses (Kinesis SubscribeToShard) and requests (Video Streams' media, later). A message is
 *
 *   total length u32 | headers length u32 | prelude CRC u32 | headers | payload | message CRC u32
 *
 * big-endian, where the prelude CRC covers the first 8 bytes and the message CRC every byte
 * before it; both are CRC-32 (IEEE), which is what `zlib.crc32` computes. A header is
 * `name length u8 | name | type u8 | value`; this module writes string headers only (type 7,
 * `u16 length | UTF-8`), which is all an AWS service sends on this stream.
 *
 * Message kinds (Smithy's "Amazon Event Stream" specification):
 * - events: `:message-type event`, `:event-type <union member>`, `:content-type`, the event's
 *   structure as the payload, written with the model's compiled writers (JSON: blobs base64,
 *   timestamps epoch seconds; CBOR: byte strings, tag 1 milliseconds), like any response body;
 * - `initial-response` first: an event whose payload is the operation's output minus the
 *   stream member (`{}` for SubscribeToShard). boto3 refuses a stream without it, SDK v3 reads it
 *   before handing the stream over;
 * - modeled errors: `:message-type exception`, `:exception-type <code>`, payload `{message}`;
 * - unmodeled errors: `:message-type error`, `:error-code`, `:error-message`, no payload.
 */
import { crc32 } from 'node:zlib';
import { CborSink, cborWriterOf, encodeCborTextMap } from './cbor.js';
import type { WireFormat } from './awsJson.js';
import type { AwsError } from './errors.js';
import { jsonWriterOf } from './json.js';
import type { ServiceModel } from './model.js';

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

/** Payload content types of events, by the request's wire format. */
export const EVENT_PAYLOAD_CONTENT_TYPES: Record<WireFormat, string> = {
  json: 'application/json',
  cbor: 'application/x-amz-cbor-1.1',
};

const PRELUDE_BYTES = 12;
const TRAILER_BYTES = 4;
const STRING_HEADER = 7;
/** The specification's limits: services must not send more. */
export const MAX_PAYLOAD_BYTES = 24 * 1024 * 1024;
const MAX_HEADERS_BYTES = 128 * 1024;

export type EventHeaders = ReadonlyArray<readonly [name: string, value: string]>;

/** Frames one message: prelude, string headers, payload, CRCs. */
export function encodeMessage(headers: EventHeaders, payload: Uint8Array): Buffer {
  let headersBytes = 0;
  for (const [name, value] of headers) {
    headersBytes += 1 + Buffer.byteLength(name, 'utf8') + 1 + 2 + Buffer.byteLength(value, 'utf8');
  }
  if (headersBytes > MAX_HEADERS_BYTES) throw new RangeError(`event headers of ${headersBytes} bytes exceed the limit`);
  if (payload.length > MAX_PAYLOAD_BYTES) throw new RangeError(`event payload of ${payload.length} bytes exceeds the limit`);
  const total = PRELUDE_BYTES + headersBytes + payload.length + TRAILER_BYTES;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headersBytes, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  let at = PRELUDE_BYTES;
  for (const [name, value] of headers) {
    const nameBytes = out.write(name, at + 1, 'utf8');
    if (nameBytes === 0 || nameBytes > 255) throw new RangeError(`bad event header name '${name}'`);
    out.writeUInt8(nameBytes, at);
    at += 1 + nameBytes;
    out.writeUInt8(STRING_HEADER, at);
    const valueBytes = out.write(value, at + 3, 'utf8');
    if (valueBytes > 0x7fff) throw new RangeError(`event header '${name}' is too long`);
    out.writeUInt16BE(valueBytes, at + 1);
    at += 3 + valueBytes;
  }
  out.set(payload, at);
  at += payload.length;
  out.writeUInt32BE(crc32(out.subarray(0, at)), at);
  return out;
}

export function eventMessage(format: WireFormat, eventType: string, payload: Uint8Array): Buffer {
  return encodeMessage(
    [
      [':message-type', 'event'],
      [':event-type', eventType],
      [':content-type', EVENT_PAYLOAD_CONTENT_TYPES[format]],
    ],
    payload,
  );
}

/** The first message of every event stream response: the output's other members (none here). */
export function initialResponseMessage(format: WireFormat): Buffer {
  return eventMessage(format, 'initial-response', format === 'cbor' ? EMPTY_CBOR_MAP : EMPTY_JSON_OBJECT);
}

/** An event whose payload is a structure of the model, named by its member of the event union. */
export function structureEventMessage(
  model: ServiceModel,
  format: WireFormat,
  eventType: string,
  shapeName: string,
  event: object,
): Buffer {
  let payload: Buffer;
  if (format === 'cbor') {
    const sink = new CborSink();
    cborWriterOf(model, shapeName)(event, sink);
    payload = sink.finish();
  } else {
    payload = Buffer.from(jsonWriterOf(model, shapeName)(event), 'utf8');
  }
  return eventMessage(format, eventType, payload);
}

/** A modeled error ending the stream, e.g. ResourceInUseException when a subscription is taken over. */
export function exceptionMessage(format: WireFormat, err: AwsError): Buffer {
  const payload =
    format === 'cbor' ? encodeCborTextMap([['message', err.message]]) : Buffer.from(JSON.stringify({ message: err.message }), 'utf8');
  return encodeMessage(
    [
      [':message-type', 'exception'],
      [':exception-type', err.code],
      [':content-type', EVENT_PAYLOAD_CONTENT_TYPES[format]],
    ],
    payload,
  );
}

/** An error the stream's model does not list: code and message travel as headers. */
export function errorMessage(code: string, message: string): Buffer {
  return encodeMessage(
    [
      [':message-type', 'error'],
      [':error-code', code],
      [':error-message', message],
    ],
    new Uint8Array(0),
  );
}

const EMPTY_JSON_OBJECT = Buffer.from('{}');
const EMPTY_CBOR_MAP = Buffer.from([0xa0]);

// ---- Decoding (tests and tools read streams with it) ----

export type HeaderValue = string | number | bigint | boolean | Buffer | Date;

export interface DecodedMessage {
  headers: Record<string, HeaderValue>;
  payload: Buffer;
}

/**
 * Reads messages off a byte stream: feed it chunks as they arrive, it returns the complete
 * messages and keeps the rest. Throws on a bad CRC or length, as a client must.
 */
export class EventStreamDecoder {
  /** Received bytes not yet decoded: joined only once they hold a whole message. */
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): DecodedMessage[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const messages: DecodedMessage[] = [];
    while (this.length >= PRELUDE_BYTES) {
      if (this.chunks[0]!.length < PRELUDE_BYTES) this.join();
      const head = this.chunks[0]!;
      const total = head.readUInt32BE(0);
      if (head.readUInt32BE(8) !== crc32(head.subarray(0, 8))) throw new Error('event stream: prelude CRC mismatch');
      if (total < PRELUDE_BYTES + TRAILER_BYTES) throw new Error(`event stream: bad message length ${total}`);
      if (this.length < total) break;
      if (head.length < total) this.join();
      const joined = this.chunks[0]!;
      messages.push(decodeMessage(joined.subarray(0, total)));
      if (joined.length === total) this.chunks.shift();
      else this.chunks[0] = joined.subarray(total);
      this.length -= total;
    }
    return messages;
  }

  /** Bytes received that do not yet make a whole message. */
  get buffered(): number {
    return this.length;
  }

  private join(): void {
    this.chunks = [Buffer.concat(this.chunks, this.length)];
  }
}

export function decodeMessage(message: Buffer): DecodedMessage {
  const total = message.readUInt32BE(0);
  if (total !== message.length) throw new Error('event stream: message length mismatch');
  const headersBytes = message.readUInt32BE(4);
  if (message.readUInt32BE(8) !== crc32(message.subarray(0, 8))) throw new Error('event stream: prelude CRC mismatch');
  if (message.readUInt32BE(total - 4) !== crc32(message.subarray(0, total - 4))) {
    throw new Error('event stream: message CRC mismatch');
  }
  const headers: Record<string, HeaderValue> = {};
  let at = PRELUDE_BYTES;
  const end = PRELUDE_BYTES + headersBytes;
  while (at < end) {
    const nameLength = message.readUInt8(at);
    const name = message.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = message.readUInt8(at++);
    switch (type) {
      case 0:
        headers[name] = true;
        break;
      case 1:
        headers[name] = false;
        break;
      case 2:
        headers[name] = message.readInt8(at);
        at += 1;
        break;
      case 3:
        headers[name] = message.readInt16BE(at);
        at += 2;
        break;
      case 4:
        headers[name] = message.readInt32BE(at);
        at += 4;
        break;
      case 5:
        headers[name] = message.readBigInt64BE(at);
        at += 8;
        break;
      case 6:
      case 7: {
        const length = message.readUInt16BE(at);
        const bytes = message.subarray(at + 2, at + 2 + length);
        headers[name] = type === 7 ? bytes.toString('utf8') : Buffer.from(bytes);
        at += 2 + length;
        break;
      }
      case 8:
        headers[name] = new Date(Number(message.readBigInt64BE(at)));
        at += 8;
        break;
      case 9:
        headers[name] = Buffer.from(message.subarray(at, at + 16));
        at += 16;
        break;
      default:
        throw new Error(`event stream: unknown header type ${type}`);
    }
  }
  if (at !== end) throw new Error('event stream: headers overrun their length');
  return { headers, payload: message.subarray(end, total - 4) };
}

// ---- Streaming operations ----

/** Where a streaming operation's events go; the gateway frames each as an event-stream message. */
export interface EventSink<E> {
  /** Sends one event; resolves once the sink can take another (flow control). */
  event(event: E): Promise<void> | void;
  /** Ends the stream with an exception event (`cause`: the internal error behind an InternalFailureException). */
  fail(err: AwsError, cause?: unknown): void;
  /** Ends the stream cleanly. */
  end(): void;
}

/** What a streaming operation returns: events produced on demand, until it ends or is cancelled. */
export interface EventSource<E> {
  run(sink: EventSink<E>): Promise<void>;
  /** The client went away: stop producing. */
  cancel(): void;
}
