/**
 * The fast GetRecords JSON writer must write exactly the bytes of the general, model-driven
 * writer, whatever the records hold: binary data of any length, partition keys that need
 * escaping or are not ASCII, timestamps or none, encryption, and every optional output member.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { writeGetRecordsJson } from '../../src/services/kinesis/codec/getRecordsJson.js';
import { jsonWriterOf } from '@freshet/aws';
import { KINESIS_MODEL } from '../../src/services/kinesis/model.js';
import type { GetRecordsOutput } from '../../src/services/kinesis/shapes.generated.js';

const generalWrite = (output: GetRecordsOutput): Buffer => Buffer.from(jsonWriterOf(KINESIS_MODEL, 'GetRecordsOutput')(output), 'utf8');

const record = fc.record(
  {
    SequenceNumber: fc.bigInt({ min: 0n, max: 10n ** 60n }).map(String),
    ApproximateArrivalTimestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms)),
    Data: fc.uint8Array({ maxLength: 70 }).map((bytes) => Buffer.from(bytes)),
    // 'binary' strings include quotes, backslashes, controls, non-ASCII and lone surrogates.
    PartitionKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    EncryptionType: fc.constantFrom('NONE' as const, 'KMS' as const),
  },
  { requiredKeys: ['SequenceNumber', 'Data', 'PartitionKey'] },
);
const childShard = fc.record({
  ShardId: fc.constant('shardId-000000000004'),
  ParentShards: fc.array(fc.constantFrom('shardId-000000000001', 'shardId-000000000002'), { minLength: 1, maxLength: 2 }),
  HashKeyRange: fc.record({ StartingHashKey: fc.constant('0'), EndingHashKey: fc.constant('340282366920938463463374607431768211455') }),
});
const output = fc.record(
  {
    Records: fc.array(record, { maxLength: 30 }),
    NextShardIterator: fc.stringMatching(/^[A-Za-z0-9+/=]{1,40}$/),
    MillisBehindLatest: fc.nat(),
    ChildShards: fc.array(childShard, { maxLength: 2 }),
  },
  { requiredKeys: ['Records'] },
);

test("the fast GetRecords writer writes exactly the general writer's bytes", () => {
  fc.assert(
    fc.property(output, (value) => {
      assert.deepEqual(writeGetRecordsJson(value), generalWrite(value));
    }),
    { numRuns: 500 },
  );
});

test('records that share an arrival time each carry it', () => {
  const arrival = new Date(1_700_000_000_123);
  const value: GetRecordsOutput = {
    Records: [1, 2, 3].map((i) => ({
      SequenceNumber: String(i),
      ApproximateArrivalTimestamp: arrival,
      Data: Buffer.from([i]),
      PartitionKey: 'k',
    })),
    MillisBehindLatest: 0,
  };
  const parsed = JSON.parse(writeGetRecordsJson(value).toString('utf8'));
  assert.deepEqual(
    parsed.Records.map((r: { ApproximateArrivalTimestamp: number }) => r.ApproximateArrivalTimestamp),
    [1700000000.123, 1700000000.123, 1700000000.123],
  );
  assert.deepEqual(
    parsed.Records.map((r: { Data: string }) => r.Data),
    ['AQ==', 'Ag==', 'Aw=='],
  );
});

test('an empty answer is well-formed', () => {
  assert.equal(writeGetRecordsJson({ Records: [] }).toString(), '{"Records":[]}');
  assert.equal(
    writeGetRecordsJson({ Records: [], MillisBehindLatest: 5, NextShardIterator: 'abc' }).toString(),
    '{"MillisBehindLatest":5,"NextShardIterator":"abc","Records":[]}',
  );
});
