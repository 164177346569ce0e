/**
 * The event-stream wire format: AWS's published encoding test vectors, messages read back by the
 * AWS SDK's own decoder (@smithy/core's EventStreamCodec, which checks both CRCs), and a real
 * SubscribeToShard response over HTTP/2 in JSON and in CBOR (what the Java SDK speaks).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { Decoder, type Options } from 'cbor-x';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { decodeMessage, encodeMessage, errorMessage, EventStreamDecoder, exceptionMessage, initialResponseMessage } from '@freshet/aws';
import { subscribeToShardEventMessage } from '../../src/services/kinesis/codec/events.js';
import { KinesisError } from '../../src/services/kinesis/errors.js';
import { createActiveStream } from '../helpers/api.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { activeConsumer, putNumbered, RawSubscription, startFanoutServer } from './helpers.js';

/** As the server reads CBOR: 64-bit integers (tag 1's milliseconds) as numbers. */
const cbor = new Decoder({ mapsAsObjects: true, useRecords: false, int64AsNumber: true } as Options);
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const sdkCodec = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8'),
  (text: string) => Buffer.from(text, 'utf8'),
);

describe('event-stream encoding', () => {
  it('matches the AWS event-stream test vectors', () => {
    // aws-c-event-stream / the SDKs' shared vectors: empty_message, payload_no_headers, payload_one_str_header.
    assert.deepEqual(encodeMessage([], Buffer.alloc(0)), hex('00000010 00000000 05c248eb 7d98c8ff'));
    assert.deepEqual(
      encodeMessage([], Buffer.from("{'foo':'bar'}")),
      hex('0000001d 00000000 fd528c5a 7b27666f6f273a27626172277d c3653936'),
    );
    assert.deepEqual(
      encodeMessage([['content-type', 'application/json']], Buffer.from("{'foo':'bar'}")),
      hex(
        '0000003d 00000020 07fd8396 0c 636f6e74656e742d74797065 07 0010 6170706c69636174696f6e2f6a736f6e ' +
          '7b27666f6f273a27626172277d 8d9c08b1',
      ),
    );
  });

  it('writes messages the AWS SDK decodes, CRCs checked', () => {
    const event = subscribeToShardEventMessage('json', {
      Records: [
        { SequenceNumber: '1', Data: Buffer.from('héllo'), PartitionKey: 'k', ApproximateArrivalTimestamp: new Date(1700000000123) },
      ],
      ContinuationSequenceNumber: '1',
      MillisBehindLatest: 0,
    });
    const decoded = sdkCodec.decode(event);
    assert.equal(decoded.headers[':message-type']!.value, 'event');
    assert.equal(decoded.headers[':event-type']!.value, 'SubscribeToShardEvent');
    assert.equal(decoded.headers[':content-type']!.value, 'application/json');
    assert.deepEqual(JSON.parse(Buffer.from(decoded.body).toString('utf8')), {
      Records: [
        {
          SequenceNumber: '1',
          ApproximateArrivalTimestamp: 1700000000.123,
          Data: Buffer.from('héllo').toString('base64'),
          PartitionKey: 'k',
        },
      ],
      ContinuationSequenceNumber: '1',
      MillisBehindLatest: 0,
    });

    const initial = sdkCodec.decode(initialResponseMessage('json'));
    assert.equal(initial.headers[':event-type']!.value, 'initial-response');
    assert.equal(Buffer.from(initial.body).toString(), '{}');

    const exception = sdkCodec.decode(exceptionMessage('json', new KinesisError('ResourceInUseException', 'taken over')));
    assert.equal(exception.headers[':message-type']!.value, 'exception');
    assert.equal(exception.headers[':exception-type']!.value, 'ResourceInUseException');
    assert.deepEqual(JSON.parse(Buffer.from(exception.body).toString()), { message: 'taken over' });

    const error = sdkCodec.decode(errorMessage('InternalError', 'boom'));
    assert.equal(error.headers[':message-type']!.value, 'error');
    assert.equal(error.headers[':error-code']!.value, 'InternalError');
    assert.equal(error.headers[':error-message']!.value, 'boom');
  });

  it('decodes what the AWS SDK encodes, split anywhere, and refuses a bad CRC', () => {
    const message = Buffer.from(
      sdkCodec.encode({
        headers: {
          ':event-type': { type: 'string', value: 'x' },
          n: { type: 'integer', value: 7 },
          t: { type: 'timestamp', value: new Date(1700000000123) },
          yes: { type: 'boolean', value: true },
        },
        body: Buffer.from('payload'),
      }),
    );
    const whole = Buffer.concat([message, message]);
    for (let cut = 1; cut < whole.length; cut += 7) {
      const decoder = new EventStreamDecoder();
      const messages = [...decoder.push(whole.subarray(0, cut)), ...decoder.push(whole.subarray(cut))];
      assert.equal(messages.length, 2);
      assert.equal(decoder.buffered, 0);
      for (const m of messages) {
        assert.deepEqual(m.headers, { ':event-type': 'x', n: 7, t: new Date(1700000000123), yes: true });
        assert.equal(m.payload.toString(), 'payload');
      }
    }
    const corrupt = Buffer.from(message);
    corrupt[corrupt.length - 6]! ^= 1;
    assert.throws(() => decodeMessage(corrupt), /message CRC mismatch/);
  });
});

describe('SubscribeToShard on the wire', () => {
  let server: TestServer;
  let kinesis: KinesisClient;
  let consumerArn: string;
  let name: string;
  before(async () => {
    server = await startFanoutServer();
    kinesis = kinesisClient(server.url);
    name = uniqueName('wire');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    consumerArn = await activeConsumer(kinesis, streamArn, 'app');
    await putNumbered(kinesis, name, 3);
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  const input = () => ({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } });

  it('answers 200 with an event stream that starts with initial-response (JSON)', async () => {
    const sub = new RawSubscription(server.url, input());
    try {
      await sub.waitFor(() => sub.records().length >= 3, 'three records');
      assert.equal(sub.status, 200);
      assert.equal(sub.headers['content-type'], 'application/vnd.amazon.eventstream');
      assert.ok(sub.headers['x-amzn-requestid'], 'x-amzn-RequestId');
      assert.equal(sub.messages[0]!.headers[':event-type'], 'initial-response');
      assert.equal(sub.messages[0]!.payload.toString(), '{}');
      assert.equal(sub.messages[1]!.headers[':event-type'], 'SubscribeToShardEvent');
      assert.equal(sub.messages[1]!.headers[':content-type'], 'application/json');
      assert.deepEqual(sub.records(), ['r-0', 'r-1', 'r-2']);
    } finally {
      sub.close();
    }
  });

  it('speaks CBOR to a CBOR request: byte strings, epoch-millisecond timestamps', async () => {
    const { encode } = await import('cbor-x');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the JSON subscription above is released
    const sub = new RawSubscription(server.url, {}, 'application/x-amz-cbor-1.1', Buffer.from(encode(input())));
    try {
      await sub.waitFor(() => sub.messages.some((m) => m.headers[':event-type'] === 'SubscribeToShardEvent'), 'an event');
      assert.equal(sub.status, 200);
      const [initial, event] = sub.messages;
      assert.equal(initial!.headers[':event-type'], 'initial-response');
      assert.equal(initial!.headers[':content-type'], 'application/x-amz-cbor-1.1');
      assert.deepEqual(initial!.payload, Buffer.from([0xa0]));
      assert.equal(event!.headers[':content-type'], 'application/x-amz-cbor-1.1');
      const body = cbor.decode(event!.payload) as { Records: Array<{ Data: Uint8Array; PartitionKey: string }> };
      assert.deepEqual(
        body.Records.map((r) => Buffer.from(r.Data).toString()),
        ['r-0', 'r-1', 'r-2'],
      );
      assert.ok(body.Records[0]!.Data instanceof Uint8Array, 'Data is a CBOR byte string');
      // ApproximateArrivalTimestamp: tag 1 (0xc1) holding 8-byte epoch milliseconds.
      assert.ok(event!.payload.includes(Buffer.from([0xc1, 0x1b])), 'tag 1 with a 64-bit integer');
    } finally {
      sub.close();
    }
  });

  it('answers errors before the stream as ordinary HTTP errors', async () => {
    const sub = new RawSubscription(server.url, { ...input(), ShardId: 'shardId-000000000007' });
    try {
      await sub.waitFor(() => sub.ended, 'the response');
      assert.equal(sub.status, 400);
      assert.equal(sub.headers['x-amzn-errortype'], 'ResourceNotFoundException');
      assert.equal(sub.messages.length, 0);
      assert.equal(JSON.parse(sub.errorBody.toString()).__type, 'ResourceNotFoundException');
    } finally {
      sub.close();
    }
  });
});
