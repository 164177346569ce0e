/**
 * Damaged files: a flipped byte costs only the chunk that holds it (the chunks after it stay
 * readable), damage is reported once and listed by damage() and verify(), a torn tail is cut only
 * after a copy is kept, and no cursor is ever issued twice, whatever was lost.
 */

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  errnoError,
  flipByte,
  indexFiles,
  openTemp,
  readAll,
  record,
  removeDir,
  segmentFiles,
  streamDir,
  tempDir,
  text,
  wrapFileHandle,
} from './helpers.js';
import { RESERVE_STEP_BYTES } from '../../src/storage/local/limits.js';
import type { StoredRecord, StreamLog } from '../../src/storage/types.js';

const ID = 'r';
const SHARDS = [0, 1];

interface Written {
  shard: number;
  cursor: bigint;
  value: string;
}

/** Appends `count` single-record flushes (one chunk each) to shards 0 and 1 alternately, closes. */
async function fill(dataDir: string, count: number, segmentBytes?: number): Promise<Written[]> {
  const { storage } = await openTemp({ dataDir, fsync: 'always', ...(segmentBytes ? { segmentBytes } : {}) });
  const log = await storage.records.open(ID);
  const written = await appendSome(log, 0, count);
  await storage.close();
  return written;
}

async function appendSome(log: StreamLog, from: number, count: number): Promise<Written[]> {
  const written: Written[] = [];
  for (let i = from; i < from + count; i++) {
    const value = `v${i}`.padEnd(200, '.');
    const shard = SHARDS[i % SHARDS.length]!;
    const { firstCursor } = await log.append(shard, [record(`k${i}`, value)]);
    written.push({ shard, cursor: firstCursor, value });
  }
  return written;
}

async function readEverything(log: StreamLog): Promise<StoredRecord[][]> {
  return Promise.all(SHARDS.map((shard) => readAll(log, shard)));
}

/** The written records that should still be readable: those outside the damaged positions. */
function outside(written: Written[], ranges: Array<{ from: number; to: number }>): Written[] {
  return written.filter(({ cursor }) => {
    const position = Number(cursor >> 20n);
    return !ranges.some((range) => position >= range.from && position < range.to);
  });
}

function assertReadable(shards: StoredRecord[][], expected: Written[]): void {
  for (const shard of SHARDS) {
    assert.deepEqual(
      shards[shard]!.map((r) => [r.cursor, text(r)]),
      expected.filter((w) => w.shard === shard).map((w) => [w.cursor, w.value]),
      `shard ${shard}`,
    );
  }
}

function maxCursor(written: Written[]): bigint {
  return written.reduce((max, w) => (w.cursor > max ? w.cursor : max), 0n);
}

function activeSegment(dataDir: string): string {
  const dir = streamDir(dataDir);
  return path.join(dir, segmentFiles(dir).at(-1)!);
}

/** Appends to every shard and checks the new cursors are above every cursor ever issued. */
async function assertNewCursorsAbove(log: StreamLog, issued: Written[]): Promise<void> {
  const above = maxCursor(issued);
  for (const shard of SHARDS) {
    const { firstCursor } = await log.append(shard, [record('new', `after-${shard}`)]);
    assert.ok(firstCursor > above, `shard ${shard}: new cursor ${firstCursor} above ${above}`);
    assert.equal((await readAll(log, shard)).map(text).at(-1), `after-${shard}`);
  }
}

describe('corruption: confinement, quarantine, no reuse', () => {
  it('a byte flipped in the middle of the active segment loses only its chunk; the log continues above', async () => {
    const dataDir = tempDir();
    try {
      const written = await fill(dataDir, 120);
      const file = activeSegment(dataDir);
      const relative = path.relative(dataDir, file);
      flipByte(file, Math.floor(fs.statSync(file).size / 2));
      const before = fs.readFileSync(file);

      const { storage, warnings } = await openTemp({ dataDir, fsync: 'always' });
      try {
        // verify() on a log that is not open: finds the damage, changes nothing.
        const verified = await storage.records.verify(ID);
        assert.equal(verified.length, 1, JSON.stringify(verified));
        assert.deepEqual(fs.readFileSync(file), before);

        const log = await storage.records.open(ID);
        const damage = log.damage();
        assert.equal(damage.length, 1, JSON.stringify(damage));
        assert.deepEqual(
          { ...damage[0]!, reason: '' },
          { log: ID, file: relative, from: verified[0]!.from, to: verified[0]!.to, reason: '' },
        );
        const survivors = outside(written, damage);
        assert.equal(written.length - survivors.length, 1, 'exactly one record (one chunk) is lost');
        assertReadable(await readEverything(log), survivors);
        assert.equal(warnings.filter((w) => /are damaged/.test(w)).length, 1, warnings.join('\n'));
        assert.deepEqual(storage.records.damage(), damage);
        await assertNewCursorsAbove(log, written);
        // The damaged bytes are still on disk (never erased): verify of the open log reports them.
        assert.deepEqual(
          (await storage.records.verify(ID)).map((d) => [d.from, d.to]),
          [[damage[0]!.from, damage[0]!.to]],
        );
      } finally {
        await storage.close();
      }
      // And after another restart, the same records, with the new ones.
      const again = await openTemp({ dataDir, fsync: 'always' });
      try {
        const log = await again.storage.records.open(ID);
        const shards = await readEverything(log);
        assert.equal(shards[0]!.length + shards[1]!.length, written.length - 1 + SHARDS.length);
      } finally {
        await again.storage.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });

  it('a sealed segment damaged, its index lost: the rebuild indexes the chunks after the bad bytes', async () => {
    const dataDir = tempDir();
    try {
      const written = await fill(dataDir, 60, 2048);
      const dir = streamDir(dataDir);
      const victim = segmentFiles(dir)[1]!;
      fs.rmSync(path.join(dir, victim.replace('.log', '.idx')));
      flipByte(path.join(dir, victim), 300); // the second chunk of the segment
      const { storage } = await openTemp({ dataDir, fsync: 'always', segmentBytes: 2048 });
      try {
        const log = await storage.records.open(ID);
        const damage = log.damage();
        assert.equal(damage.length, 1, JSON.stringify(damage));
        assert.equal(damage[0]!.file, path.relative(dataDir, path.join(dir, victim)));
        const survivors = outside(written, damage);
        assert.equal(written.length - survivors.length, 1);
        assertReadable(await readEverything(log), survivors);
        // A read that starts at the lost record's cursor moves past the hole to the next record.
        const lost = written.find((w) => !survivors.includes(w))!;
        const next = survivors.find((w) => w.shard === lost.shard && w.cursor > lost.cursor)!;
        const read = await log.read(lost.shard, lost.cursor, { maxRecords: 1, maxBytes: 1 << 20, notBeforeMs: 0 });
        assert.deepEqual(
          read.records.map((r) => r.cursor),
          [next.cursor],
        );
        await assertNewCursorsAbove(log, written);
      } finally {
        await storage.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });

  it('a torn tail is cut after a copy is kept aside, and the cursors it held are never issued again', async () => {
    const dataDir = tempDir();
    try {
      const written = await fill(dataDir, 20);
      const file = activeSegment(dataDir);
      const size = fs.statSync(file).size;
      const tail = fs.readFileSync(file).subarray(size - 100, size - 7);
      fs.truncateSync(file, size - 7); // the last chunk, acknowledged, is torn
      const { storage, warnings } = await openTemp({ dataDir, fsync: 'always' });
      try {
        const log = await storage.records.open(ID);
        const [damage] = log.damage();
        assert.ok(damage && damage.quarantined, JSON.stringify(log.damage()));
        assert.match(damage.reason, /torn tail/);
        const copy = fs.readFileSync(path.join(dataDir, damage.quarantined));
        assert.deepEqual(copy.subarray(copy.length - tail.length), tail, 'the cut bytes are kept');
        assert.equal(warnings.filter((w) => /truncating/.test(w)).length, 1);
        assertReadable(await readEverything(log), written.slice(0, -1));
        await assertNewCursorsAbove(log, written);
      } finally {
        await storage.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });

  it('after a crash that lost acknowledged records (a file cut below the high-water mark), no cursor is reused', async () => {
    const dataDir = tempDir();
    const crashed = tempDir();
    try {
      const { storage } = await openTemp({ dataDir, fsync: 'never' });
      const log = await storage.records.open(ID);
      const written = await appendSome(log, 0, 40);
      // The directory as a crash leaves it (no clean close), then acknowledged bytes lost.
      fs.cpSync(path.join(dataDir, 'streams'), path.join(crashed, 'streams'), { recursive: true });
      await storage.close();
      const file = activeSegment(crashed);
      fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
      const reopened = await openTemp({ dataDir: crashed, fsync: 'always' });
      try {
        const again = await reopened.storage.records.open(ID);
        const shards = await readEverything(again);
        const count = shards[0]!.length + shards[1]!.length;
        assert.ok(count > 0 && count < written.length);
        await assertNewCursorsAbove(again, written);
        assert.deepEqual(indexFiles(streamDir(crashed)).length, 1, 'the cut segment was sealed; the log moved on');
      } finally {
        await reopened.storage.close();
      }
    } finally {
      removeDir(dataDir);
      removeDir(crashed);
    }
  });

  it('a sealed segment cut short loses only the cut bytes; a lost high-water mark makes the log skip ahead', async () => {
    const dataDir = tempDir();
    try {
      const written = await fill(dataDir, 60, 2048);
      const dir = streamDir(dataDir);
      const victim = path.join(dir, segmentFiles(dir)[1]!);
      fs.truncateSync(victim, fs.statSync(victim).size - 10);
      fs.writeFileSync(path.join(dir, 'reserved-position'), 'garbage');
      const { storage } = await openTemp({ dataDir, fsync: 'always', segmentBytes: 2048 });
      try {
        const log = await storage.records.open(ID);
        const shards = await readEverything(log);
        assert.equal(shards[0]!.length + shards[1]!.length, written.length - 1);
        const reasons = log.damage().map((d) => d.reason);
        assert.ok(
          reasons.some((r) => /reserved-position/.test(r)),
          reasons.join('; '),
        );
        const { firstCursor } = await log.append(0, [record('k', 'after')]);
        assert.ok(firstCursor >= ((maxCursor(written) >> 20n) + BigInt(RESERVE_STEP_BYTES)) << 20n);
      } finally {
        await storage.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });

  it('a missing high-water mark (a log written before it existed) is a warning; the log still skips ahead', async () => {
    const dataDir = tempDir();
    try {
      const written = await fill(dataDir, 10);
      fs.rmSync(path.join(streamDir(dataDir), 'reserved-position'));
      const { storage, warnings } = await openTemp({ dataDir, fsync: 'always' });
      try {
        assert.deepEqual(await storage.records.verify(ID), []);
        const log = await storage.records.open(ID);
        assert.deepEqual(log.damage(), []);
        assert.equal(warnings.filter((w) => /reserved-position is missing/.test(w)).length, 1, warnings.join('\n'));
        const { firstCursor } = await log.append(0, [record('k', 'after')]);
        assert.ok(firstCursor >= ((maxCursor(written) >> 20n) + BigInt(RESERVE_STEP_BYTES)) << 20n);
      } finally {
        await storage.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });

  it('verify() reports a corrupt index without touching it; opening the log rebuilds it', async () => {
    const dataDir = tempDir();
    try {
      await fill(dataDir, 40, 2048);
      const dir = streamDir(dataDir);
      const victim = path.join(dir, indexFiles(dir)[0]!);
      const original = fs.readFileSync(victim);
      flipByte(victim, original.length - 3);
      const garbled = fs.readFileSync(victim);
      const { storage } = await openTemp({ dataDir, fsync: 'always', segmentBytes: 2048 });
      try {
        const found = await storage.records.verify(ID);
        assert.deepEqual(
          found.map((d) => d.file),
          [path.relative(dataDir, victim)],
        );
        assert.deepEqual(fs.readFileSync(victim), garbled, 'verify changes nothing');
        assert.deepEqual(await storage.records.verify('never-opened'), []);
        const log = await storage.records.open(ID);
        await readEverything(log);
        assert.deepEqual(fs.readFileSync(victim), original, 'rebuilt on first use');
        assert.deepEqual(await storage.records.verify(ID), []);
      } finally {
        await storage.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});

describe('disk full and write failures', () => {
  const big = (tag: string) => record('k', Buffer.alloc(100 * 1024, tag)); // written through the thread pool

  for (const code of ['ENOSPC', 'EDQUOT', 'EIO']) {
    it(`${code} half-way through a write: refused with ${code}, the partial bytes are cut, the next append works`, async () => {
      const { storage, dataDir } = await openTemp({ fsync: 'always' });
      try {
        const log = await storage.records.open(ID);
        const kept = await log.append(0, [record('k', 'kept')]);
        const file = activeSegment(dataDir);
        const sizeBefore = fs.statSync(file).size;
        const restore = await wrapFileHandle('write', async (real, args) => {
          const [buf, offset, length, position] = args as [Buffer, number, number, number];
          await real(buf, offset, Math.floor(length / 2), position); // some bytes land, then the disk is full
          throw errnoError(code, 'write');
        });
        try {
          const parts = [
            { shard: 0, records: [big('a')] },
            { shard: 1, records: [big('b'), big('c')] },
          ];
          const expected = code === 'EIO' ? /write failed/ : /the store is full/;
          await assert.rejects(log.appendMany(parts), { name: 'StorageFailedError', code, message: expected });
          assert.equal(fs.statSync(file).size, sizeBefore, 'the partial bytes were cut');
        } finally {
          restore();
        }
        const next = await log.appendMany([{ shard: 1, records: [big('d')] }]); // no restart
        assert.ok(next[0]!.firstCursor > kept.firstCursor);
        await storage.close();
        const again = await openTemp({ dataDir, fsync: 'always' });
        try {
          const reopened = await again.storage.records.open(ID);
          const [shard0, shard1] = await readEverything(reopened);
          assert.deepEqual(shard0!.map(text), ['kept']);
          assert.deepEqual(
            shard1!.map((r) => r.data[0]),
            ['d'.charCodeAt(0)],
            'nothing of the refused request survived the restart',
          );
        } finally {
          await again.storage.close();
        }
      } finally {
        removeDir(dataDir);
      }
    });
  }

  it('when the partial bytes cannot be cut, the log moves to a new segment past them and never indexes them', async () => {
    const { storage, dataDir } = await openTemp({ fsync: 'always' });
    try {
      const log = await storage.records.open(ID);
      await log.append(0, [record('k', 'kept')]);
      const restoreWrite = await wrapFileHandle('write', async (real, args) => {
        const [buf, offset, length, position] = args as [Buffer, number, number, number];
        await real(buf, offset, length, position); // the whole batch lands, then the call fails
        throw errnoError('EIO', 'write');
      });
      const restoreTruncate = await wrapFileHandle('truncate', async () => {
        throw errnoError('EIO', 'ftruncate');
      });
      try {
        await assert.rejects(log.append(0, [big('x')]), { name: 'StorageFailedError', code: 'EIO' });
      } finally {
        restoreWrite();
      }
      try {
        await log.append(0, [record('k', 'next')]); // repairs by moving on, then writes
      } finally {
        restoreTruncate();
      }
      assert.deepEqual((await readAll(log, 0)).map(text), ['kept', 'next']);
      assert.equal(segmentFiles(streamDir(dataDir)).length, 2);
      await storage.close();
      const again = await openTemp({ dataDir, fsync: 'always' });
      try {
        assert.deepEqual((await readAll(await again.storage.records.open(ID), 0)).map(text), ['kept', 'next']);
      } finally {
        await again.storage.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
