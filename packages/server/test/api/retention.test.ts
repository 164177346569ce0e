/**
 * Retention, on a manual clock with real hours (the test moves time on by the day): records are
 * readable within the retention, gone from TRIM_HORIZON after it, while younger records stay;
 * once every record of a segment expired the segment file is deleted (docs/storage.md,
 * Retention) and the data directory shrinks; records put afterwards are read.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GetShardIteratorCommand, GetRecordsCommand, PutRecordsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import type { ManualClock } from '../../src/core/clock.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import { createActiveStream, eventually, readShard, text } from '../helpers/api.js';

const RETENTION_HOUR_MS = 3_600_000;
/** How often the engine reclaims expired records, at most (engine.ts MAX_TRIM_INTERVAL_MS). */
const TRIM_INTERVAL_MS = 60_000;
const RETENTION_MS = 24 * RETENTION_HOUR_MS;
const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];

/** Every file under dir, with its size. */
function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path, statSync(path).size);
  }
  return out;
}
const total = (files: Map<string, number>) => [...files.values()].reduce((a, b) => a + b, 0);

describe('retention', () => {
  let server: TestNode<ManualClock>;
  let kinesis: KinesisClient;

  nodePerSuite(
    () => startNode({ clock: 'manual', engine: { retentionHourMs: RETENTION_HOUR_MS } }),
    (started) => {
      server = started;
      kinesis = started.kinesis;
    },
  );

  const readAll = async (name: string) => {
    const records: _Record[] = [];
    for (const shardId of SHARDS) records.push(...(await readShard(kinesis, name, shardId)));
    return records;
  };
  const put = async (name: string, prefix: string, count: number, bytes: number) => {
    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: Array.from({ length: count }, (_, i) => ({
          PartitionKey: `${prefix}-${i}`,
          Data: Buffer.from(`${prefix}-${i}|`.padEnd(bytes, '.')),
        })),
      }),
    );
    assert.equal(result.FailedRecordCount, 0);
  };
  const prefixes = (records: _Record[]) => [...new Set(records.map((r) => text(r.Data).split('-')[0]))].sort();

  it('expires records after the retention period, deletes their segments, and keeps serving new records', async () => {
    const name = uniqueName('retention');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const streamsDir = join(server.dataDir, 'streams');

    // Batch A: readable at once.
    await put(name, 'a', 200, 2048);
    const aByShard = new Map<string, _Record[]>();
    for (const shardId of SHARDS) aByShard.set(shardId, await readShard(kinesis, name, shardId));
    const a = [...aByShard.values()].flat();
    assert.equal(a.length, 200);
    const aArrival = Math.max(...a.map((r) => r.ApproximateArrivalTimestamp!.getTime()));
    assert.equal(aArrival, server.clock.now(), "arrival is the node clock's time");
    const filesWithA = filesUnder(streamsDir);
    const segmentsWithA = [...filesWithA.keys()].filter((path) => path.endsWith('.log'));
    assert.ok(segmentsWithA.length > 0, `segment files under ${streamsDir}: ${[...filesWithA.keys()].join(', ')}`);
    assert.ok(total(filesWithA) >= 200 * 2048, `the data directory holds batch A (${total(filesWithA)} bytes)`);

    // Batch B, half a retention period younger.
    await server.clock.advance(RETENTION_MS / 2);
    await put(name, 'b', 10, 100);

    // A is still there a millisecond before its retention ends...
    await server.clock.advance(RETENTION_MS / 2 - 1);
    assert.equal((await readAll(name)).filter((r) => text(r.Data).startsWith('a-')).length, 200, 'A within its retention');
    // ...and expires after it, while B stays.
    await server.clock.advance(2);
    const whenAGone = await eventually(async () => {
      const records = await readAll(name);
      return records.some((r) => text(r.Data).startsWith('a-')) ? undefined : { records };
    }, 'batch A to expire');
    assert.deepEqual(prefixes(whenAGone.records), ['b']);
    assert.equal(whenAGone.records.length, 10, 'every record of B is still there');
    // AT_TIMESTAMP before the trim horizon starts at the oldest record kept.
    const atOld = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: name,
        ShardId: SHARDS[0],
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: new Date(aArrival - 1000),
      }),
    );
    const fromOld = await kinesis.send(new GetRecordsCommand({ ShardIterator: atOld.ShardIterator }));
    assert.ok(fromOld.Records!.every((r) => text(r.Data).startsWith('b-')));

    // Then B expires too, and the segments that held A and B are deleted: the directory shrinks.
    await server.clock.advance(RETENTION_MS / 2 + TRIM_INTERVAL_MS);
    await eventually(async () => ((await readAll(name)).length === 0 ? true : undefined), 'batch B to expire');
    const afterTrim = await eventually(
      async () => {
        const files = filesUnder(streamsDir);
        return segmentsWithA.every((path) => !files.has(path)) ? files : undefined;
      },
      `the expired segments (${segmentsWithA.join(', ')}) to be deleted`,
    );
    assert.ok(total(afterTrim) < total(filesWithA) / 4, `the data directory shrank: ${total(filesWithA)} -> ${total(afterTrim)} bytes`);

    // Records put now are read from TRIM_HORIZON, after the old ones in sequence.
    await put(name, 'c', 20, 100);
    let count = 0;
    for (const shardId of SHARDS) {
      const c = await readShard(kinesis, name, shardId);
      count += c.length;
      assert.deepEqual(prefixes(c), c.length ? ['c'] : []);
      const oldest = aByShard.get(shardId)!.at(-1);
      for (const record of c) {
        if (oldest)
          assert.ok(BigInt(record.SequenceNumber!) > BigInt(oldest.SequenceNumber!), 'sequence numbers keep growing after a trim');
      }
    }
    assert.equal(count, 20);
  });
});
