/**
 * The fast PutRecords JSON reader must agree with the general path on every body it accepts, and
 * give way (undefined) on every body it does not fully understand.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeInput } from '../../src/services/kinesis/codec/codec.js';
import { parseJsonBody, jsonReaderOf } from '@freshet/aws';
import { readPutRecordsJson } from '../../src/services/kinesis/codec/putRecordsJson.js';
import { KINESIS_MODEL } from '../../src/services/kinesis/model.js';

/** The general path: JSON.parse, then the model-driven reader. */
function generalRead(body: Buffer): unknown {
  return jsonReaderOf(KINESIS_MODEL, 'PutRecordsInput')(parseJsonBody(body));
}

const record = fc.record(
  {
    Data: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    PartitionKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    ExplicitHashKey: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String),
  },
  { requiredKeys: ['Data', 'PartitionKey'] },
);
const body = fc.record(
  {
    Records: fc.array(record, { minLength: 1, maxLength: 20 }),
    StreamName: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,20}$/),
    StreamARN: fc.constant('arn:aws:kinesis:us-east-1:123456789012:stream/s'),
  },
  { requiredKeys: ['Records'] },
);

test('on well-formed bodies the fast reader gives exactly what the general path gives', () => {
  fc.assert(
    fc.property(body, fc.boolean(), (input, pretty) => {
      const bytes = Buffer.from(JSON.stringify(input, null, pretty ? 2 : undefined), 'utf8');
      const fast = readPutRecordsJson(bytes);
      const general = generalRead(bytes);
      // Partition keys with characters JSON escapes (quotes, controls) go the general way.
      if (fast !== undefined) assert.deepEqual(fast, general);
      else assert.match(JSON.stringify(input), /\\/);
    }),
    { numRuns: 500 },
  );
});

test('the fast reader gives way on anything it does not fully understand', () => {
  const cases = [
    '{"Records":[{"Data":"QQ==","PartitionKey":"a\\u00e9"}]}', // escape
    '{"Records":[{"Data":"QR==","PartitionKey":"a"}]}', // non-canonical base64
    '{"Records":[{"Data":"Q-==","PartitionKey":"a"}]}', // base64url
    '{"Records":[{"Data":null,"PartitionKey":"a"}]}', // null
    '{"Records":[{"Data":"QQ==","PartitionKey":1}]}', // wrong type
    '{"Records":[{"Data":"QQ==","PartitionKey":"a","Extra":1}]}', // unknown member
    '{"Records":[],"Records":[]}', // repeated member
    '{"Records":[{"Data":"QQ==","PartitionKey":"a"}]', // truncated
    '{"Records":[{"Data":"QQ==","PartitionKey":"a"}]} x', // trailing garbage
    '{"StreamName":"s"}', // no records
    '[]',
  ];
  for (const text of cases) assert.equal(readPutRecordsJson(Buffer.from(text)), undefined, text);
});

test("errors are the general path's: decodeInput answers the same for bodies the fast reader refuses", () => {
  const body = Buffer.from('{"Records":[{"Data":"QR==","PartitionKey":"a"}],"StreamName":"s"}');
  assert.throws(() => decodeInput('PutRecords', 'json', body), { name: 'Error', code: 'SerializationException' } as object);
  const tooMany = Buffer.from(
    JSON.stringify({ StreamName: 's', Records: Array.from({ length: 501 }, () => ({ Data: '', PartitionKey: 'k' })) }),
  );
  assert.throws(
    () => decodeInput('PutRecords', 'json', tooMany),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ValidationException');
      assert.match(err.message, /at 'records' failed to satisfy constraint: Member must have length less than or equal to 500/);
      return true;
    },
  );
});
