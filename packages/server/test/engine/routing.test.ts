/**
 * Routing a hash key to its shard: the binary search (top 48 bits as numbers, whole keys only on
 * a tie) must find the shard whose range holds the key, judged here with BigInt arithmetic, for
 * even splits, uneven ranges and keys on and next to every range boundary.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { evenHashRanges, hashKeyToBuffer, MAX_HASH_KEY } from '../../src/services/kinesis/engine/hashKeys.js';
import { RoutingTable, type ShardState } from '../../src/services/kinesis/engine/shards.js';

const shardsOf = (ranges: Array<{ start: bigint; end: bigint }>): ShardState[] =>
  ranges.map(({ start, end }, index) => ({ index, startingHashKey: String(start), endingHashKey: String(end), createdMs: 0 }));

/** The shard holding key, by the definition: start <= key <= end. */
const owner = (shards: ShardState[], key: bigint) =>
  shards.find((shard) => BigInt(shard.startingHashKey) <= key && key <= BigInt(shard.endingHashKey))!.index;

/** Ranges cut at sorted, distinct points in (0, 2^128): any widths, even ones of a single key. */
const unevenRanges = fc.uniqueArray(fc.bigInt({ min: 1n, max: MAX_HASH_KEY }), { minLength: 0, maxLength: 40 }).map((cuts) => {
  const sorted = [...cuts].sort((a, b) => (a < b ? -1 : 1));
  const starts = [0n, ...sorted];
  return starts.map((start, i) => ({ start, end: i + 1 < starts.length ? starts[i + 1]! - 1n : MAX_HASH_KEY }));
});

test('every key routes to the shard whose range holds it, boundaries included', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 1, max: 300 }).map(evenHashRanges), unevenRanges),
      fc.array(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), { maxLength: 20 }),
      (ranges, randomKeys) => {
        const shards = shardsOf(ranges);
        const table = new RoutingTable(shards);
        // Keys on a boundary and one either side share their top 48 bits with it: the tie path.
        const boundaryKeys = ranges
          .flatMap(({ start }) => [start - 1n, start, start + 1n])
          .filter((key) => key >= 0n && key <= MAX_HASH_KEY);
        for (const key of [...randomKeys, ...boundaryKeys, 0n, MAX_HASH_KEY]) {
          assert.equal(table.route(hashKeyToBuffer(key)).index, owner(shards, key), `key ${key}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('routing skips closed shards and orders open ones by their starting key', () => {
  const [low, high] = evenHashRanges(2);
  const shards: ShardState[] = [
    { index: 0, startingHashKey: '0', endingHashKey: String(MAX_HASH_KEY), createdMs: 0, closedMs: 1 },
    { index: 2, startingHashKey: String(high!.start), endingHashKey: String(high!.end), createdMs: 1 },
    { index: 1, startingHashKey: String(low!.start), endingHashKey: String(low!.end), createdMs: 1 },
  ];
  const table = new RoutingTable(shards);
  assert.equal(table.route(hashKeyToBuffer(0n)).index, 1);
  assert.equal(table.route(hashKeyToBuffer(high!.start - 1n)).index, 1);
  assert.equal(table.route(hashKeyToBuffer(high!.start)).index, 2);
  assert.equal(table.route(hashKeyToBuffer(MAX_HASH_KEY)).index, 2);
});
