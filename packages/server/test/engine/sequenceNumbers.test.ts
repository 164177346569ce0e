import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CURSOR_LIMIT,
  decodeSequenceNumber,
  encodeSequenceNumber,
  encodeSequenceNumbers,
  encodeSequenceRun,
} from '../../src/services/kinesis/engine/sequenceNumbers.js';

const cursor = fc.bigInt({ min: 0n, max: CURSOR_LIMIT - 1_000_001n });
const shardIndex = fc.integer({ min: 0, max: 0x7fffffff });

test('a run of sequence numbers is the same as encoding each one, across digit carries', () => {
  fc.assert(
    fc.property(shardIndex, cursor, fc.integer({ min: 1, max: 600 }), (shard, first, count) => {
      const run = encodeSequenceRun(shard, first, count);
      run.forEach((sequence, i) => assert.equal(sequence, encodeSequenceNumber(shard, first + BigInt(i))));
    }),
  );
  const nearCarry = 999_999_990n;
  assert.deepEqual(
    encodeSequenceRun(3, nearCarry, 20),
    Array.from({ length: 20 }, (_, i) => encodeSequenceNumber(3, nearCarry + BigInt(i))),
  );
});

test('the sequence numbers of a read (runs of consecutive cursors with gaps) are each one encoded', () => {
  const steps = fc.array(fc.oneof(fc.constant(1n), fc.bigInt({ min: 2n, max: 1n << 40n })), { maxLength: 50 });
  fc.assert(
    fc.property(shardIndex, cursor, steps, (shard, first, gaps) => {
      const cursors = [first];
      for (const gap of gaps) cursors.push((cursors[cursors.length - 1]! + gap) % CURSOR_LIMIT);
      assert.deepEqual(
        encodeSequenceNumbers(shard, cursors),
        cursors.map((c) => encodeSequenceNumber(shard, c)),
      );
    }),
  );
});

test('sequence numbers decode to their shard and cursor, and order as big integers within a shard', () => {
  fc.assert(
    fc.property(shardIndex, cursor, cursor, (shard, a, b) => {
      const sa = encodeSequenceNumber(shard, a);
      assert.deepEqual(decodeSequenceNumber(sa), { shardIndex: shard, cursor: a });
      assert.equal(sa.length, 51);
      assert.equal(BigInt(sa) < BigInt(encodeSequenceNumber(shard, b)), a < b);
    }),
  );
});

test('foreign or malformed sequence numbers do not decode', () => {
  for (const text of ['', '0', '49590338271490256608559692538361571095921575989136588898', '4x', '-1', '1'.repeat(200)]) {
    assert.equal(decodeSequenceNumber(text), undefined, text);
  }
});
