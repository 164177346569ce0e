/**
 * The fast PutRecords answer writer must write exactly the general, model-driven writer's text,
 * for answers mixing acknowledged records and failed ones (whose messages can hold anything),
 * with and without EncryptionType.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonWriterOf } from '@freshet/aws';
import { KINESIS_MODEL } from '../../src/services/kinesis/model.js';
import { writePutRecordsJson } from '../../src/services/kinesis/codec/putRecordsOutputJson.js';
import type { PutRecordsOutput } from '../../src/services/kinesis/shapes.generated.js';

const generalWrite = jsonWriterOf(KINESIS_MODEL, 'PutRecordsOutput');

const acknowledged = fc.record({
  SequenceNumber: fc.bigInt({ min: 0n, max: 10n ** 60n }).map(String),
  ShardId: fc.nat({ max: 1_000_000 }).map((n) => `shardId-${String(n).padStart(12, '0')}`),
});
// 'binary' strings include quotes, backslashes, controls, non-ASCII and lone surrogates.
const failed = fc.record({
  ErrorCode: fc.constantFrom('ProvisionedThroughputExceededException', 'InternalFailure', 'KMSThrottlingException'),
  ErrorMessage: fc.string({ unit: 'binary', maxLength: 60 }),
});
const output = fc.record(
  {
    FailedRecordCount: fc.nat({ max: 500 }),
    Records: fc.array(fc.oneof(acknowledged, acknowledged, failed), { maxLength: 40 }),
    EncryptionType: fc.constantFrom('NONE' as const, 'KMS' as const),
  },
  { requiredKeys: ['Records'] },
);

test("the fast PutRecords writer writes exactly the general writer's text", () => {
  fc.assert(
    fc.property(output, (value: PutRecordsOutput) => {
      assert.equal(writePutRecordsJson(value), generalWrite(value));
    }),
    { numRuns: 500 },
  );
});

test('an answer with no records is still well-formed JSON', () => {
  assert.equal(writePutRecordsJson({ FailedRecordCount: 0, Records: [] }), '{"FailedRecordCount":0,"Records":[]}');
  assert.deepEqual(JSON.parse(writePutRecordsJson({ Records: [], EncryptionType: 'KMS' })), { EncryptionType: 'KMS', Records: [] });
});
