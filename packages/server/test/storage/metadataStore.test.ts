import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { openTemp, removeDir } from './helpers.js';
import { RevisionMismatchError } from '../../src/storage/types.js';

describe('metadata store', () => {
  it('puts, gets, lists by prefix in key order, deletes', async () => {
    const { storage, dataDir } = await openTemp();
    const meta = storage.metadata;
    try {
      assert.equal(await meta.get('missing'), undefined);
      const r1 = await meta.put('streams/123456789012/us-east-1/b', { name: 'b', shards: 2 });
      const r2 = await meta.put('streams/123456789012/us-east-1/a', { name: 'a' });
      await meta.put('streams/123456789012/eu-west-1/c', { name: 'c' });
      await meta.put('accounts/123456789012', { limit: 50 });
      assert.ok(r2 > r1, 'revisions increase across the store');
      assert.deepEqual(await meta.get('streams/123456789012/us-east-1/b'), { value: { name: 'b', shards: 2 }, revision: r1 });
      const listed = await meta.list<{ name: string }>('streams/123456789012/us-east-1/');
      assert.deepEqual(
        listed.map((e) => [e.key, e.value.name]),
        [
          ['streams/123456789012/us-east-1/a', 'a'],
          ['streams/123456789012/us-east-1/b', 'b'],
        ],
      );
      assert.equal((await meta.list('')).length, 4);
      await meta.delete('streams/123456789012/us-east-1/a');
      assert.equal(await meta.get('streams/123456789012/us-east-1/a'), undefined);
      await meta.delete('streams/123456789012/us-east-1/a'); // deleting a missing key is a no-op
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('compare-and-set: 0 means must not exist, n means must be at revision n', async () => {
    const { storage, dataDir } = await openTemp();
    const meta = storage.metadata;
    try {
      const created = await meta.put('k', 1, 0);
      await assert.rejects(
        meta.put('k', 2, 0),
        (e: unknown) => e instanceof RevisionMismatchError && e.expected === 0 && e.actual === created,
      );
      await assert.rejects(meta.put('k', 2, created + 1), RevisionMismatchError);
      await assert.rejects(meta.put('other', 2, 5), (e: unknown) => e instanceof RevisionMismatchError && e.actual === 0);
      const updated = await meta.put('k', 2, created);
      assert.ok(updated > created);
      await assert.rejects(meta.delete('k', created), RevisionMismatchError);
      await assert.rejects(meta.delete('k', 0), RevisionMismatchError);
      await meta.delete('k', updated);
      // Re-created, a key never gets a revision it had before: a stale CAS cannot succeed (no ABA).
      const recreated = await meta.put('k', 3, 0);
      assert.ok(recreated > updated);
      await assert.rejects(meta.put('k', 4, updated), RevisionMismatchError);
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('concurrent compare-and-sets on one key: exactly one wins', async () => {
    const { storage, dataDir } = await openTemp();
    try {
      const base = await storage.metadata.put('counter', 0);
      const attempts = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => storage.metadata.put('counter', i + 1, base)));
      assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1);
      assert.ok(
        attempts.filter((a) => a.status === 'rejected').every((a) => (a as PromiseRejectedResult).reason instanceof RevisionMismatchError),
      );
    } finally {
      await storage.close();
      removeDir(dataDir);
    }
  });

  it('is durable across reopen, keeps revisions increasing after deletes, and hands out copies', async () => {
    const { storage, dataDir } = await openTemp({ fsync: 'always' });
    const odd = 'Streams/ÜBER/../a b%2F/' + '🚀'.repeat(3);
    const long = 'x/'.repeat(300);
    await storage.metadata.put(odd, { nested: { list: [1, 2, 3] } });
    await storage.metadata.put(long, 'long key');
    const last = await storage.metadata.put('gone', true);
    await storage.metadata.delete('gone');
    const copy = (await storage.metadata.get<{ nested: { list: number[] } }>(odd))!.value;
    copy.nested.list.push(4);
    assert.deepEqual((await storage.metadata.get(odd))!.value, { nested: { list: [1, 2, 3] } });
    await storage.close();
    const files = fs.readdirSync(path.join(dataDir, 'meta'));
    assert.ok(
      files.every((name) => name.length <= 210 && !name.includes('/')),
      files.join(' '),
    );
    const reopened = await openTemp({ dataDir, fsync: 'always' });
    try {
      assert.deepEqual((await reopened.storage.metadata.get(odd))!.value, { nested: { list: [1, 2, 3] } });
      assert.equal((await reopened.storage.metadata.get(long))!.value, 'long key');
      assert.equal(await reopened.storage.metadata.get('gone'), undefined);
      assert.ok((await reopened.storage.metadata.put('gone', false, 0)) > last + 1, 'the delete revision is remembered');
      assert.equal(await reopened.storage.metadata.get('Streams/über/../a b%2F/🚀🚀🚀'), undefined, 'keys are case-sensitive');
    } finally {
      await reopened.storage.close();
      removeDir(dataDir);
    }
  });

  it('rejects values that are not JSON, and quarantines a corrupt file at open (test/faults/metadata.test.ts)', async () => {
    const { storage, dataDir } = await openTemp();
    await assert.rejects(storage.metadata.put('k', undefined), TypeError);
    await assert.rejects(storage.metadata.put('k', 1n), TypeError);
    await assert.rejects(storage.metadata.put('', 1), RangeError);
    await storage.metadata.put('k', 'value');
    await storage.close();
    const file = path.join(dataDir, 'meta', 'k.meta');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 1;
    fs.writeFileSync(file, bytes);
    const reopened = await openTemp({ dataDir });
    assert.equal(await reopened.storage.metadata.get('k'), undefined);
    assert.deepEqual(
      reopened.storage.damage().metadata.map((d) => [d.key, d.reason]),
      [['k', 'checksum mismatch']],
    );
    await reopened.storage.close();
    removeDir(dataDir);
  });
});
