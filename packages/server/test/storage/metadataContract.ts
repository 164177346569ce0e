/**
 * The behaviour every MetadataStore promises (src/storage/types.ts), as one test body run against
 * each engine: the local store (metadataStore.test.ts) and the JetStream KV store
 * (jetstream/metadataStore.test.ts). Engine-specific behaviour (files, damage, reconnection) is
 * tested next to each engine.
 */

import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { RevisionMismatchError, type MetadataStore } from '../../src/storage/types.js';

/** Opens a store that is empty, or at least holds no key under `prefix`. */
export type OpenMetadata = () => Promise<{ meta: MetadataStore; prefix: string; done(): Promise<void> }>;

export function metadataContract(open: OpenMetadata): void {
  const withStore = (body: (meta: MetadataStore, p: string) => Promise<void>) => async () => {
    const { meta, prefix, done } = await open();
    try {
      await body(meta, prefix);
    } finally {
      await done();
    }
  };

  it(
    'puts, gets, lists by prefix in key order, deletes',
    withStore(async (meta, p) => {
      assert.equal(await meta.get(`${p}missing`), undefined);
      const r1 = await meta.put(`${p}streams/123456789012/us-east-1/b`, { name: 'b', shards: 2 });
      const r2 = await meta.put(`${p}streams/123456789012/us-east-1/a`, { name: 'a' });
      await meta.put(`${p}streams/123456789012/eu-west-1/c`, { name: 'c' });
      await meta.put(`${p}accounts/123456789012`, { limit: 50 });
      assert.ok(r2 > r1, 'revisions increase across the store');
      assert.deepEqual(await meta.get(`${p}streams/123456789012/us-east-1/b`), { value: { name: 'b', shards: 2 }, revision: r1 });
      const listed = await meta.list<{ name: string }>(`${p}streams/123456789012/us-east-1/`);
      assert.deepEqual(
        listed.map((e) => [e.key, e.value.name, e.revision]),
        [
          [`${p}streams/123456789012/us-east-1/a`, 'a', r2],
          [`${p}streams/123456789012/us-east-1/b`, 'b', r1],
        ],
      );
      assert.equal((await meta.list(p)).length, 4);
      await meta.delete(`${p}streams/123456789012/us-east-1/a`);
      assert.equal(await meta.get(`${p}streams/123456789012/us-east-1/a`), undefined);
      assert.equal((await meta.list(p)).length, 3, 'a deleted key is not listed');
      await meta.delete(`${p}streams/123456789012/us-east-1/a`); // deleting a missing key is a no-op
    }),
  );

  it(
    'compare-and-set: 0 means must not exist, n means must be at revision n; no ABA after a delete',
    withStore(async (meta, p) => {
      const k = `${p}k`;
      const created = await meta.put(k, 1, 0);
      await assert.rejects(
        meta.put(k, 2, 0),
        (e: unknown) => e instanceof RevisionMismatchError && e.expected === 0 && e.actual === created,
      );
      await assert.rejects(meta.put(k, 2, created + 1), RevisionMismatchError);
      await assert.rejects(meta.put(`${p}other`, 2, 5), (e: unknown) => e instanceof RevisionMismatchError && e.actual === 0);
      const updated = await meta.put(k, 2, created);
      assert.ok(updated > created);
      await assert.rejects(meta.delete(k, created), RevisionMismatchError);
      await assert.rejects(meta.delete(k, 0), RevisionMismatchError);
      await meta.delete(k, updated);
      await meta.delete(k, 0); // absent and expected absent: a no-op
      // Re-created, a key never gets a revision it had before: a stale CAS cannot succeed (no ABA).
      const recreated = await meta.put(k, 3, 0);
      assert.ok(recreated > updated);
      await assert.rejects(meta.put(k, 4, updated), RevisionMismatchError);
      assert.deepEqual(await meta.get(k), { value: 3, revision: recreated });
    }),
  );

  it(
    'concurrent compare-and-sets on one key: exactly one wins',
    withStore(async (meta, p) => {
      const base = await meta.put(`${p}counter`, 0);
      const attempts = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => meta.put(`${p}counter`, i + 1, base)));
      assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1);
      assert.ok(attempts.every((a) => a.status === 'fulfilled' || a.reason instanceof RevisionMismatchError));
      const creates = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => meta.put(`${p}created`, i, 0)));
      assert.equal(creates.filter((a) => a.status === 'fulfilled').length, 1);
    }),
  );

  it(
    'keeps any key apart from every other, and hands out copies',
    withStore(async (meta, p) => {
      const odd = `${p}Streams/ÜBER/../a b%2F/.=*>` + '🚀'.repeat(3);
      const long = p + 'x/'.repeat(300);
      await meta.put(odd, { nested: { list: [1, 2, 3] } });
      await meta.put(long, 'long key');
      const copy = (await meta.get<{ nested: { list: number[] } }>(odd))!.value;
      copy.nested.list.push(4);
      assert.deepEqual((await meta.get(odd))!.value, { nested: { list: [1, 2, 3] } });
      assert.equal((await meta.get(long))!.value, 'long key');
      assert.equal(await meta.get(`${p}Streams/über/../a b%2F/.=*>🚀🚀🚀`), undefined, 'keys are case-sensitive');
      assert.equal(await meta.get(`${p}Streams/ÜBER/../a b%2F/.=*`), undefined);
      assert.deepEqual(
        (await meta.list(`${p}Streams/`)).map((e) => e.key),
        [odd],
      );
    }),
  );

  it(
    'rejects values that are not JSON, empty keys and bad revisions, as TypeError and RangeError',
    withStore(async (meta, p) => {
      await assert.rejects(meta.put(`${p}k`, undefined), TypeError);
      await assert.rejects(meta.put(`${p}k`, 1n), TypeError);
      await assert.rejects(meta.put('', 1), RangeError);
      await assert.rejects(meta.put(`${p}k`, 1, -1), RangeError);
      await assert.rejects(meta.get('x'.repeat(2000)), RangeError);
      assert.equal(await meta.get(`${p}k`), undefined, 'nothing was written');
    }),
  );
}
