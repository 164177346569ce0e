/**
 * What a Lease (src/storage/lease.ts) promises, as one test body run on each MetadataStore: the
 * local one (lease.test.ts) and the JetStream KV one (jetstream/lease.test.ts). Time is a plain
 * variable each test moves: nothing here sleeps.
 */

import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { Lease } from '../../src/storage/lease.js';
import type { MetadataStore } from '../../src/storage/types.js';

/** Two handles on one store (two nodes, where the engine has them), and a prefix no other test uses. */
export type OpenLeaseStores = () => Promise<{ a: MetadataStore; b: MetadataStore; prefix: string; done(): Promise<void> }>;

export function leaseContract(open: OpenLeaseStores): void {
  const withStores = (body: (a: MetadataStore, b: MetadataStore, name: string, clock: { ms: number }) => Promise<void>) => async () => {
    const { a, b, prefix, done } = await open();
    try {
      await body(a, b, `${prefix}timer`, { ms: 1_000_000 });
    } finally {
      await done();
    }
  };

  it(
    'one holder at a time; renewed by its holder; taken over only once expired',
    withStores(async (a, b, name, clock) => {
      const options = { ttlMs: 10_000, now: () => clock.ms };
      const nodeA = new Lease(a, name, 'node-a', options);
      const nodeB = new Lease(b, name, 'node-b', options);
      assert.equal(await nodeA.tryAcquire(), true);
      assert.equal(await nodeB.tryAcquire(), false);
      assert.equal(nodeA.isHeld(), true);
      assert.equal(nodeB.isHeld(), false);
      const firstToken = nodeA.fencingToken;
      clock.ms += 9_000;
      assert.equal(await nodeA.tryAcquire(), true, 'the holder renews');
      assert.ok(nodeA.fencingToken > firstToken);
      clock.ms += 9_000; // 18 s after the first take, 9 s after the renewal: still A's
      assert.equal(await nodeB.tryAcquire(), false);
      clock.ms += 1_000; // the renewal has expired
      assert.equal(nodeA.isHeld(), false, 'the holder stopped trusting it before it expired');
      assert.equal(await nodeB.tryAcquire(), true, 'taken over once expired');
      assert.equal(await nodeA.tryAcquire(), false, 'the old holder does not get it back');
      assert.ok(nodeB.fencingToken > nodeA.fencingToken);
    }),
  );

  it(
    'the holder trusts it only until ttl minus the safety margin',
    withStores(async (a, _b, name, clock) => {
      const lease = new Lease(a, name, 'node-a', { ttlMs: 10_000, safetyMarginMs: 3_000, now: () => clock.ms });
      assert.equal(await lease.tryAcquire(), true);
      assert.equal(lease.heldUntil, clock.ms + 7_000);
      clock.ms += 6_999;
      assert.equal(lease.isHeld(), true);
      clock.ms += 1;
      assert.equal(lease.isHeld(), false);
    }),
  );

  it(
    'a release hands it over at once',
    withStores(async (a, b, name, clock) => {
      const options = { ttlMs: 10_000, now: () => clock.ms };
      const nodeA = new Lease(a, name, 'node-a', options);
      const nodeB = new Lease(b, name, 'node-b', options);
      assert.equal(await nodeA.tryAcquire(), true);
      await nodeA.release();
      assert.equal(nodeA.isHeld(), false);
      assert.equal(await nodeB.tryAcquire(), true);
      await nodeA.release(); // not held: a no-op that leaves B's lease alone
      assert.equal(await nodeA.tryAcquire(), false);
    }),
  );

  it(
    'of nodes racing for a free or expired lease, exactly one wins',
    withStores(async (a, b, name, clock) => {
      const options = { ttlMs: 10_000, now: () => clock.ms };
      for (let round = 0; round < 10; round++) {
        const leases = Array.from({ length: 6 }, (_, i) => new Lease(i % 2 ? a : b, name, `node-${round}-${i}`, options));
        const won = await Promise.all(leases.map((lease) => lease.tryAcquire()));
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won.join(' ')}`);
        clock.ms += 10_000; // expire it for the next round
      }
    }),
  );

  it('refuses a ttl of zero and a margin as long as the ttl', () => {
    const meta = {} as MetadataStore;
    assert.throws(() => new Lease(meta, 'x', 'n', { ttlMs: 0, now: Date.now }), RangeError);
    assert.throws(() => new Lease(meta, 'x', 'n', { ttlMs: 10, safetyMarginMs: 10, now: Date.now }), RangeError);
  });
}
