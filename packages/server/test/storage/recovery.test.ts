import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { indexFiles, openTemp, readAll, record, removeDir, segmentFiles, streamDir, tempDir, text } from './helpers.js';

/** Appends `count` single-record flushes of 200 bytes to shard 0 and 1 alternately. */
async function fill(dataDir: string, count: number, segmentBytes?: number): Promise<string[]> {
  const { storage } = await openTemp({ dataDir, fsync: 'always', ...(segmentBytes ? { segmentBytes } : {}) });
  const log = await storage.records.open('r');
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = `v${i}`.padEnd(200, '.');
    await log.append(i % 2, [record(`k${i}`, value)]);
    values.push(value);
  }
  await storage.close();
  return values;
}

async function reopenAndRead(dataDir: string, segmentBytes?: number) {
  const reopened = await openTemp({ dataDir, fsync: 'always', ...(segmentBytes ? { segmentBytes } : {}) });
  const log = await reopened.storage.records.open('r');
  const shards = [await readAll(log, 0), await readAll(log, 1)];
  return { ...reopened, log, shards };
}

function activeSegment(dataDir: string): string {
  const dir = streamDir(dataDir);
  return path.join(dir, segmentFiles(dir).at(-1)!);
}

describe('recovery', () => {
  for (const damage of ['truncate the last bytes', 'garble the last chunk', 'append garbage', 'zero the tail']) {
    it(`torn tail (${damage}): the tail is cut at the last whole chunk, everything before is intact`, async () => {
      const dataDir = tempDir();
      const values = await fill(dataDir, 20);
      const file = activeSegment(dataDir);
      const size = fs.statSync(file).size;
      const bytes = fs.readFileSync(file);
      if (damage === 'truncate the last bytes') fs.truncateSync(file, size - 7);
      if (damage === 'garble the last chunk') {
        bytes[size - 3] ^= 0xff;
        fs.writeFileSync(file, bytes);
      }
      if (damage === 'append garbage') fs.appendFileSync(file, Buffer.from('not a chunk at all, just bytes'));
      if (damage === 'zero the tail') fs.appendFileSync(file, Buffer.alloc(4096));
      const lostLast = damage === 'truncate the last bytes' || damage === 'garble the last chunk';
      const { storage, log, shards, warnings } = await reopenAndRead(dataDir);
      try {
        const survivors = lostLast ? values.slice(0, -1) : values;
        assert.deepEqual(
          shards[0]!.map(text),
          survivors.filter((_, i) => i % 2 === 0),
        );
        assert.deepEqual(
          shards[1]!.map(text),
          survivors.filter((_, i) => i % 2 === 1),
        );
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, /truncating/);
        assert.ok(fs.statSync(file).size < size + (lostLast ? 0 : 1), 'the file was truncated');
        // The log continues where the valid data ended.
        const next = await log.append(1, [record('k', 'after recovery')]);
        const last = shards[1]!.at(-1)!;
        assert.ok(next.firstCursor > last.cursor);
        assert.deepEqual((await log.read(1, last.cursor + 1n, { maxRecords: 10, maxBytes: 1e6, notBeforeMs: 0 })).records.map(text), [
          'after recovery',
        ]);
      } finally {
        await storage.close();
        removeDir(dataDir);
      }
    });
  }

  it('an empty active segment and a clean close need no repair', async () => {
    const { storage, dataDir } = await openTemp();
    await storage.records.open('r');
    await storage.close();
    const { storage: again, shards, warnings } = await reopenAndRead(dataDir);
    assert.deepEqual(shards, [[], []]);
    assert.deepEqual(warnings, []);
    await again.close();
    removeDir(dataDir);
  });

  for (const damage of ['missing', 'header corrupt', 'entries corrupt', 'stale']) {
    it(`a sealed index that is ${damage} is rebuilt by scanning its segment`, async () => {
      const dataDir = tempDir();
      const values = await fill(dataDir, 40, 2048);
      const dir = streamDir(dataDir);
      const indexes = indexFiles(dir);
      assert.ok(indexes.length >= 3, 'several segments were sealed');
      const victim = path.join(dir, indexes[1]!);
      const original = fs.readFileSync(victim);
      if (damage === 'missing') fs.rmSync(victim);
      if (damage === 'header corrupt') fs.writeFileSync(victim, Buffer.concat([Buffer.from([1, 2, 3]), original.subarray(3)]));
      if (damage === 'entries corrupt') {
        const garbled = Buffer.from(original);
        garbled[garbled.length - 2] ^= 0x40; // inside the entries: detected when first read
        fs.writeFileSync(victim, garbled);
      }
      if (damage === 'stale') fs.writeFileSync(victim, original.subarray(0, original.length - 24));
      const { storage, shards, warnings } = await reopenAndRead(dataDir, 2048);
      try {
        assert.deepEqual(
          shards[0]!.map(text),
          values.filter((_, i) => i % 2 === 0),
        );
        assert.deepEqual(
          shards[1]!.map(text),
          values.filter((_, i) => i % 2 === 1),
        );
        assert.equal(warnings.length, 1, warnings.join('\n'));
        assert.match(warnings[0]!, /rebuilding index/);
        assert.deepEqual(fs.readFileSync(victim), original, 'the rebuilt index is byte for byte the original');
      } finally {
        await storage.close();
        removeDir(dataDir);
      }
    });
  }

  it('a chunk of a sealed segment damaged after its index was written is skipped by reads and reported', async () => {
    const dataDir = tempDir();
    const values = await fill(dataDir, 40, 2048);
    const dir = streamDir(dataDir);
    const segment = path.join(dir, segmentFiles(dir)[0]!);
    const bytes = fs.readFileSync(segment);
    bytes[100] ^= 0x01;
    fs.writeFileSync(segment, bytes);
    const { storage, warnings } = await openTemp({ dataDir, fsync: 'always', segmentBytes: 2048 });
    try {
      const log = await storage.records.open('r');
      // Byte 100 is in the first chunk (shard 0, record 0): every other record is returned.
      assert.deepEqual((await readAll(log, 0)).map(text), values.filter((_, i) => i % 2 === 0).slice(1));
      assert.deepEqual((await readAll(log, 0)).map(text), values.filter((_, i) => i % 2 === 0).slice(1), 'skipped again');
      assert.deepEqual(log.damage(), [
        { log: 'r', file: path.relative(dataDir, segment), from: 0, to: log.damage()[0]!.to, reason: 'read: chunk checksum mismatch' },
      ]);
      assert.equal(warnings.filter((w) => /damaged/.test(w)).length, 1, 'reported once');
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('leftover temp files and an index beside the active segment are removed at open', async () => {
    const dataDir = tempDir();
    await fill(dataDir, 4);
    const dir = streamDir(dataDir);
    const active = segmentFiles(dir).at(-1)!;
    fs.writeFileSync(path.join(dir, active.replace('.log', '.idx')), 'stale');
    fs.writeFileSync(path.join(dir, '00000000000000000000.idx.~tmp'), 'half written');
    const { storage, shards } = await reopenAndRead(dataDir);
    assert.equal(shards[0]!.length + shards[1]!.length, 4);
    assert.deepEqual(indexFiles(dir), []);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('~tmp')),
      [],
    );
    await storage.close();
    removeDir(dataDir);
  });
});
