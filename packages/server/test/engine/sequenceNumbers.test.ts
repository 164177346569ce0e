import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  encodeSequenceNumber,
  encodeSequenceNumbers,
  encodeSequenceRun,
  MAX_CURSOR,
  parseSequenceNumber,
} from '../../src/services/kinesis/engine/sequenceNumbers.js';

const cursor = fc.bigInt({ min: 0n, max: MAX_CURSOR - 1_000_001n });
const shardIndex = fc.integer({ min: 0, max: 0x7fffffff });
/** Epoch seconds from 2015 to 2100. */
const seconds = fc.integer({ min: 1_420_070_400, max: 4_102_444_800 });
const arrivalMs = seconds.map((s) => s * 1000 + 123);

test('a run of sequence numbers is the same as encoding each one, across limb carries', () => {
  fc.assert(
    fc.property(shardIndex, seconds, cursor, fc.integer({ min: 1, max: 600 }), arrivalMs, (shard, created, first, count, arrival) => {
      const run = encodeSequenceRun(shard, created, first, count, arrival);
      run.forEach((sequence, i) => assert.equal(sequence, encodeSequenceNumber(shard, created, first + BigInt(i), arrival)));
    }),
  );
});

test('the sequence numbers of a read (runs of cursors with gaps and arrival changes) are each one encoded', () => {
  const steps = fc.array(fc.tuple(fc.oneof(fc.constant(1n), fc.bigInt({ min: 2n, max: 1n << 40n })), fc.integer({ min: 0, max: 2500 })), {
    maxLength: 50,
  });
  fc.assert(
    fc.property(shardIndex, seconds, cursor, arrivalMs, steps, (shard, created, first, arrival, gaps) => {
      const records = [{ cursor: first, arrivalMs: arrival }];
      for (const [gap, later] of gaps) {
        const previous = records[records.length - 1]!;
        records.push({ cursor: (previous.cursor + gap) % MAX_CURSOR, arrivalMs: previous.arrivalMs + later });
      }
      assert.deepEqual(
        encodeSequenceNumbers(shard, created, records),
        records.map((r) => encodeSequenceNumber(shard, created, r.cursor, r.arrivalMs)),
      );
    }),
  );
});

test("the layout is AWS's version 2, field by field, printed as 56 decimal digits", () => {
  fc.assert(
    fc.property(shardIndex, seconds, cursor, arrivalMs, (shard, created, at, arrival) => {
      const sequence = encodeSequenceNumber(shard, created, at, arrival);
      assert.match(sequence, /^[1-9]\d{55}$/);
      const hex = BigInt(sequence).toString(16);
      assert.equal(hex.length, 47);
      assert.equal(hex[0], '2');
      assert.equal(parseInt(hex.slice(1, 10), 16), created);
      assert.equal(parseInt(hex[10]!, 16), shard % 16);
      assert.equal(BigInt('0x' + hex.slice(11, 27)), at);
      assert.equal(hex.slice(27, 29), '00');
      assert.equal(parseInt(hex.slice(29, 38), 16), Math.max(Math.floor(arrival / 1000), created));
      assert.equal(parseInt(hex.slice(38, 46), 16), shard);
      assert.equal(hex[46], '2');
      assert.deepEqual(parseSequenceNumber(sequence), {
        layout: 2,
        shardIndex: shard,
        shardSeconds: created,
        cursor: at,
        arrivalSeconds: Math.max(Math.floor(arrival / 1000), created),
      });
    }),
  );
});

test("no record's number is below its shard's StartingSequenceNumber, whatever its arrival time", () => {
  fc.assert(
    fc.property(shardIndex, seconds, cursor, arrivalMs, (shard, created, at, arrival) => {
      const start = encodeSequenceNumber(shard, created, 0n, created * 1000);
      assert.ok(BigInt(encodeSequenceNumber(shard, created, at, arrival)) >= BigInt(start));
    }),
  );
});

test('within a shard, numbers compare as big integers as their cursors do, whatever the arrival times', () => {
  fc.assert(
    fc.property(shardIndex, seconds, cursor, cursor, arrivalMs, arrivalMs, (shard, created, a, b, arrivalA, arrivalB) => {
      const sa = BigInt(encodeSequenceNumber(shard, created, a, arrivalA));
      const sb = BigInt(encodeSequenceNumber(shard, created, b, arrivalB));
      if (a !== b) assert.equal(sa < sb, a < b);
    }),
  );
});

test("AWS's published number decodes to sensible fields", () => {
  // From AWS's documentation (PutRecord's example output).
  const parsed = parseSequenceNumber('49590338271490256608559692538361571095921575989136588898');
  assert.deepEqual(parsed, {
    layout: 2,
    shardIndex: 6,
    shardSeconds: Date.UTC(2018, 10, 21, 4, 57, 38) / 1000,
    cursor: 1_734_642_199n,
    arrivalSeconds: Date.UTC(2018, 11, 17, 22, 10, 50) / 1000,
  });
});

test("a closed shard's range as AWS printed it: index 0 at creation, the largest index at closing", () => {
  // A DescribeStream of a split stream recorded against AWS (2015), shardId-000000000000.
  const start = parseSequenceNumber('49548859072970256769156879668947671610661756289899560962');
  const end = parseSequenceNumber('49548859072981407141756144980517230543978492779512725506');
  const created = Date.UTC(2015, 2, 16, 17, 26, 24) / 1000;
  assert.deepEqual(start, { layout: 2, shardIndex: 0, shardSeconds: created, cursor: 0n, arrivalSeconds: created });
  assert.deepEqual(end, {
    layout: 2,
    shardIndex: 0,
    shardSeconds: created,
    cursor: MAX_CURSOR,
    arrivalSeconds: Date.UTC(2015, 2, 16, 17, 32, 56) / 1000,
  });
  // Freshet prints the same numbers for the same fields.
  assert.equal(encodeSequenceNumber(0, created, 0n, created * 1000), '49548859072970256769156879668947671610661756289899560962');
  assert.equal(
    encodeSequenceNumber(0, created, MAX_CURSOR, Date.UTC(2015, 2, 16, 17, 32, 56, 999)),
    '49548859072981407141756144980517230543978492779512725506',
  );
});

test("AWS's older layouts and Freshet's previous one are told apart", () => {
  // Small numbers read as version 0 (AWS answers '5' as encoding shard 5).
  assert.deepEqual(parseSequenceNumber('5'), { layout: 0, shardSeconds: 0, shardIndex: 5, printed: ((1n << 124n) + 5n).toString() });
  assert.equal(parseSequenceNumber('0')?.layout, 0);
  // Freshet's 51-digit layout: 4·10^50 + shard·10^26 + cursor.
  assert.deepEqual(parseSequenceNumber((4n * 10n ** 50n + 7n * 10n ** 26n + 42n).toString()), {
    layout: 'freshet-51',
    shardIndex: 7,
    cursor: 42n,
  });
  assert.equal(parseSequenceNumber(BigInt('0x20000000000000000000000000000000000000000000001').toString())?.layout, 1);
  assert.deepEqual(parseSequenceNumber(BigInt('0x20000000000000000000000000000000000000000000003').toString()), { layout: 3 });
});

test('malformed sequence numbers do not parse', () => {
  const hex = (h: string) => BigInt('0x' + h).toString();
  for (const text of [
    '',
    '4x',
    '-1',
    '1'.repeat(200),
    hex('20000000000800000000000000000000000000000000002'), // sequence index's top bit
    hex('20000000000000000000000000000000000000800000002'), // shard index's top bit
    hex('30000000000000000000000000000000000000000000001'), // starts with 3
    hex('20000000000000000000000000000000000000000000004'), // version 4
    hex('13bb2cc3d80000000000000000000000'), // version 0 with a creation time too late
  ]) {
    assert.equal(parseSequenceNumber(text), undefined, text);
  }
});

test('a cursor beyond the 63-bit index is refused, never folded into another number', () => {
  assert.throws(() => encodeSequenceNumber(0, 0, MAX_CURSOR + 1n, 0), /63-bit/);
  assert.throws(() => encodeSequenceRun(0, 0, MAX_CURSOR, 2, 0), /63-bit/);
  assert.equal(encodeSequenceRun(0, 0, MAX_CURSOR, 1, 0).length, 1);
});
