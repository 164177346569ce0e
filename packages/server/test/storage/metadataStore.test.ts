import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { openTemp, removeDir } from './helpers.js';
import { metadataContract } from './metadataContract.js';

describe('metadata store', () => {
  metadataContract(async () => {
    const { storage, dataDir } = await openTemp();
    return {
      meta: storage.metadata,
      prefix: '',
      done: async () => {
        await storage.close();
        removeDir(dataDir);
      },
    };
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
