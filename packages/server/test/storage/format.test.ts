/** Unit tests of the on-disk encodings: chunks, index files, names. */

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CHUNK_HEADER_BYTES,
  decodeRecords,
  encodeChunk,
  recordBytes,
  recordsFitChunk,
  verifyChunk,
} from '../../src/storage/local/chunk.js';
import { encodeName } from '../../src/storage/local/files.js';
import { decodeIndexFile, encodeIndexFile, SegmentIndex } from '../../src/storage/local/shardIndex.js';
import type { StoredRecord } from '../../src/storage/types.js';

describe('chunk encoding', () => {
  it('round-trips records and detects any flipped bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.string({ maxLength: 20, unit: 'binary' }), data: fc.uint8Array({ maxLength: 64 }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.nat(),
        (records, flip) => {
          const input = records.map((r) => ({ partitionKey: r.key, data: r.data }));
          const payload = input.reduce((sum, r) => sum + recordBytes(Buffer.byteLength(r.partitionKey), r.data.length), 0);
          const buf = Buffer.alloc(CHUNK_HEADER_BYTES + payload + 8);
          const header = { shard: 7, position: 2 ** 40 + 3, arrivalMs: 1_700_000_000_123 };
          const length = encodeChunk(buf, 8, header, [{ records: input }], 0, 1, payload);
          const chunk = buf.subarray(8);
          const parsed = verifyChunk(chunk, 0, { position: header.position, length, shard: 7 });
          assert.ok(typeof parsed !== 'string', String(parsed));
          assert.ok(recordsFitChunk(chunk, 0, parsed));
          const out: StoredRecord[] = [];
          assert.equal(decodeRecords(chunk, 0, parsed, 0, out, { records: 1e9, bytes: 1e12 }), input.length);
          assert.deepEqual(
            out.map((r) => [r.partitionKey, Buffer.from(r.data)]),
            input.map((r) => [r.partitionKey, Buffer.from(r.data)]),
          );
          assert.equal(out[0]!.cursor, BigInt(header.position) * 2n ** 20n);
          assert.equal(out[0]!.arrivalMs, header.arrivalMs);
          const bit = flip % (length * 8);
          chunk[bit >> 3]! ^= 1 << (bit & 7);
          assert.equal(typeof verifyChunk(chunk, 0, { position: header.position, length, shard: 7 }), 'string');
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('index file', () => {
  it('round-trips and rejects a mismatched segment', () => {
    const index = new SegmentIndex();
    index.add(3, 1000, 100, 5, 10);
    index.add(1, 1100, 50, 1, 11);
    index.add(3, 1150, 60, 2, 11);
    const buf = encodeIndexFile(1000, 1210, index);
    const decoded = decodeIndexFile(buf, 1000, 1210);
    assert.ok(typeof decoded !== 'string', String(decoded));
    assert.deepEqual([...decoded.shards.keys()].sort(), [1, 3]);
    assert.deepEqual([...decoded.shards.get(3)!.positions], [1000, 1150]);
    assert.deepEqual([...decoded.shards.get(3)!.counts], [5, 2]);
    assert.equal(decoded.chunkCount, 3);
    assert.equal(typeof decodeIndexFile(buf, 1000, 1211), 'string');
    assert.equal(typeof decodeIndexFile(buf, 0, 1210), 'string');
  });
});

describe('file names', () => {
  it('are safe, readable, case-preserving and injective', () => {
    assert.equal(encodeName('streams/123456789012/us-east-1/my-stream'), 'streams%2F123456789012%2Fus-east-1%2Fmy-stream');
    assert.equal(encodeName('My.Stream'), '%4Dy.%53tream');
    assert.equal(encodeName('..'), '%2E.');
    assert.equal(encodeName(''), '%');
    assert.match(encodeName('x'.repeat(500)), /^~[0-9a-f]{64}$/);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
        const ea = encodeName(a);
        assert.match(ea, /^[a-z0-9_.%~A-F-]+$/);
        assert.ok(ea !== '.' && ea !== '..' && !ea.startsWith('.'));
        if (a !== b) assert.notEqual(ea, encodeName(b));
      }),
    );
  });
});
