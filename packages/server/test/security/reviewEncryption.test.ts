/**
 * Review of encryption at rest (issue 16): keys are never taken from inside the data directory,
 * whatever the names of the directories in it. A directory inside it whose name begins with two
 * dots (`..keys`) was taken for one outside it (its relative path starts with `..`).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyringError, readKeyringFile } from '../../src/security/kms/keyringFile.js';
import { ManagedKeyFile } from '../../src/security/kms/managedKey.js';

const KEY = {
  keyId: '12345678-1234-1234-1234-123456789012',
  aliases: ['alias/orders'],
  versions: ['00'.repeat(32)],
};

describe('review: keys outside the data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'freshet-review-keys-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'data');
  mkdirSync(join(dataDir, '..keys'), { recursive: true });

  it('refuses a keyring, a key file and the managed key in a directory of the data directory named "..something"', () => {
    const inside = join(dataDir, '..keys', 'keyring.json');
    writeFileSync(inside, JSON.stringify({ keys: [KEY] }));
    assert.throws(() => readKeyringFile(inside, dataDir), KeyringError);
    writeFileSync(join(dataDir, '..keys', 'k.key'), Buffer.alloc(32));
    const outside = join(root, 'keyring.json');
    writeFileSync(outside, JSON.stringify({ keys: [{ ...KEY, versions: [{ file: 'data/..keys/k.key' }] }] }));
    assert.throws(() => readKeyringFile(outside, dataDir), /inside the data directory/);
    assert.throws(() => new ManagedKeyFile(join(dataDir, '..keys'), dataDir), /inside the data directory/);
  });

  it('still takes a sibling of the data directory whose name begins with its own (data.keys, ..data)', () => {
    const sibling = join(root, 'data.keys');
    mkdirSync(sibling, { recursive: true });
    const file = join(sibling, 'keyring.json');
    writeFileSync(file, JSON.stringify({ keys: [KEY] }));
    assert.equal(readKeyringFile(file, dataDir).length, 1);
    assert.doesNotThrow(() => new ManagedKeyFile(join(root, '..data'), dataDir));
  });
});
