/**
 * Property: whatever the interleaving of appends and appendMany calls (same turn or not, any
 * shards, a shard repeated within a call), segment rolls (tiny segments) and index cache
 * evictions (tiny cache), reading each shard from 0 returns exactly what was appended, in call
 * order, at the cursors the calls returned; and the same after a close and reopen at random
 * points.
 */

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { openTemp, readAll, removeDir, segmentFiles, streamDir } from './helpers.js';
import type { StreamLog } from '../../src/storage/types.js';

interface Expected {
  cursor: bigint;
  partitionKey: string;
  data: string;
}

const appendArb = fc.record({
  shard: fc.integer({ min: 0, max: 4 }),
  records: fc.array(fc.record({ key: fc.string({ maxLength: 6, unit: 'binary' }), size: fc.integer({ min: 0, max: 400 }) }), {
    minLength: 1,
    maxLength: 6,
  }),
});
/** A call: an append (one part) or an appendMany (zero or more parts, shards may repeat). */
const callArb = fc.oneof(
  appendArb.map((part) => ({ many: false, parts: [part] })),
  fc.array(appendArb, { maxLength: 5 }).map((parts) => ({ many: true, parts })),
);
const groupArb = fc.record({ calls: fc.array(callArb, { minLength: 1, maxLength: 6 }), reopenAfter: fc.boolean() });
const scenarioArb = fc.record({
  groups: fc.array(groupArb, { minLength: 1, maxLength: 12 }),
  maxChunksPerSegment: fc.integer({ min: 1, max: 16 }),
  segmentBytes: fc.constantFrom(1024, 4096, 64 * 1024),
  readSize: fc.integer({ min: 1, max: 9 }),
  fsync: fc.constantFrom('never' as const, 'never' as const, 'always' as const),
});

async function checkAll(log: StreamLog, expected: Map<number, Expected[]>, readSize: number): Promise<void> {
  for (let shard = 0; shard <= 4; shard++) {
    const want = expected.get(shard) ?? [];
    const got = await readAll(log, shard, 0n, readSize);
    assert.deepEqual(
      got.map((r) => ({ cursor: r.cursor, partitionKey: r.partitionKey, data: r.data.toString('latin1') })),
      want,
    );
    for (const r of got) assert.ok(r.cursor < (await log.tipCursor(shard)));
  }
}

describe('stream log properties', () => {
  it('reads back every append, in order, across rolls, evictions and reopens', async () => {
    let serial = 0;
    let runsWithRolls = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const options = {
          fsync: scenario.fsync,
          segmentBytes: scenario.segmentBytes,
          maxChunksPerSegment: scenario.maxChunksPerSegment,
          indexCacheBytes: 1, // every sealed index is evicted as soon as another loads
        };
        const opened = await openTemp(options);
        const { dataDir } = opened;
        let { storage } = opened;
        const expected = new Map<number, Expected[]>();
        try {
          let log = await storage.records.open('p');
          for (const group of scenario.groups) {
            const calls = await Promise.all(
              group.calls.map(async (call) => {
                const parts = call.parts.map((append) => ({
                  shard: append.shard,
                  records: append.records.map((r) => ({
                    partitionKey: r.key,
                    data: Buffer.from(`#${serial++}:`.padEnd(r.size, '.'), 'latin1'),
                  })),
                }));
                const results = call.many ? await log.appendMany(parts) : [await log.append(parts[0]!.shard, parts[0]!.records)];
                return { parts, results };
              }),
            );
            for (const { parts, results } of calls) {
              parts.forEach(({ shard, records }, p) => {
                const list = expected.get(shard) ?? [];
                records.forEach((r, i) =>
                  list.push({
                    cursor: results[p]!.firstCursor + BigInt(i),
                    partitionKey: r.partitionKey,
                    data: Buffer.from(r.data).toString('latin1'),
                  }),
                );
                expected.set(shard, list);
              });
            }
            if (group.reopenAfter) {
              await storage.close();
              ({ storage } = await openTemp({ ...options, dataDir }));
              log = await storage.records.open('p');
            }
          }
          // `expected` is in call order, so comparing it with reads (cursor order) checks that
          // records of one shard are laid out in call order.
          if (segmentFiles(streamDir(dataDir)).length > 1) runsWithRolls++;
          await checkAll(log, expected, scenario.readSize);
          await storage.close();
          ({ storage } = await openTemp({ ...options, dataDir }));
          await checkAll(await storage.records.open('p'), expected, scenario.readSize);
        } finally {
          await storage.close();
          removeDir(dataDir);
        }
      }),
      { numRuns: 60 },
    );
    assert.ok(runsWithRolls > 10, `segments rolled in ${runsWithRolls} runs only`);
  });
});
