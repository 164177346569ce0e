/**
 * The JetStream RecordStore and StreamLog against a real 3-node nats-server cluster (R3 streams):
 * round trips, cursors, reads from the middle of a message, the tip, cursorAtTime, retention,
 * encryption, a 10 MiB record, two nodes sharing a log, destroy.
 */

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsCluster, type NatsCluster } from '../../helpers/natsCluster.js';
import { readAll, record, text } from '../helpers.js';
import { KeyUnavailableError, type StreamLog } from '../../../src/storage/types.js';
import { openNode, testKeySource, type JetStreamNode } from './helpers.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

describe('JetStream record store on a 3-node cluster', { timeout: 240_000 }, () => {
  let cluster: NatsCluster;
  let node: JetStreamNode;
  let clock = T0;
  const keys = testKeySource();
  let n = 0;
  const freshLog = (): Promise<StreamLog> => node.store.open(`log-${Date.now().toString(36)}-${n++}`);

  before(async () => {
    cluster = await startNatsCluster(3);
    node = await openNode(cluster.urls, { now: () => clock, keys });
  });
  after(async () => {
    await node?.close();
    await cluster?.stop();
  });

  it('appends and reads back: cursors increase per shard, the i-th record at firstCursor + i', async () => {
    const log = await freshLog();
    const a = await log.append(0, [record('k1', 'a0'), record('k2', 'a1'), record('k3', 'a2')]);
    const b = await log.append(1, [record('k', 'b0')]);
    const c = await log.append(0, [record('k', 'c0')]);
    assert.ok(c.firstCursor > a.firstCursor + 2n, 'a later append is above every record of an earlier one');
    assert.ok(b.firstCursor > a.firstCursor);
    const shard0 = await readAll(log, 0);
    assert.deepEqual(shard0.map(text), ['a0', 'a1', 'a2', 'c0']);
    assert.deepEqual(
      shard0.map((r) => r.cursor),
      [a.firstCursor, a.firstCursor + 1n, a.firstCursor + 2n, c.firstCursor],
    );
    assert.deepEqual(
      shard0.map((r) => r.partitionKey),
      ['k1', 'k2', 'k3', 'k'],
    );
    assert.equal(shard0[0]!.arrivalMs, clock);
    assert.deepEqual((await readAll(log, 1)).map(text), ['b0']);
    assert.deepEqual(await readAll(log, 2), []);
    assert.equal(log.lastArrivalMs(0), clock);
  });

  it('reads from the middle of a message, and stops inside one at maxRecords / maxBytes', async () => {
    const log = await freshLog();
    const { firstCursor } = await log.append(
      3,
      ['r0', 'r1', 'r2', 'r3', 'r4'].map((v) => record('k', v)),
    );
    await log.append(3, [record('k', 'r5')]);
    const fromMiddle = await log.read(3, firstCursor + 2n, { maxRecords: 2, maxBytes: 1 << 20, notBeforeMs: 0 });
    assert.deepEqual(fromMiddle.records.map(text), ['r2', 'r3']);
    assert.equal(fromMiddle.nextCursor, firstCursor + 4n);
    assert.equal(fromMiddle.atTip, false);
    const rest = await log.read(3, fromMiddle.nextCursor, { maxRecords: 100, maxBytes: 1 << 20, notBeforeMs: 0 });
    assert.deepEqual(rest.records.map(text), ['r4', 'r5']);
    assert.equal(rest.atTip, true);
    // AFTER the last record of a message is the next message.
    const after = await log.read(3, firstCursor + 4n + 1n, { maxRecords: 100, maxBytes: 1 << 20, notBeforeMs: 0 });
    assert.deepEqual(after.records.map(text), ['r5']);
    // maxBytes: the first record always comes, then nothing that does not fit.
    const small = await log.read(3, firstCursor, { maxRecords: 100, maxBytes: 3, notBeforeMs: 0 });
    assert.deepEqual(small.records.map(text), ['r0']);
    assert.equal(small.nextCursor, firstCursor + 1n);
  });

  it('appendMany: one message per part, results in the parts order, a bad part refuses the call', async () => {
    const log = await freshLog();
    const parts = [
      { shard: 2, records: [record('k', 'x0'), record('k', 'x1')] },
      { shard: 5, records: [record('k', 'y0')] },
      { shard: 2, records: [record('k', 'x2')] },
    ];
    const results = await log.appendMany(parts);
    assert.equal(results.length, 3);
    const shard2 = await readAll(log, 2);
    assert.deepEqual(shard2.map(text).sort(), ['x0', 'x1', 'x2']);
    for (const [p, part] of parts.entries()) {
      for (const [i, r] of part.records.entries()) {
        const got = (await readAll(log, part.shard)).find((s) => s.cursor === results[p]!.firstCursor + BigInt(i));
        assert.equal(got && text(got), r.data.toString());
      }
    }
    const tip = await log.tipCursor(2);
    await assert.rejects(
      log.appendMany([
        { shard: 2, records: [record('k', 'z')] },
        { shard: -1, records: [record('k', 'bad')] },
      ]),
      RangeError,
    );
    assert.equal(await log.tipCursor(2), tip, 'nothing was published');
    assert.deepEqual(await log.appendMany([]), []);
  });

  it('tipCursor: a read from the tip sees exactly what is appended afterwards', async () => {
    const log = await freshLog();
    await log.append(4, [record('k', 'before')]);
    const tip = await log.tipCursor(4);
    const nothing = await log.read(4, tip, { maxRecords: 10, maxBytes: 1 << 20, notBeforeMs: 0 });
    assert.deepEqual(nothing, { records: [], nextCursor: tip, atTip: true });
    await log.append(4, [record('k', 'after')]);
    assert.deepEqual((await readAll(log, 4, tip)).map(text), ['after']);
    assert.ok(log.issuedCursorBound() > tip);
  });

  it('cursorAtTime finds the first record at or after a time; past the end it is the tip', async () => {
    const log = await freshLog();
    const cursors: bigint[] = [];
    for (let h = 0; h < 10; h++) {
      clock = T0 + h * HOUR;
      await log.append(1, [record('other', `o${h}`)]); // other shards' messages in between
      cursors.push((await log.append(0, [record('k', `h${h}`)])).firstCursor);
    }
    assert.equal(await log.cursorAtTime(0, T0), cursors[0]);
    assert.equal(await log.cursorAtTime(0, T0 + 3 * HOUR), cursors[3]);
    assert.equal(await log.cursorAtTime(0, T0 + 3 * HOUR + 1), cursors[4]);
    assert.equal(await log.cursorAtTime(0, T0 - HOUR), cursors[0]);
    assert.equal(await log.cursorAtTime(0, T0 + 100 * HOUR), await log.tipCursor(0));
    assert.equal(await log.cursorAtTime(7, T0), await log.tipCursor(7), 'a shard with no records: the tip');
  });

  it('retention: reads skip expired records, trim purges them, cursors are never reused', async () => {
    const log = await freshLog();
    for (let h = 0; h < 10; h++) {
      clock = T0 + h * HOUR;
      await log.append(0, [record('k', `h${h}`)]);
    }
    const expiry = T0 + 6 * HOUR;
    assert.deepEqual((await readAll(log, 0, 0n, 100, expiry)).map(text), ['h6', 'h7', 'h8', 'h9']);
    await log.trim(expiry);
    assert.deepEqual((await readAll(log, 0)).map(text), ['h6', 'h7', 'h8', 'h9'], 'trimmed records are gone');
    const tipBefore = await log.tipCursor(0);
    await log.trim(T0 + 100 * HOUR);
    assert.deepEqual(await readAll(log, 0), []);
    assert.equal(await log.tipCursor(0), tipBefore, 'a purge does not move the tip back');
    const next = await log.append(0, [record('k', 'new')]);
    assert.ok(next.firstCursor >= tipBefore, 'positions are never reused');
  });

  it('encrypts with a data key, reads back in the clear; a disabled key fails the read, skipping nothing', async () => {
    const log = await freshLog();
    await log.append(0, [record('k', 'secret-1'), record('k', 'secret-2')], { encryptWith: 'alias/test' });
    await log.append(0, [record('k', 'clear')]);
    const name = `freshet_${(log as unknown as { id: string }).id}`;
    const stored = await (await jetstreamManager(node.nc)).streams.getMessage(name, { seq: 1 });
    assert.ok(stored && !Buffer.from(stored.data).includes('secret-1'), 'the stored message holds no plaintext');
    assert.deepEqual((await readAll(log, 0)).map(text), ['secret-1', 'secret-2', 'clear']);
    keys.enabled = false;
    keys.generation++; // a reload: cached keys are dropped
    try {
      await assert.rejects(log.read(0, 0n, { maxRecords: 10, maxBytes: 1 << 20, notBeforeMs: 0 }), KeyUnavailableError);
    } finally {
      keys.enabled = true;
      keys.generation++;
    }
    assert.deepEqual((await readAll(log, 0)).map(text), ['secret-1', 'secret-2', 'clear']);
    assert.deepEqual(log.damage(), []);
  });

  it('stores a 10 MiB record as one message (the servers allow max_payload 16 MiB)', async () => {
    const log = await freshLog();
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    big.write('end', big.length - 3);
    const { firstCursor } = await log.append(0, [record('big', big), record('small', 'after')]);
    const got = await readAll(log, 0, firstCursor, 10);
    assert.equal(got.length, 2);
    assert.ok(got[0]!.data.equals(big));
    assert.equal(text(got[1]!), 'after');
  });

  it('two nodes share a log: appends through one are read, and counted in the tip, through the other', async () => {
    const other = await openNode(cluster.urls, { now: () => clock });
    try {
      const id = `shared-${Date.now().toString(36)}`;
      const [a, b] = await Promise.all([node.store.open(id), other.store.open(id)]);
      const tipOnB = await b.tipCursor(0);
      await a.append(0, [record('k', 'from-a')]);
      await b.append(0, [record('k', 'from-b')]);
      assert.deepEqual((await readAll(b, 0, tipOnB)).map(text), ['from-a', 'from-b']);
      assert.deepEqual((await readAll(a, 0)).map(text), ['from-a', 'from-b']);
      assert.ok((await b.tipCursor(0)) > (await a.append(0, [record('k', 'x')])).firstCursor - 1n);
    } finally {
      await other.close();
    }
  });

  it('a log closed and opened again stores new appends (message ids are never reused)', async () => {
    const id = `reopened-${Date.now().toString(36)}`;
    const first = await node.store.open(id);
    const a = await first.append(0, [record('k', 'one')]);
    await first.close();
    const again = await node.store.open(id);
    const b = await again.append(0, [record('k', 'two')]);
    assert.ok(b.firstCursor > a.firstCursor, 'not taken for a duplicate of the first append');
    assert.deepEqual((await readAll(again, 0)).map(text), ['one', 'two']);
  });

  it('destroy deletes the JetStream stream; a log opened again under the id starts empty', async () => {
    const id = `gone-${Date.now().toString(36)}`;
    const log = await node.store.open(id);
    await log.append(0, [record('k', 'v')]);
    await assert.rejects(node.store.destroy(id), /open/);
    await log.close();
    await node.store.destroy(id);
    await node.store.destroy(id); // a no-op the second time
    const jsm = await jetstreamManager(node.nc);
    await assert.rejects(jsm.streams.info(`freshet_${id}`));
  });
});
