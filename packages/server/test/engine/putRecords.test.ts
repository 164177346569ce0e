/**
 * PutRecords in the engine, in process: one appendMany per request, the per-shard bookkeeping
 * around it (appends in flight, fan-out wake-ups), and storage overload answered as throttling of
 * every routed record. The storage is the local engine, wrapped to observe and refuse calls.
 */

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/services/kinesis/engine/engine.js';
import type { LiveStream } from '../../src/services/kinesis/engine/catalog.js';
import { openTemp, removeDir } from '../storage/helpers.js';
import type { LocalStorage } from '../../src/storage/local/index.js';
import { StorageOverloadedError, type AppendPart, type RecordStore, type StreamLog } from '../../src/storage/types.js';

const ctx = { account: '000000000000', region: 'us-east-1' };
const STREAM = 'many-shards';
const SHARDS = 16;

interface Probe {
  overloaded: boolean;
  appendMany: number;
  append: number;
  /** The stream's appends in flight per shard, as each appendMany call began. */
  inFlight: Array<Map<number, number>>;
}

/** Delegates to a real log; counts the appends, and refuses appendMany while overloaded. */
function observed(log: StreamLog, probe: Probe, live: () => LiveStream): StreamLog {
  return {
    append: (shard, records) => {
      probe.append++;
      return log.append(shard, records);
    },
    appendMany: (parts: ReadonlyArray<AppendPart>) => {
      probe.appendMany++;
      probe.inFlight.push(new Map(live().appending));
      if (probe.overloaded) return Promise.reject(new StorageOverloadedError('too much waiting'));
      return log.appendMany(parts);
    },
    read: (shard, from, limits) => log.read(shard, from, limits),
    tipCursor: (shard) => log.tipCursor(shard),
    issuedCursorBound: () => log.issuedCursorBound(),
    cursorAtTime: (shard, timeMs) => log.cursorAtTime(shard, timeMs),
    lastArrivalMs: (shard) => log.lastArrivalMs(shard),
    trim: (notBeforeMs) => log.trim(notBeforeMs),
    damage: () => log.damage(),
    close: () => log.close(),
  };
}

describe('engine: PutRecords over many shards', () => {
  let storage: LocalStorage;
  let dataDir: string;
  let engine: Engine;
  const probe: Probe = { overloaded: false, appendMany: 0, append: 0, inFlight: [] };
  const woken: number[] = [];
  const live = () => engine['catalog'].get({ ...ctx, name: STREAM })!;

  before(async () => {
    ({ storage, dataDir } = await openTemp());
    const records: RecordStore = {
      open: async (id) => observed(await storage.records.open(id), probe, live),
      destroy: (id) => storage.records.destroy(id),
      damage: () => storage.records.damage(),
      verify: (id) => storage.records.verify(id),
      close: () => storage.records.close(),
    };
    engine = await Engine.open(storage.metadata, records, { createStreamMs: 0 });
    const wake = engine.data.onAppended;
    engine.data.onAppended = (stream, shard) => {
      woken.push(shard);
      wake(stream, shard);
    };
    await engine.control.createStream(ctx, { StreamName: STREAM, ShardCount: SHARDS });
    while (engine.control.describeStreamSummary(ctx, { StreamName: STREAM }).StreamDescriptionSummary.StreamStatus !== 'ACTIVE') {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  after(async () => {
    await engine.close();
    await storage.close();
    removeDir(dataDir);
  });

  const request = (n: number) => ({
    StreamName: STREAM,
    Records: Array.from({ length: n }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.from(`value-${i}`) })),
  });
  const reset = () => {
    Object.assign(probe, { appendMany: 0, append: 0, inFlight: [] });
    woken.length = 0;
  };

  it('makes one appendMany for every shard touched, and keeps request order within a shard', async () => {
    reset();
    const out = await engine.data.putRecords(ctx, request(200));
    assert.equal(out.FailedRecordCount, 0);
    assert.deepEqual([probe.appendMany, probe.append], [1, 0]);
    const shards = new Set(out.Records.map((r) => r.ShardId));
    assert.equal(shards.size, SHARDS, '200 keys reach every shard');
    // Every touched shard was counted in flight during the call, and is no longer.
    assert.deepEqual(
      [...probe.inFlight[0]!.values()],
      Array.from({ length: SHARDS }, () => 1),
    );
    assert.equal(live().appending.size, 0);
    assert.deepEqual(
      [...woken].sort((a, b) => a - b),
      Array.from({ length: SHARDS }, (_, i) => i),
      'fan-out woken once per shard',
    );
    for (const shardId of shards) {
      const sequenceNumbers = out.Records.filter((r) => r.ShardId === shardId).map((r) => BigInt(r.SequenceNumber!));
      for (let i = 1; i < sequenceNumbers.length; i++) assert.ok(sequenceNumbers[i]! > sequenceNumbers[i - 1]!);
    }
  });

  it('answers storage overload by throttling every routed record, not by failing the request', async () => {
    reset();
    const accepted = await engine.data.putRecords(ctx, request(50));
    probe.overloaded = true;
    try {
      reset();
      const out = await engine.data.putRecords(ctx, request(50));
      assert.equal(out.FailedRecordCount, 50);
      out.Records.forEach((entry, i) => {
        assert.deepEqual(entry, {
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: `Rate exceeded for shard ${accepted.Records[i]!.ShardId} in stream ${STREAM} under account ${ctx.account}.`,
        });
      });
      assert.equal(live().appending.size, 0, 'refused appends are no longer in flight');
      assert.equal(new Set(woken).size, woken.length, 'each shard woken once');
      assert.equal(woken.length, new Set(accepted.Records.map((r) => r.ShardId)).size);
    } finally {
      probe.overloaded = false;
    }
  });
});
