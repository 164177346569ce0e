/**
 * Encryption at rest in the local engine, with the real keyring: records appended with
 * `encryptWith` are nowhere on disk in the clear (nor as hex or base64), read back as written,
 * after a reopen too; rotation keeps old chunks readable; a disabled key refuses appends and reads
 * and loses nothing; damage to an encrypted chunk is confined to that chunk.
 */
import { strict as assert } from 'node:assert';
import { crc32 } from 'node:zlib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { LocalKeyring } from '../../src/security/kms/index.js';
import { KeyUnavailableError, type StreamLog } from '../../src/storage/types.js';
import { countFiles, filesHolding, newKey, writeKeyring, type TestKey } from './encryptionHelpers.js';
import { openTemp, readAll, record, removeDir, segmentFiles, streamDir, tempDir } from './helpers.js';

const ENCRYPT = { encryptWith: 'alias/orders' };

/** A data directory and, beside it (never inside), a keyring with one key. */
function setup(): { dataDir: string; keysDir: string; keyringFile: string; key: TestKey; keyring: LocalKeyring } {
  const root = tempDir('freshet-encryption-');
  const dataDir = path.join(root, 'data');
  const keysDir = path.join(root, 'keys');
  fs.mkdirSync(keysDir);
  const keyringFile = path.join(keysDir, 'keyring.json');
  const key = newKey('alias/orders');
  writeKeyring(keyringFile, [key]);
  const keyring = new LocalKeyring({ file: keyringFile, dataDir, managedKeyDir: path.join(root, 'managed'), account: '000000000000' });
  return { dataDir, keysDir, keyringFile, key, keyring };
}

function secretOf(i: number): Buffer {
  return Buffer.from(`top-secret-${i}-${'the quick brown fox jumps over the lazy dog '.repeat(2)}`);
}

async function texts(log: StreamLog, shard: number): Promise<string[]> {
  return (await readAll(log, shard)).map((r) => `${r.partitionKey}=${r.data.toString()}`);
}

describe('storage: encryption at rest', () => {
  it('stores no plaintext, reads it back, mixes encrypted and clear chunks, and survives a reopen', async () => {
    const { dataDir, keyring } = setup();
    const { storage } = await openTemp({ dataDir, keys: keyring, segmentBytes: 4096 });
    const log = await storage.records.open('s');
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      // One flush holds an encrypted append and, from i = 20, a clear one for the same shard.
      const sealed = log.append(0, [record(`secret-key-${i}`, secretOf(i))], ENCRYPT);
      expected.push(`secret-key-${i}=${secretOf(i).toString()}`);
      if (i >= 20) {
        const clear = log.append(0, [record(`clear-${i}`, `clear-${i}`)]);
        expected.push(`clear-${i}=clear-${i}`);
        await Promise.all([sealed, clear]);
      } else {
        await sealed;
      }
    }
    await log.appendMany([{ shard: 1, records: [record('secret-key-many', secretOf(99))] }], ENCRYPT);
    assert.deepEqual(await texts(log, 0), expected);
    assert.ok(segmentFiles(streamDir(dataDir)).length > 2, 'several segments, so several data keys');
    await storage.close();

    assert.ok(countFiles(dataDir) > 5);
    for (const secret of [secretOf(0), secretOf(29), secretOf(99), Buffer.from('secret-key-7')]) {
      assert.deepEqual(filesHolding(dataDir, secret), [], `no trace of ${secret.toString().slice(0, 20)}`);
    }
    assert.notDeepEqual(filesHolding(dataDir, Buffer.from('clear-25')), [], 'clear records are stored as before');

    const reopened = await openTemp({ dataDir, keys: keyring });
    const again = await reopened.storage.records.open('s');
    assert.deepEqual(await texts(again, 0), expected);
    assert.deepEqual(await texts(again, 1), [`secret-key-many=${secretOf(99).toString()}`]);
    await reopened.storage.close();
    removeDir(path.dirname(dataDir));
  });

  it('rotation: new data keys under the newest version; old chunks read with the old one, not rewritten', async () => {
    const { dataDir, keyringFile, key, keyring } = setup();
    const { storage } = await openTemp({ dataDir, keys: keyring });
    const log = await storage.records.open('s');
    await log.append(0, [record('a', 'before rotation')], ENCRYPT);
    const segment = segmentFiles(streamDir(dataDir))[0]!;
    const before = fs.readFileSync(path.join(streamDir(dataDir), segment));

    const first = key.versions[0]!;
    key.versions.push(randomBytes(32).toString('hex'));
    writeKeyring(keyringFile, [key]);
    keyring.reload();
    const { firstCursor: second } = await log.append(0, [record('b', 'after rotation')], ENCRYPT);
    assert.deepEqual(await texts(log, 0), ['a=before rotation', 'b=after rotation']);
    const after = fs.readFileSync(path.join(streamDir(dataDir), segment));
    assert.deepEqual(after.subarray(0, before.length), before, 'the old chunk is untouched');

    // Without the first material, the old chunk cannot be read (so it was under version 1) and the read
    // fails rather than skip it; the new one alone reads (so it is under version 2).
    key.versions[0] = randomBytes(32).toString('hex');
    writeKeyring(keyringFile, [key]);
    keyring.reload();
    await assert.rejects(readAll(log, 0), (err: unknown) => err instanceof KeyUnavailableError && err.reason === 'AccessDenied');
    assert.deepEqual(await texts(log, 0).catch(() => 'refused'), 'refused');
    assert.deepEqual(
      (await readAll(log, 0, second)).map((r) => r.data.toString()),
      ['after rotation'],
    );
    key.versions[0] = first;
    writeKeyring(keyringFile, [key]);
    keyring.reload();
    assert.deepEqual(await texts(log, 0), ['a=before rotation', 'b=after rotation']);
    assert.deepEqual(log.damage(), [], 'a key problem is not damage');
    await storage.close();
    removeDir(path.dirname(dataDir));
  });

  it('a disabled key refuses appends and reads, loses nothing, and works again once enabled', async () => {
    const { dataDir, keyringFile, key, keyring } = setup();
    const { storage } = await openTemp({ dataDir, keys: keyring });
    const log = await storage.records.open('s');
    await log.append(0, [record('a', 'one')], ENCRYPT);
    await log.append(0, [record('b', 'two')]);
    for (const state of ['Disabled', 'PendingDeletion'] as const) {
      writeKeyring(keyringFile, [{ ...key, state }]);
      keyring.reload();
      const reason = state === 'Disabled' ? 'Disabled' : 'InvalidState';
      const refused = (err: unknown) =>
        err instanceof KeyUnavailableError && err.reason === reason && /arn:aws:kms:.*:key\//.test(err.message);
      await assert.rejects(log.append(0, [record('c', 'three')], ENCRYPT), refused);
      await assert.rejects(log.appendMany([{ shard: 0, records: [record('c', 'three')] }], ENCRYPT), refused);
      await assert.rejects(readAll(log, 0), refused);
    }
    writeKeyring(keyringFile, [key]);
    keyring.reload();
    await log.append(0, [record('c', 'three')], ENCRYPT);
    assert.deepEqual(await texts(log, 0), ['a=one', 'b=two', 'c=three']);
    await assert.rejects(
      log.append(0, [record('d', 'x')], { encryptWith: 'alias/missing' }),
      (err: unknown) =>
        err instanceof KeyUnavailableError &&
        err.reason === 'NotFound' &&
        /Alias arn:aws:kms:.*alias\/missing is not found/.test(err.message),
    );
    await storage.close();
    removeDir(path.dirname(dataDir));
  });

  it('damage to an encrypted chunk costs that chunk only, whether its CRC or only its GCM tag catches it', async () => {
    const { dataDir, keyring } = setup();
    const { storage } = await openTemp({ dataDir, keys: keyring });
    const log = await storage.records.open('s');
    const cursors: bigint[] = [];
    for (let i = 0; i < 5; i++) cursors.push((await log.append(0, [record(`k${i}`, `value-${i}`.padEnd(300, '.'))], ENCRYPT)).firstCursor);
    await storage.close();
    const file = path.join(streamDir(dataDir), segmentFiles(streamDir(dataDir))[0]!);
    const bytes = fs.readFileSync(file);
    const chunkAt = (i: number) => Number(cursors[i]! >> 20n); // the segment starts at position 0
    // Chunk 1: a flipped ciphertext byte (the CRC fails). Chunk 3: a flipped byte with the CRC
    // fixed up, as a tamperer would: only the GCM tag can tell.
    bytes[chunkAt(2) - 10]! ^= 0xff;
    const third = chunkAt(3);
    const length = bytes.readUInt32LE(third + 8);
    bytes[third + length - 5]! ^= 0x01;
    bytes.writeUInt32LE(crc32(bytes.subarray(third + 8, third + length)), third + 4);
    fs.writeFileSync(file, bytes);

    const reopened = await openTemp({ dataDir, keys: keyring });
    const again = await reopened.storage.records.open('s');
    const read = (await readAll(again, 0)).map((r) => r.partitionKey);
    assert.deepEqual(read, ['k0', 'k2', 'k4']);
    const reasons = again
      .damage()
      .map((d) => d.reason)
      .join('; ');
    assert.match(reasons, /checksum/);
    assert.match(reasons, /GCM tag/);
    await reopened.storage.close();
    removeDir(path.dirname(dataDir));
  });

  it('refuses a keyring or a key file inside the data directory', () => {
    const { dataDir } = setup();
    fs.mkdirSync(dataDir, { recursive: true });
    const inside = path.join(dataDir, 'keyring.json');
    writeKeyring(inside, [newKey('alias/x')]);
    assert.throws(
      () => new LocalKeyring({ file: inside, dataDir, managedKeyDir: `${dataDir}.keys`, account: '000000000000' }),
      /inside the data directory/,
    );
    const outside = path.join(path.dirname(dataDir), 'keyring.json');
    fs.writeFileSync(path.join(dataDir, 'k.key'), randomBytes(32));
    fs.writeFileSync(outside, JSON.stringify({ keys: [{ ...newKey('alias/y'), versions: [{ file: path.join(dataDir, 'k.key') }] }] }));
    assert.throws(
      () => new LocalKeyring({ file: outside, dataDir, managedKeyDir: `${dataDir}.keys`, account: '000000000000' }),
      /inside the data directory/,
    );
    removeDir(path.dirname(dataDir));
  });
});
