/** The pool of big buffers (answers, flush batches): what it reuses, what it refuses to keep, and when it lets go. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BufferPool } from '../../src/util/bufferPool.js';

const MIB = 2 ** 20;

describe('BufferPool', () => {
  it('gives small requests plain buffers and never keeps them', () => {
    const pool = new BufferPool({ minBytes: MIB });
    const small = pool.take(1000);
    assert.equal(small.length, 1000);
    pool.give(small);
    assert.equal(pool.retainedBytes, 0);
  });

  it('reuses the memory of a buffer given back, with the exact size asked for', () => {
    const pool = new BufferPool({ minBytes: MIB });
    const first = pool.take(3 * MIB + 5);
    assert.equal(first.length, 3 * MIB + 5);
    pool.give(first);
    assert.equal(pool.retainedBytes, 4 * MIB, 'rounded up to whole MiB');
    const second = pool.take(2 * MIB);
    assert.equal(second.length, 2 * MIB);
    assert.equal(second.buffer, first.buffer);
    assert.equal(pool.retainedBytes, 0, 'a taken buffer is off the free list');
  });

  it('hands a buffer out once: two takes never share memory', () => {
    const pool = new BufferPool({ minBytes: MIB });
    const a = pool.take(MIB);
    pool.give(a);
    const b = pool.take(MIB);
    const c = pool.take(MIB);
    assert.notEqual(b.buffer, c.buffer);
  });

  it('picks the smallest free buffer that fits, and not one much bigger than asked for', () => {
    const pool = new BufferPool({ minBytes: MIB });
    const big = pool.take(8 * MIB);
    const small = pool.take(2 * MIB);
    pool.give(big);
    pool.give(small);
    assert.equal(pool.take(MIB + 1).buffer, small.buffer);
    assert.notEqual(pool.take(MIB + 1).buffer, big.buffer, 'a 1 MiB answer does not pin 8 MiB');
    assert.equal(pool.take(5 * MIB).buffer, big.buffer);
  });

  it('ignores a stale give: a buffer given back once, then handed out again', () => {
    const pool = new BufferPool({ minBytes: MIB });
    const first = pool.take(2 * MIB);
    pool.give(first);
    const second = pool.take(2 * MIB);
    assert.equal(second.buffer, first.buffer, 'the memory was reused');
    pool.give(first); // its holder gave it back already: the memory is second's now
    assert.equal(pool.retainedBytes, 0);
    assert.notEqual(pool.take(2 * MIB).buffer, second.buffer);
  });

  it('ignores a slice of a buffer it handed out', () => {
    const pool = new BufferPool({ minBytes: MIB });
    const taken = pool.take(2 * MIB);
    pool.give(taken.subarray(0, MIB));
    assert.equal(pool.retainedBytes, 0);
    pool.give(taken);
    assert.equal(pool.retainedBytes, 2 * MIB);
  });

  it('keeps its free list while it is used, and lets it go after a whole idle period', async () => {
    const pool = new BufferPool({ minBytes: MIB, idleMs: 60 });
    pool.give(pool.take(2 * MIB));
    await sleep(40);
    pool.give(pool.take(2 * MIB)); // a take within the period
    await sleep(40);
    assert.equal(pool.retainedBytes, 2 * MIB, 'the timer saw a take and kept the list');
    await sleep(250);
    assert.equal(pool.retainedBytes, 0);
  });

  it('ignores buffers it did not hand out, and a second give of the same one', () => {
    const pool = new BufferPool({ minBytes: MIB });
    pool.give(Buffer.allocUnsafeSlow(2 * MIB));
    assert.equal(pool.retainedBytes, 0);
    const taken = pool.take(2 * MIB);
    pool.give(taken);
    pool.give(taken);
    assert.equal(pool.retainedBytes, 2 * MIB);
    const again = pool.take(2 * MIB);
    assert.equal(again.buffer, taken.buffer);
    assert.notEqual(pool.take(2 * MIB).buffer, taken.buffer, 'the double give did not list it twice');
  });

  it('keeps no more than maxFreeBytes', () => {
    const pool = new BufferPool({ minBytes: MIB, maxFreeBytes: 5 * MIB });
    const buffers = [pool.take(2 * MIB), pool.take(2 * MIB), pool.take(2 * MIB)];
    for (const buffer of buffers) pool.give(buffer);
    assert.equal(pool.retainedBytes, 4 * MIB);
  });

  it('lets go of its free list after idleMs without use', async () => {
    const pool = new BufferPool({ minBytes: MIB, idleMs: 30 });
    pool.give(pool.take(2 * MIB));
    assert.equal(pool.retainedBytes, 2 * MIB);
    await sleep(100);
    assert.equal(pool.retainedBytes, 0);
  });
});
