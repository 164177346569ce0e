/**
 * The crash test: concurrent SDK writers drive PutRecords into a server running with the default
 * --fsync always; the server is killed with SIGKILL mid-load, restarted on the same data
 * directory, and every shard is read from TRIM_HORIZON to its end. Every acknowledged record must
 * be there exactly once, on the shard and with the sequence number it was given, in order;
 * unacknowledged records may or may not be there, but nothing appears twice and nothing that no
 * writer sent appears at all. Two crash rounds run on the same directory, so the second one
 * crashes a log that was itself recovered.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ListShardsCommand, PutRecordsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import { startServer, type TestServer } from '../helpers/server.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import { createActiveStream, hashKeyOf, readShard, shardOwning } from '../helpers/api.js';

const WRITERS = 8;
const SHARDS = 4;
/** How long the load runs before the kill. */
const LOAD_MS = 400;
/** At least this many records must be acknowledged before the kill, or the test proves little. */
const MIN_ACKED_BEFORE_KILL = 200;

interface Acked {
  writer: number;
  counter: number;
  round: number;
  shardId: string;
  sequenceNumber: string;
}

/** Record data names its round, writer and counter; a checksum-like tail catches torn bytes. */
function dataOf(round: number, writer: number, counter: number): string {
  const id = `r${round}-w${writer}-c${counter}`;
  return `${id}|${'x'.repeat(counter % 50)}|${id}`;
}
const DATA = /^r(\d+)-w(\d+)-c(\d+)\|(x*)\|r\1-w\2-c\3$/;
const partitionKeyOf = (writer: number, counter: number) => `w${writer}-k${counter % 13}`;

/**
 * Runs WRITERS concurrent writers until the server dies; resolves to what they know was acked
 * and the highest counter each writer sent.
 */
async function load(server: TestServer, streamName: string, round: number, onAck: (acked: Acked) => void) {
  const sent = new Array<number>(WRITERS).fill(-1);
  let acked = 0;
  let killed = false;
  const failuresBeforeKill: unknown[] = [];
  const writer = async (w: number) => {
    const client = kinesisClient(server.url);
    let counter = 0;
    try {
      for (;;) {
        const size = 1 + ((counter * 7 + w * 13) % 60);
        const batch = Array.from({ length: size }, (_, i) => counter + i);
        sent[w] = counter + size - 1;
        counter += size;
        let result;
        try {
          result = await client.send(
            new PutRecordsCommand({
              StreamName: streamName,
              Records: batch.map((c) => ({ PartitionKey: partitionKeyOf(w, c), Data: Buffer.from(dataOf(round, w, c)) })),
            }),
          );
        } catch (err) {
          if (!killed) failuresBeforeKill.push(err);
          return;
        }
        assert.equal(result.FailedRecordCount, 0);
        result.Records!.forEach((entry, i) => {
          onAck({ writer: w, counter: batch[i]!, round, shardId: entry.ShardId!, sequenceNumber: entry.SequenceNumber! });
        });
        acked += batch.length;
      }
    } finally {
      client.destroy();
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  const started = Date.now();
  while (Date.now() - started < LOAD_MS || acked < MIN_ACKED_BEFORE_KILL) {
    assert.equal(failuresBeforeKill.length, 0, `a write failed before the kill: ${String(failuresBeforeKill[0])}`);
    assert.ok(Date.now() - started < 20_000, `only ${acked} records acknowledged in 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  killed = true;
  await server.kill();
  await Promise.all(writers);
  assert.equal(failuresBeforeKill.length, 0, `a write failed before the kill: ${String(failuresBeforeKill[0])}`);
  return { sent, ackedBeforeKill: acked };
}

/** Reads every shard and checks the acknowledged records against what is there. */
async function verify(kinesis: KinesisClient, streamName: string, shards: Shard[], acked: Acked[], sent: Map<number, number[]>) {
  const ackedByKey = new Map<string, Acked>();
  for (const a of acked) ackedByKey.set(`${a.round}/${a.writer}/${a.counter}`, a);
  assert.equal(ackedByKey.size, acked.length, 'no record was acknowledged twice');

  const seen = new Set<string>();
  let unacknowledgedPresent = 0;
  for (const shard of shards) {
    const records = await readShard(kinesis, streamName, shard.ShardId!, { ShardIteratorType: 'TRIM_HORIZON' }, 2000);
    let previous = -1n;
    const lastCounter = new Map<string, number>();
    for (const record of records) {
      const sequence = BigInt(record.SequenceNumber!);
      assert.ok(sequence > previous, `${shard.ShardId}: sequence numbers increase (${record.SequenceNumber})`);
      previous = sequence;
      const text = Buffer.from(record.Data!).toString('utf8');
      const match = DATA.exec(text);
      assert.ok(match, `${shard.ShardId}: a record no writer sent: ${JSON.stringify(text.slice(0, 100))}`);
      const [round, writer, counter] = [Number(match[1]), Number(match[2]), Number(match[3])];
      assert.equal(match[4]!.length, counter % 50, `${shard.ShardId}: record ${text} has the wrong padding`);
      assert.ok(counter <= (sent.get(round)?.[writer] ?? -1), `${shard.ShardId}: ${text} was never sent`);
      assert.equal(record.PartitionKey, partitionKeyOf(writer, counter));
      assert.equal(shardOwning(shards, hashKeyOf(record.PartitionKey!)).ShardId, shard.ShardId, `${text} is on its partition key's shard`);
      const key = `${round}/${writer}/${counter}`;
      assert.ok(!seen.has(key), `${shard.ShardId}: ${text} appears twice`);
      seen.add(key);
      // One writer's requests are sequential, so its records keep their order within a shard.
      const order = `${round}/${writer}`;
      assert.ok(counter > (lastCounter.get(order) ?? -1), `${shard.ShardId}: ${text} is out of its writer's order`);
      lastCounter.set(order, counter);
      const ack = ackedByKey.get(key);
      if (ack) {
        assert.equal(ack.shardId, shard.ShardId, `${text} is on the shard it was acknowledged on`);
        assert.equal(ack.sequenceNumber, record.SequenceNumber, `${text} has the sequence number it was acknowledged with`);
      } else {
        unacknowledgedPresent++;
      }
    }
  }
  const missing = acked.filter((a) => !seen.has(`${a.round}/${a.writer}/${a.counter}`));
  assert.equal(
    missing.length,
    0,
    `acknowledged records lost: ${missing
      .slice(0, 5)
      .map((m) => JSON.stringify(m))
      .join(', ')}`,
  );
  return { records: seen.size, unacknowledgedPresent };
}

describe('crash (kill -9 under load)', () => {
  it('keeps every acknowledged record exactly once, in order, with its sequence number', async () => {
    let server = await startServer();
    const dataDir = server.dataDir;
    const acked: Acked[] = [];
    const sent = new Map<number, number[]>();
    try {
      const setup = kinesisClient(server.url);
      const streamName = uniqueName('crash');
      await createActiveStream(setup, { StreamName: streamName, ShardCount: SHARDS });
      const shards = (await setup.send(new ListShardsCommand({ StreamName: streamName }))).Shards!;
      setup.destroy();

      for (const round of [1, 2]) {
        const result = await load(server, streamName, round, (a) => acked.push(a));
        sent.set(round, result.sent);
        server = await startServer({ dataDir });
        const kinesis = kinesisClient(server.url);
        try {
          const checked = await verify(kinesis, streamName, shards, acked, sent);
          assert.ok(checked.records >= acked.length);
          if (process.env.FRESHET_TEST_VERBOSE) {
            console.log(
              `round ${round}: ${acked.length} acknowledged, ${checked.records} present, ${checked.unacknowledgedPresent} unacknowledged but durable`,
            );
          }
        } finally {
          kinesis.destroy();
        }
      }
      assert.equal(await server.stop(), 0);
    } finally {
      await server.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
