/**
 * appendMany: several shards' appends queued as one group, acknowledged with one promise, through
 * the same group commit as append.
 */

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { BIG_LIMITS, ioError, openTemp, patchFileHandle, readAll, record, removeDir, text } from './helpers.js';
import type { LocalStorage } from '../../src/storage/local/index.js';
import { MAX_APPEND_BYTES, MAX_BATCH_APPENDS, MAX_BATCH_BYTES, MAX_PENDING_BYTES } from '../../src/storage/local/limits.js';
import type { AppendPart, AppendResult, StreamLog } from '../../src/storage/types.js';

const MiB = 1024 * 1024;

/** Checks that each part's records read back at the cursors its result gives, shard by shard. */
async function checkParts(log: StreamLog, parts: AppendPart[], results: AppendResult[]): Promise<void> {
  assert.equal(results.length, parts.length);
  const byShard = new Map<number, Array<{ cursor: bigint; value: string }>>();
  parts.forEach((part, p) => {
    const list = byShard.get(part.shard) ?? [];
    part.records.forEach((r, i) => list.push({ cursor: results[p]!.firstCursor + BigInt(i), value: Buffer.from(r.data).toString() }));
    byShard.set(part.shard, list);
  });
  for (const [shard, want] of byShard) {
    const got = await readAll(log, shard, 0n, 10_000);
    assert.deepEqual(
      got.map((r) => ({ cursor: r.cursor, value: text(r) })),
      want,
      `shard ${shard}`,
    );
  }
}

describe('stream log: appendMany', () => {
  let storage: LocalStorage;
  let dataDir: string;
  let clock = 1_700_000_000_000;

  before(async () => {
    // Every flush reads the clock once: a new arrival time per flush shows where batches split.
    ({ storage, dataDir } = await openTemp({ now: () => clock++ }));
  });
  after(async () => {
    await storage.close();
    removeDir(dataDir);
  });

  let n = 0;
  const freshLog = () => storage.records.open(`many-${n++}`);

  it('appends to several shards at once: results in the parts order, records at their cursors', async () => {
    const log = await freshLog();
    const parts: AppendPart[] = [
      { shard: 3, records: [record('k', 'a1'), record('k', 'a2')] },
      { shard: 0, records: [record('k', 'b1')] },
      { shard: 3, records: [record('k', 'c1')] }, // a second part for shard 3 follows the first
      { shard: 7, records: [record('k', 'd1'), record('k', 'd2'), record('k', 'd3')] },
    ];
    const results = await log.appendMany(parts);
    assert.equal(results[2]!.firstCursor, results[0]!.firstCursor + 2n, 'same shard, same flush: one chunk');
    assert.equal(new Set(results.map((r) => r.arrivalMs)).size, 1, 'one flush');
    await checkParts(log, parts, results);
    assert.deepEqual(await log.appendMany([]), []);
  });

  it('a group with more parts than a batch takes is still written whole, in one flush', async () => {
    const log = await freshLog();
    const parts: AppendPart[] = Array.from({ length: MAX_BATCH_APPENDS + 100 }, (_, i) => ({
      shard: i % 13,
      records: [record(`k${i}`, `v${i}`)],
    }));
    const results = await log.appendMany(parts);
    // A request is stored wholly or not at all: never split between two writes and syncs.
    assert.equal(new Set(results.map((r) => r.arrivalMs)).size, 1, 'the group took one flush');
    await checkParts(log, parts, results);
  });

  it('a group with more bytes than a batch takes goes alone, whole, and an append after it follows it', async () => {
    const log = await freshLog();
    const partBytes = Math.floor(MAX_BATCH_BYTES * 0.4);
    const big = (tag: string) => record('k', Buffer.alloc(partBytes, tag));
    const parts: AppendPart[] = [
      { shard: 0, records: [big('a')] },
      { shard: 1, records: [big('b'), record('k', 'b-small')] },
      { shard: 0, records: [big('c')] }, // past the batch bound, yet in the group's one flush
    ];
    const [results, after] = await Promise.all([log.appendMany(parts), log.append(0, [record('k', 'after')])]);
    assert.equal(new Set(results.map((r) => r.arrivalMs)).size, 1, 'the group took one flush');
    assert.notEqual(after.arrivalMs, results[0]!.arrivalMs, 'the append after it took the next flush');
    assert.ok(after.firstCursor > results[2]!.firstCursor);
    const shard0 = await readAll(log, 0, 0n, 10);
    assert.deepEqual(
      shard0.map((r) => [r.cursor, r.data.length, r.data[0]]),
      [
        [results[0]!.firstCursor, partBytes, 'a'.charCodeAt(0)],
        [results[2]!.firstCursor, partBytes, 'c'.charCodeAt(0)],
        [after.firstCursor, 5, 'a'.charCodeAt(0)],
      ],
    );
    const shard1 = await readAll(log, 1, 0n, 10);
    assert.deepEqual(
      shard1.map((r) => r.cursor),
      [results[1]!.firstCursor, results[1]!.firstCursor + 1n],
    );
    assert.equal(text(shard1[1]!), 'b-small');
  });

  it('one invalid part refuses the whole group, and nothing is written', async () => {
    const log = await freshLog();
    const valid = { shard: 0, records: [record('k', 'valid')] };
    const tooBig = { partitionKey: 'k', data: Buffer.allocUnsafe(MAX_APPEND_BYTES) }; // its header tips it over
    const tip = await log.tipCursor(0);
    await assert.rejects(log.appendMany([valid, { shard: -1, records: [record('k', 'v')] }]), RangeError);
    await assert.rejects(log.appendMany([valid, { shard: 1, records: [] }]), RangeError);
    await assert.rejects(log.appendMany([valid, { shard: 1, records: [{ partitionKey: 'k', data: 'text' as never }] }]), TypeError);
    await assert.rejects(log.appendMany([valid, { shard: 1, records: [tooBig] }]), RangeError);
    await assert.rejects(log.appendMany([valid, undefined as never]), TypeError);
    await assert.rejects(log.appendMany('parts' as never), TypeError);
    await new Promise((resolve) => setImmediate(resolve)); // a flush would have started by now
    assert.equal(await log.tipCursor(0), tip, 'nothing was written');
    assert.deepEqual((await log.read(0, 0n, BIG_LIMITS)).records, []);
    assert.deepEqual((await log.read(1, 0n, BIG_LIMITS)).records, []);
  });

  it('appends and appendMany calls to one shard are laid out in call order', async () => {
    const log = await freshLog();
    const calls = await Promise.all([
      log.append(1, [record('k', 'a')]),
      log.appendMany([
        { shard: 1, records: [record('k', 'b1'), record('k', 'b2')] },
        { shard: 2, records: [record('k', 'x')] },
        { shard: 1, records: [record('k', 'c')] },
      ]),
      log.append(1, [record('k', 'd')]),
      log.appendMany([{ shard: 1, records: [record('k', 'e')] }]),
    ]);
    const [a, [b, , c], d, [e]] = calls;
    const records = await readAll(log, 1);
    assert.deepEqual(
      records.map((r) => [text(r), r.cursor]),
      [
        ['a', a.firstCursor],
        ['b1', b!.firstCursor],
        ['b2', b!.firstCursor + 1n],
        ['c', c!.firstCursor],
        ['d', d.firstCursor],
        ['e', e!.firstCursor],
      ],
    );
    assert.deepEqual((await readAll(log, 2)).map(text), ['x']);
  });
});

describe('stream log: appendMany when the disk is behind or failing', () => {
  it('refuses a group whose total bytes would overfill the queue, though each part alone would fit', async () => {
    const { storage, dataDir } = await openTemp();
    const log = await storage.records.open('s');
    // The queued appends below are never written: the first write fails (and fails the log).
    const restore = await patchFileHandle('write', async () => {
      throw ioError('write');
    });
    try {
      const filler = Buffer.allocUnsafe(60 * MiB); // shared: only the first batch ever copies it
      const queued = Array.from({ length: 4 }, () => log.append(0, [record('k', filler)])); // 240 MiB waiting
      const partData = Buffer.allocUnsafe(Math.ceil((MAX_PENDING_BYTES - 240 * MiB) / 2) + 1024);
      const parts = [
        { shard: 1, records: [record('k', partData)] },
        { shard: 2, records: [record('k', partData)] },
      ];
      await assert.rejects(log.appendMany(parts), { name: 'StorageOverloadedError' });
      const alone = log.append(1, [record('k', partData)]); // accepted: the group queued nothing
      for (const append of [...queued, alone]) await assert.rejects(append, { name: 'StorageFailedError' });
      assert.deepEqual((await log.read(1, 0n, BIG_LIMITS)).records, []);
      assert.deepEqual((await log.read(2, 0n, BIG_LIMITS)).records, []);
    } finally {
      restore();
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('a failed sync rejects the group, readers never see any of it, and the next append works', async () => {
    const { storage, dataDir } = await openTemp({ fsync: 'always' });
    try {
      const log = await storage.records.open('s');
      await log.append(0, [record('k', 'durable')]);
      const restore = await patchFileHandle('datasync', async () => {
        throw ioError('fdatasync');
      });
      try {
        const parts = Array.from({ length: 5 }, (_, i) => ({ shard: i, records: [record('k', `lost${i}`)] }));
        await assert.rejects(log.appendMany(parts), { name: 'StorageFailedError' });
      } finally {
        restore();
      }
      await log.appendMany([{ shard: 0, records: [record('k', 'next')] }]); // no restart needed
      for (let shard = 0; shard < 5; shard++) {
        assert.deepEqual((await readAll(log, shard)).map(text), shard === 0 ? ['durable', 'next'] : []);
      }
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });
});
