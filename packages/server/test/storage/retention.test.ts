import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BIG_LIMITS, indexFiles, openTemp, readAll, record, removeDir, segmentFiles, streamDir, text } from './helpers.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

/** A log whose segments hold about two appends each (1 KiB segments, 300-byte records). */
async function openWithClock() {
  let clock = T0;
  const opened = await openTemp({ segmentBytes: 1024, now: () => clock });
  const log = await opened.storage.records.open('retention');
  return { ...opened, log, setClock: (t: number) => (clock = t) };
}

describe('retention', () => {
  it('reads skip expired records; trim deletes whole expired segments, never the active one', async () => {
    const { storage, dataDir, log, setClock } = await openWithClock();
    try {
      for (let hour = 0; hour < 10; hour++) {
        setClock(T0 + hour * HOUR);
        await log.append(0, [record('k', `h${hour}`.padEnd(300, '.'))]);
        await log.append(1, [record('k', `other${hour}`.padEnd(300, '.'))]);
      }
      const dir = streamDir(dataDir);
      const before = segmentFiles(dir);
      assert.ok(before.length >= 8, `expected many segments, got ${before.length}`);

      const notBefore = T0 + 6 * HOUR;
      const live = await readAll(log, 0, 0n, 100, notBefore);
      assert.deepEqual(
        live.map((r) => text(r).slice(0, 3).replace(/\.+$/, '')),
        ['h6', 'h7', 'h8', 'h9'],
      );
      assert.ok(live.every((r) => r.arrivalMs >= notBefore));

      // A read from an expired cursor continues at the first live record.
      const first = await log.read(0, 0n, { maxRecords: 1, maxBytes: 1e6, notBeforeMs: notBefore });
      assert.equal(text(first.records[0]!).slice(0, 2), 'h6');

      await log.trim(notBefore);
      const after = segmentFiles(dir);
      assert.ok(after.length < before.length, 'old segments were deleted');
      for (const name of before.filter((n) => !after.includes(n))) {
        assert.equal(fs.existsSync(path.join(dir, name)), false);
        assert.equal(fs.existsSync(path.join(dir, name.replace('.log', '.idx'))), false, 'with their index');
      }
      assert.equal(indexFiles(dir).length, after.length - 1, 'every remaining sealed segment keeps its index');
      // Nothing unexpired was lost, even read without any expiry.
      const remaining = await readAll(log, 0, 0n, 100, 0);
      assert.ok(remaining.length >= 4 && remaining.length < 10);
      assert.deepEqual(
        remaining.slice(-4).map((r) => text(r).slice(0, 2)),
        ['h6', 'h7', 'h8', 'h9'],
      );
      assert.equal(log.lastArrivalMs(0), T0 + 9 * HOUR);
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('cursorAtTime finds the first record at or after a time, across segments, or the tip', async () => {
    const { storage, dataDir, log, setClock } = await openWithClock();
    try {
      const cursors: bigint[] = [];
      for (let hour = 0; hour < 8; hour++) {
        setClock(T0 + hour * HOUR);
        if (hour % 2 === 0) await log.append(1, [record('k', `x${hour}`.padEnd(300, '.'))]); // shard 1 every other hour
        cursors.push((await log.append(0, [record('k', `h${hour}`.padEnd(300, '.'))])).firstCursor);
      }
      assert.ok(segmentFiles(streamDir(dataDir)).length >= 5);
      assert.equal(await log.cursorAtTime(0, 0), cursors[0]);
      assert.equal(await log.cursorAtTime(0, T0 + 3 * HOUR), cursors[3]);
      assert.equal(await log.cursorAtTime(0, T0 + 3 * HOUR - 1), cursors[3]);
      assert.equal(await log.cursorAtTime(0, T0 + 3 * HOUR + 1), cursors[4]);
      assert.equal(await log.cursorAtTime(0, T0 + 100 * HOUR), await log.tipCursor(0));
      const shard1 = await log.cursorAtTime(1, T0 + 3 * HOUR);
      const fromThere = await log.read(1, shard1, BIG_LIMITS);
      assert.deepEqual(
        fromThere.records.map((r) => text(r).slice(0, 2)),
        ['x4', 'x6'],
      );
      assert.equal(await log.cursorAtTime(7, T0), await log.tipCursor(7), 'a shard with no records: the tip');
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('when everything expired, trim rolls and deletes the active segment too, and the log goes on', async () => {
    const { storage, dataDir, log, setClock } = await openWithClock();
    try {
      await log.append(0, [record('k', 'old')]);
      const tipBefore = await log.tipCursor(0);
      setClock(T0 + 48 * HOUR);
      await log.trim(T0 + 24 * HOUR);
      const dir = streamDir(dataDir);
      assert.equal(segmentFiles(dir).length, 1, 'only a new, empty active segment is left');
      assert.equal(fs.statSync(path.join(dir, segmentFiles(dir)[0]!)).size, 0);
      assert.equal(await log.tipCursor(0), tipBefore, 'positions are never reused');
      const empty = await log.read(0, 0n, BIG_LIMITS);
      assert.deepEqual(empty.records, []);
      assert.equal(empty.nextCursor, tipBefore);
      assert.equal(log.lastArrivalMs(0), undefined);
      const fresh = await log.append(0, [record('k', 'new')]);
      assert.ok(fresh.firstCursor >= tipBefore);
      assert.deepEqual((await log.read(0, empty.nextCursor, BIG_LIMITS)).records.map(text), ['new']);
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('trim while reads and appends are in flight loses nothing that is not expired', async () => {
    const { storage, dataDir, log, setClock } = await openWithClock();
    try {
      const values: string[] = [];
      for (let i = 0; i < 40; i++) {
        setClock(T0 + i * 1000);
        values.push(`v${i}`);
        await log.append(0, [record('k', `v${i}`.padEnd(200, '.'))]);
      }
      const notBefore = T0 + 20_000;
      const work: Promise<unknown>[] = [];
      for (let i = 40; i < 60; i++) {
        values.push(`v${i}`);
        work.push(log.append(0, [record('k', `v${i}`.padEnd(200, '.'))]));
        work.push(readAll(log, 0, 0n, 3, notBefore));
        if (i % 5 === 0) work.push(log.trim(notBefore));
      }
      await Promise.all(work);
      const live = await readAll(log, 0, 0n, 7, notBefore);
      assert.deepEqual(
        live.map((r) => text(r).replace(/\.+$/, '')),
        values.slice(20),
      );
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });
});
