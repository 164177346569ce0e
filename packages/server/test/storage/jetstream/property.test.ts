/**
 * Property, as test/storage/property.test.ts checks the local engine: whatever the interleaving
 * of appends and appendMany calls (issued in the same turn or not, any shards, a shard repeated
 * within a call), reading each shard from 0 in reads of any size returns exactly what was
 * appended, in call order, at the cursors the calls returned; and the same through another
 * node's store, and after the log is closed and opened again.
 */

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startNatsCluster, type NatsCluster } from '../../helpers/natsCluster.js';
import { readAll } from '../helpers.js';
import type { StreamLog } from '../../../src/storage/types.js';
import { openNode, type JetStreamNode } from './helpers.js';

interface Expected {
  cursor: bigint;
  partitionKey: string;
  data: string;
}

const SHARDS = 4;
const appendArb = fc.record({
  shard: fc.integer({ min: 0, max: SHARDS - 1 }),
  records: fc.array(fc.record({ key: fc.string({ maxLength: 6, unit: 'binary' }), size: fc.integer({ min: 0, max: 300 }) }), {
    minLength: 1,
    maxLength: 5,
  }),
});
const callArb = fc.oneof(
  appendArb.map((part) => ({ many: false, parts: [part] })),
  fc.array(appendArb, { maxLength: 4 }).map((parts) => ({ many: true, parts })),
);
const scenarioArb = fc.record({
  groups: fc.array(fc.record({ calls: fc.array(callArb, { minLength: 1, maxLength: 5 }), reopenAfter: fc.boolean() }), {
    minLength: 1,
    maxLength: 6,
  }),
  readSize: fc.integer({ min: 1, max: 7 }),
});

async function checkAll(log: StreamLog, expected: Map<number, Expected[]>, readSize: number): Promise<void> {
  for (let shard = 0; shard < SHARDS; shard++) {
    const got = await readAll(log, shard, 0n, readSize);
    assert.deepEqual(
      got.map((r) => ({ cursor: r.cursor, partitionKey: r.partitionKey, data: r.data.toString('latin1') })),
      expected.get(shard) ?? [],
    );
    const tip = await log.tipCursor(shard);
    for (const r of got) assert.ok(r.cursor < tip);
  }
}

describe('JetStream stream log properties', { timeout: 300_000 }, () => {
  let cluster: NatsCluster;
  let nodes: JetStreamNode[];

  before(async () => {
    cluster = await startNatsCluster(3);
    nodes = [await openNode(cluster.urls), await openNode(cluster.urls)];
  });
  after(async () => {
    for (const node of nodes ?? []) await node.close();
    await cluster?.stop();
  });

  it('reads back every append, in order, at its cursors, through either node and across reopens', async () => {
    let serial = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const id = `prop-${Date.now().toString(36)}-${run++}`;
        const expected = new Map<number, Expected[]>();
        let log = await nodes[0]!.store.open(id);
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
            await log.close();
            log = await nodes[0]!.store.open(id);
          }
        }
        // `expected` is in call order: comparing it with reads (cursor order) checks the layout.
        await checkAll(log, expected, scenario.readSize);
        const other = await nodes[1]!.store.open(id);
        await checkAll(other, expected, scenario.readSize);
        await log.close();
        await other.close();
        await nodes[0]!.store.destroy(id);
      }),
      { numRuns: 15 },
    );
  });
});
