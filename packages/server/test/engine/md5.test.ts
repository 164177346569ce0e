import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { md5Utf8 } from '../../src/util/md5.js';

const reference = (text: string) => createHash('md5').update(text, 'utf8').digest();

test('md5Utf8 agrees with node:crypto on any partition key (up to 256 characters, any Unicode)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 256 }), (key) => {
      assert.deepEqual(md5Utf8(key), reference(key));
    }),
    { numRuns: 5000 },
  );
});

test('md5Utf8 agrees at every padding boundary (lengths 0 to 130 bytes)', () => {
  for (let length = 0; length <= 130; length++) {
    const key = 'k'.repeat(length);
    assert.deepEqual(md5Utf8(key), reference(key), `length ${length}`);
  }
  assert.equal(md5Utf8('').toString('hex'), 'd41d8cd98f00b204e9800998ecf8427e');
});

test('md5Utf8 refuses keys longer than a partition key can be', () => {
  assert.throws(() => md5Utf8('\u{1F600}'.repeat(300)), RangeError);
});
