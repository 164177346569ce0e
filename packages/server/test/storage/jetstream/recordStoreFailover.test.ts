/**
 * SIGKILL of the JetStream leader of a log's stream while appends are in flight: every
 * acknowledged record is readable afterwards at the cursor it was given, once, in order; nothing
 * is stored twice (retries carry the same message id). The time from the kill to the first
 * acknowledged append issued after it is printed (a figure, not an assertion).
 */

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsCluster, type NatsCluster } from '../../helpers/natsCluster.js';
import { readAll, record, text } from '../helpers.js';
import { openNode, type JetStreamNode } from './helpers.js';

const WRITERS = 8;
const RECORDS_PER_APPEND = 10;
const ACKS_BEFORE_KILL = 100;
const ACKS_AFTER_KILL = 100;

describe('JetStream record store: the stream leader is killed under load', { timeout: 240_000 }, () => {
  let cluster: NatsCluster;
  let node: JetStreamNode;

  before(async () => {
    cluster = await startNatsCluster(3);
    node = await openNode(cluster.urls, { publish: { attemptTimeoutMs: 1_000, deadlineMs: 60_000, firstBackoffMs: 50 } });
  });
  after(async () => {
    await node?.close();
    await cluster?.stop();
  });

  it('loses no acknowledged record and stores none twice', async () => {
    const id = `failover-${Date.now().toString(36)}`;
    const log = await node.store.open(id);
    await log.append(0, [record('k', 'first')]);
    const info = await (await jetstreamManager(node.nc)).streams.info(`freshet_${id}`);
    const leader = Number(info.cluster!.leader!.slice(1));
    assert.ok(leader >= 0 && leader < 3, `leader ${info.cluster?.leader}`);

    const acked = new Map<string, bigint>(); // value -> cursor
    const perWriter: bigint[][] = Array.from({ length: WRITERS }, () => []);
    const timing: { killedAt?: number; firstAckAfterKill?: number } = {};
    let refused = 0;
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let batch = 0; !stop; batch++) {
        const values = Array.from({ length: RECORDS_PER_APPEND }, (_, i) => `w${w}-b${batch}-r${i}`);
        const issuedAt = Date.now();
        try {
          const { firstCursor } = await log.append(
            w % 2,
            values.map((v) => record(`pk${w}`, v)),
          );
          values.forEach((v, i) => acked.set(v, firstCursor + BigInt(i)));
          perWriter[w]!.push(firstCursor);
          if (issuedAt >= (timing.killedAt ?? Infinity) && timing.firstAckAfterKill === undefined) timing.firstAckAfterKill = Date.now();
        } catch {
          refused++; // not acknowledged: may or may not be stored, never twice
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await until(() => acked.size >= ACKS_BEFORE_KILL * RECORDS_PER_APPEND);
    timing.killedAt = Date.now();
    await cluster.kill(leader, 'SIGKILL');
    const ackedAtKill = acked.size;
    await until(() => acked.size >= ackedAtKill + ACKS_AFTER_KILL * RECORDS_PER_APPEND);
    stop = true;
    await Promise.all(writers);
    console.log(
      `# leader n${leader} killed: first append issued after the kill acknowledged in ${timing.firstAckAfterKill! - timing.killedAt} ms; ` +
        `${acked.size} records acknowledged, ${refused} appends refused`,
    );

    for (const cursors of perWriter) {
      for (let i = 1; i < cursors.length; i++) assert.ok(cursors[i]! > cursors[i - 1]!, "a writer's appends are in order");
    }
    const stored = [...(await readAll(log, 0)), ...(await readAll(log, 1))];
    const seen = new Map<string, bigint>();
    for (const r of stored) {
      assert.equal(seen.has(text(r)), false, `${text(r)} stored once`);
      seen.set(text(r), r.cursor);
    }
    for (const [value, cursor] of acked) assert.equal(seen.get(value), cursor, `${value} readable at its cursor`);
    for (const shard of [0, 1]) {
      const cursors = stored.filter((r) => r.partitionKey !== 'k' && Number(r.partitionKey.slice(2)) % 2 === shard).map((r) => r.cursor);
      assert.deepEqual(
        cursors,
        [...cursors].sort((a, b) => (a < b ? -1 : 1)),
        'read in cursor order',
      );
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
