import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BIG_LIMITS, ioError, openTemp, patchFileHandle, readAll, record, removeDir, streamDir, text } from './helpers.js';
import type { LocalStorage } from '../../src/storage/local/index.js';
import type { StreamLog } from '../../src/storage/types.js';

describe('stream log: append and read', () => {
  let storage: LocalStorage;
  let dataDir: string;
  let clock = 1_700_000_000_000;

  before(async () => {
    ({ storage, dataDir } = await openTemp({ now: () => clock }));
  });
  after(async () => {
    await storage.close();
    removeDir(dataDir);
  });

  let n = 0;
  const freshLog = () => storage.records.open(`log-${n++}`);

  it('round-trips records with keys, data, cursors and arrival time', async () => {
    const log = await freshLog();
    const result = await log.append(0, [record('a', 'one'), record('b', 'two'), record('c', '')]);
    assert.equal(result.arrivalMs, clock);
    const read = await log.read(0, 0n, BIG_LIMITS);
    assert.deepEqual(
      read.records.map((r) => [r.partitionKey, text(r), r.cursor, r.arrivalMs]),
      [
        ['a', 'one', result.firstCursor, clock],
        ['b', 'two', result.firstCursor + 1n, clock],
        ['c', '', result.firstCursor + 2n, clock],
      ],
    );
    assert.equal(read.atTip, true);
    assert.equal(read.nextCursor, result.firstCursor + 3n);
    assert.ok(Buffer.isBuffer(read.records[0]!.data));
    assert.equal(log.lastArrivalMs(0), clock);
    assert.equal(log.lastArrivalMs(1), undefined);
  });

  it('keeps unicode partition keys and binary data intact', async () => {
    const log = await freshLog();
    const data = Buffer.from([0, 255, 1, 254, 0xf5, 0]);
    await log.append(3, [record('ключ-🔑-键', data), record('x'.repeat(256), Buffer.alloc(0))]);
    const [first, second] = (await log.read(3, 0n, BIG_LIMITS)).records;
    assert.equal(first!.partitionKey, 'ключ-🔑-键');
    assert.deepEqual(first!.data, data);
    assert.equal(second!.partitionKey, 'x'.repeat(256));
    assert.equal(second!.data.length, 0);
  });

  it('interleaves shards: each shard reads back its own records in order', async () => {
    const log = await freshLog();
    const expected = new Map<number, string[]>();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const shard = (i * 7) % 5;
      const value = `s${shard}-${i}`;
      expected.set(shard, [...(expected.get(shard) ?? []), value]);
      pending.push(log.append(shard, [record(`k${i}`, value)]));
      if (i % 37 === 0) await Promise.all(pending.splice(0)); // mix same-turn and later appends
    }
    await Promise.all(pending);
    for (const [shard, values] of expected) {
      const records = await readAll(log, shard, 0n, 7);
      assert.deepEqual(records.map(text), values);
      for (let i = 1; i < records.length; i++) assert.ok(records[i]!.cursor > records[i - 1]!.cursor, 'cursors strictly increase');
    }
  });

  it('appends issued in one turn get their own cursors, in call order, in one chunk per shard', async () => {
    const log = await freshLog();
    const results = await Promise.all([
      log.append(1, [record('k', 'a1'), record('k', 'a2')]),
      log.append(2, [record('k', 'b1')]),
      log.append(1, [record('k', 'c1')]),
    ]);
    assert.equal(results[2]!.firstCursor, results[0]!.firstCursor + 2n, 'same shard, same flush: one chunk');
    assert.ok(new Set(results.map((r) => r.arrivalMs)).size === 1, 'one flush, one arrival time');
    const records = (await log.read(1, 0n, BIG_LIMITS)).records;
    assert.deepEqual(
      records.map((r) => [text(r), r.cursor]),
      [
        ['a1', results[0]!.firstCursor],
        ['a2', results[0]!.firstCursor + 1n],
        ['c1', results[2]!.firstCursor],
      ],
    );
  });

  it('honours maxRecords and maxBytes, and always returns at least one record', async () => {
    const log = await freshLog();
    for (let i = 0; i < 10; i++) await log.append(0, [record('k', 'x'.repeat(100) + i)]);
    const two = await log.read(0, 0n, { maxRecords: 2, maxBytes: 1 << 20, notBeforeMs: 0 });
    assert.equal(two.records.length, 2);
    assert.equal(two.atTip, false);
    assert.equal(two.nextCursor, two.records[1]!.cursor + 1n);
    // Each record counts key + data bytes: 1 + 101.
    const byBytes = await log.read(0, 0n, { maxRecords: 100, maxBytes: 102 * 3, notBeforeMs: 0 });
    assert.equal(byBytes.records.length, 3);
    const oversized = await log.read(0, 0n, { maxRecords: 100, maxBytes: 1, notBeforeMs: 0 });
    assert.equal(oversized.records.length, 1, 'a record bigger than maxBytes still comes back alone');
    const all = await readAll(log, 0, 0n, 3);
    assert.deepEqual(
      all.map(text),
      Array.from({ length: 10 }, (_, i) => 'x'.repeat(100) + i),
    );
  });

  it('reads AFTER a cursor with cursor + 1n, and AT a cursor with the cursor itself', async () => {
    const log = await freshLog();
    const a = await log.append(0, [record('k', 'r0'), record('k', 'r1'), record('k', 'r2')]);
    const b = await log.append(0, [record('k', 'r3')]);
    const at = await log.read(0, a.firstCursor + 1n, BIG_LIMITS);
    assert.deepEqual(at.records.map(text), ['r1', 'r2', 'r3']);
    const afterLastOfChunk = await log.read(0, a.firstCursor + 2n + 1n, BIG_LIMITS);
    assert.deepEqual(afterLastOfChunk.records.map(text), ['r3']);
    const afterLast = await log.read(0, b.firstCursor + 1n, BIG_LIMITS);
    assert.deepEqual(afterLast.records, []);
    assert.equal(afterLast.atTip, true);
    assert.ok(afterLast.nextCursor >= b.firstCursor + 1n);
  });

  it('tipCursor: a read from the tip sees exactly what is appended afterwards', async () => {
    const log = await freshLog();
    await log.append(4, [record('k', 'old')]);
    const tip = await log.tipCursor(4);
    const empty = await log.read(4, tip, BIG_LIMITS);
    assert.deepEqual(empty.records, []);
    assert.equal(empty.atTip, true);
    assert.ok(empty.nextCursor >= tip);
    await log.append(5, [record('k', 'other shard')]);
    const appended = await log.append(4, [record('k', 'new')]);
    assert.ok(appended.firstCursor >= tip);
    const next = await log.read(4, empty.nextCursor, BIG_LIMITS);
    assert.deepEqual(next.records.map(text), ['new']);
  });

  it('a shard never written reads empty at the tip; a cursor beyond the tip reads empty', async () => {
    const log = await freshLog();
    await log.append(0, [record('k', 'v')]);
    const nothing = await log.read(9, 0n, BIG_LIMITS);
    assert.deepEqual(nothing, { records: [], nextCursor: await log.tipCursor(9), atTip: true });
    const far = 1n << 80n;
    assert.deepEqual(await log.read(0, far, BIG_LIMITS), { records: [], nextCursor: far, atTip: true });
  });

  it('keeps a single append larger than a chunk whole, with consecutive cursors', async () => {
    const log = await freshLog();
    const big = Array.from({ length: 300 }, (_, i) => record(`k${i}`, Buffer.alloc(8 * 1024, i % 256)));
    const result = await log.append(0, big);
    const records = await readAll(log, 0, 0n, 1000);
    assert.equal(records.length, 300);
    records.forEach((r, i) => {
      assert.equal(r.cursor, result.firstCursor + BigInt(i));
      assert.equal(r.data[0], i % 256);
    });
  });

  it('rejects invalid appends and reads', async () => {
    const log = await freshLog();
    await assert.rejects(log.append(0, []), RangeError);
    await assert.rejects(log.append(-1, [record('k', 'v')]), RangeError);
    await assert.rejects(log.append(1.5, [record('k', 'v')]), RangeError);
    await assert.rejects(log.append(0, [{ partitionKey: 'k', data: 'text' as never }]), TypeError);
    await assert.rejects(log.read(0, -1n, BIG_LIMITS), RangeError);
    await assert.rejects(log.read(0, 0n, { ...BIG_LIMITS, maxRecords: 0 }), RangeError);
  });

  it('arrival times never go backwards even when the clock does', async () => {
    const log = await freshLog();
    const first = await log.append(0, [record('k', 'a')]);
    clock -= 60_000;
    const second = await log.append(0, [record('k', 'b')]);
    clock += 60_000;
    assert.equal(second.arrivalMs, first.arrivalMs);
  });
});

describe('record store', () => {
  it('open twice returns the same log; destroy refuses an open log and removes a closed one', async () => {
    const { storage, dataDir } = await openTemp();
    try {
      const [a, b] = await Promise.all([storage.records.open('s'), storage.records.open('s')]);
      assert.equal(a, b);
      assert.equal(await storage.records.open('s'), a);
      await a.append(0, [record('k', 'v')]);
      await assert.rejects(storage.records.destroy('s'), /open/);
      const dir = streamDir(dataDir);
      await a.close();
      await assert.rejects(a.append(0, [record('k', 'v')]), /closed/);
      await storage.records.destroy('s');
      assert.equal(fs.existsSync(dir), false);
      await storage.records.destroy('never-existed');
      const again: StreamLog = await storage.records.open('s');
      assert.notEqual(again, a);
      assert.deepEqual((await again.read(0, 0n, BIG_LIMITS)).records, [], 'a destroyed stream starts empty');
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('open while the log is closing waits for the close and opens it afresh', async () => {
    const { storage, dataDir } = await openTemp();
    try {
      const log = await storage.records.open('s');
      const appended = log.append(0, [record('k', 'before close')]);
      const closing = log.close();
      const reopened = await storage.records.open('s');
      await closing;
      await appended;
      assert.notEqual(reopened, log);
      assert.deepEqual((await readAll(reopened, 0)).map(text), ['before close']);
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('close flushes appends still pending, and they are there after reopening', async () => {
    const { storage, dataDir } = await openTemp({ fsync: 'always' });
    const log = await storage.records.open('s');
    const appends = Array.from({ length: 50 }, (_, i) => log.append(i % 3, [record('k', `v${i}`)]));
    await storage.close();
    await Promise.all(appends);
    const reopened = await openTemp({ dataDir, fsync: 'always' });
    try {
      const log2 = await reopened.storage.records.open('s');
      for (const shard of [0, 1, 2]) {
        const got = (await readAll(log2, shard)).map(text);
        assert.deepEqual(
          got,
          Array.from({ length: 50 }, (_, i) => i)
            .filter((i) => i % 3 === shard)
            .map((i) => `v${i}`),
        );
      }
    } finally {
      await reopened.storage.close();
      removeDir(dataDir);
    }
  });

  it('refuses a second open of the same data directory', async () => {
    const { storage, dataDir } = await openTemp();
    try {
      await assert.rejects(openTemp({ dataDir }), /already open/);
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });
});

describe('write failures', () => {
  it('a failed fdatasync refuses its append, the next one works without a restart, and nothing refused survives', async () => {
    const { storage, dataDir } = await openTemp({ fsync: 'always' });
    const log = await storage.records.open('s');
    await log.append(0, [record('k', 'durable')]);
    const restore = await patchFileHandle('datasync', async () => {
      throw ioError('fdatasync');
    });
    try {
      await assert.rejects(log.append(0, [record('k', 'lost')]), { name: 'StorageFailedError' });
    } finally {
      restore();
    }
    assert.deepEqual((await readAll(log, 0)).map(text), ['durable'], 'readers never saw the failed batch');
    const next = await log.append(0, [record('k', 'next')]);
    assert.deepEqual((await readAll(log, 0)).map(text), ['durable', 'next']);
    await storage.close();
    const reopened = await openTemp({ dataDir, fsync: 'always' });
    try {
      const again = await reopened.storage.records.open('s');
      // The failed batch was cut back: only what was acknowledged is there.
      assert.deepEqual((await readAll(again, 0)).map(text), ['durable', 'next']);
      const after = await again.append(0, [record('k', 'works again')]);
      assert.ok(after.firstCursor > next.firstCursor);
      assert.equal((await readAll(again, 0)).map(text).at(-1), 'works again');
    } finally {
      await reopened.storage.close();
      removeDir(dataDir);
    }
  });
});
