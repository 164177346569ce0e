/**
 * OffThreadDecoder: large PutRecords JSON bodies decoded by worker threads must come back exactly
 * as decodeInput reads them, small ones are decoded at once, and no request is lost when the
 * workers go away under it.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeInput } from '../../src/services/kinesis/codec/codec.js';
import { AwsError } from '@freshet/aws';
import { type KinesisError } from '../../src/services/kinesis/errors.js';
import { OFF_THREAD_MIN_BODY_BYTES, OffThreadDecoder } from '../../src/services/kinesis/codec/offThreadDecoder.js';

function body(records: number, dataBytes: number, extra: Record<string, unknown> = {}): Buffer {
  const Records = Array.from({ length: records }, (_, i) => ({
    PartitionKey: `key-${i}-é`,
    Data: randomBytes(dataBytes).toString('base64'),
    ...(i % 3 === 0 ? { ExplicitHashKey: String(BigInt(i) * 10n ** 35n) } : {}),
  }));
  return Buffer.from(JSON.stringify({ StreamName: 'decoded', ...extra, Records }), 'utf8');
}

test('large bodies decoded on a worker equal what decodeInput reads', async () => {
  const decoder = new OffThreadDecoder(2);
  try {
    const bodies = Array.from({ length: 8 }, (_, i) =>
      body(100 + i, 900, i % 2 ? { StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/decoded' } : {}),
    );
    assert.ok(bodies.every((b) => b.length >= OFF_THREAD_MIN_BODY_BYTES));
    const results = bodies.map((b) => decoder.decode('PutRecords', 'json', b));
    assert.ok(
      results.every((r) => r instanceof Promise),
      'large bodies go to a worker',
    );
    const decoded = await Promise.all(results);
    decoded.forEach((input, i) => assert.deepEqual(input, decodeInput('PutRecords', 'json', bodies[i]!)));
  } finally {
    await decoder.close();
  }
});

test('small bodies and other operations are decoded at once, on the calling thread', async () => {
  const decoder = new OffThreadDecoder(1);
  try {
    const small = body(3, 10);
    assert.deepEqual(decoder.decode('PutRecords', 'json', small), decodeInput('PutRecords', 'json', small));
    const list = Buffer.from('{"Limit":5}');
    assert.deepEqual(decoder.decode('ListStreams', 'json', list), { Limit: 5 });
  } finally {
    await decoder.close();
  }
});

test('a bad large body rejects with the error decodeInput throws', async () => {
  const decoder = new OffThreadDecoder(1);
  try {
    const bad = Buffer.from(body(100, 900).toString('utf8').replace('"PartitionKey":"key-42-é"', '"PartitionKey":""'));
    const expected = (() => {
      try {
        decodeInput('PutRecords', 'json', bad);
      } catch (error) {
        return error as KinesisError;
      }
      assert.fail('decodeInput accepted an empty partition key');
    })();
    await assert.rejects(Promise.resolve(decoder.decode('PutRecords', 'json', bad)), (error: unknown) => {
      assert.ok(error instanceof AwsError);
      assert.equal(error.code, expected.code);
      assert.equal(error.message, expected.message);
      return true;
    });
  } finally {
    await decoder.close();
  }
});

test('requests a worker still holds when it stops are decoded in line, none lost', async () => {
  const decoder = new OffThreadDecoder(1);
  const bodies = Array.from({ length: 6 }, () => body(200, 900));
  const pending = bodies.map((b) => decoder.decode('PutRecords', 'json', b));
  await decoder.close(); // terminates the worker with requests in flight
  const decoded = await Promise.all(pending.map((input) => Promise.resolve(input)));
  decoded.forEach((input, i) => assert.deepEqual(input, decodeInput('PutRecords', 'json', bodies[i]!)));
  // With no worker left, large bodies are decoded in line.
  assert.ok(!(decoder.decode('PutRecords', 'json', bodies[0]!) instanceof Promise));
});
