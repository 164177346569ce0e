#!/usr/bin/env node
/**
 * Measures the JetStream record engine on a 3-node nats-server cluster it starts on loopback
 * (run `npx tsc -b packages/server` first; it loads dist/, the test cluster harness included).
 *
 *   node packages/server/scripts/jetstream-bench.mjs [--mb 256] [--record 1024] [--shards 8]
 *        [--batch 100] [--concurrency 64] [--replicas 3]
 *
 * 1. The ceiling: the same messages (same sizes, random shard subjects, message ids) published
 *    with @nats-io/jetstream directly, `concurrency` in flight, to an R`replicas` stream, which is
 *    then deleted (measured first, so neither run pays for the other's data on disk).
 * 2. Freshet: appends `mb` MiB of `record`-byte records in appends of `batch` records to random
 *    shards, `concurrency` appends in flight, through JetStreamRecordStore (one message per
 *    append); then drains every shard with reads of up to 10,000 records / 10 MiB.
 * Prints MB/s, records/s and Freshet's append rate as a fraction of the ceiling.
 */

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

const here = path.dirname(new URL(import.meta.url).pathname);
const { JetStreamRecordStore } = await import(path.join(here, '../dist/src/storage/jetstream/recordStore.js'));
const { startNatsCluster } = await import(path.join(here, '../dist/test/helpers/natsCluster.js'));

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '256' },
    record: { type: 'string', default: '1024' },
    shards: { type: 'string', default: '8' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
    replicas: { type: 'string', default: '3' },
  },
});
const recordBytes = Number(values.record);
const shards = Number(values.shards);
const batch = Number(values.batch);
const concurrency = Number(values.concurrency);
const replicas = Number(values.replicas);
const appends = Math.ceil((Number(values.mb) * 1024 * 1024) / (recordBytes * batch));
const records = Array.from({ length: batch }, (_, i) => ({ partitionKey: `pk-${i}`, data: Buffer.alloc(recordBytes, i) }));
const mib = (appends * batch * recordBytes) / (1024 * 1024);

/** Runs `total` operations with `concurrency` in flight; returns seconds. */
async function pipelined(total, operation) {
  let issued = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) await operation(issued++);
    }),
  );
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const cluster = await startNatsCluster(3);
const nc = await connect({ servers: cluster.urls });
try {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  // The ceiling: raw JetStream publishes of messages of the same size.
  const messageBytes = 40 + batch * (6 + 4 + recordBytes);
  const body = Buffer.alloc(messageBytes, 1);
  const name = `raw-${Date.now().toString(36)}`;
  await jsm.streams.add({ name, subjects: [`${name}.*`], storage: 'file', num_replicas: replicas, duplicate_window: 120e9 });
  let id = 0;
  const rawSeconds = await pipelined(appends, () =>
    js.publish(`${name}.${Math.floor(Math.random() * shards)}`, body, { msgID: `m${id++}` }),
  );
  const rawMBs = mib / rawSeconds;
  await jsm.streams.delete(name); // each measurement starts on an empty store
  console.log(`jetstream publish (ceiling): ${mib.toFixed(0)} MiB in ${rawSeconds.toFixed(2)} s = ${rawMBs.toFixed(1)} MiB/s`);
  const store = new JetStreamRecordStore({ js, jsm, replicas });
  const log = await store.open(`bench-${Date.now().toString(36)}`);
  const appendSeconds = await pipelined(appends, () => log.append(Math.floor(Math.random() * shards), records));
  const freshetMBs = mib / appendSeconds;
  console.log(
    `freshet append: ${mib.toFixed(0)} MiB in ${appendSeconds.toFixed(2)} s = ${freshetMBs.toFixed(1)} MiB/s, ${Math.round((appends * batch) / appendSeconds)} records/s`,
  );

  let drained = 0;
  const drainStart = process.hrtime.bigint();
  for (let shard = 0; shard < shards; shard++) {
    for (let cursor = 0n; ;) {
      const read = await log.read(shard, cursor, { maxRecords: 10_000, maxBytes: 10 * 1024 * 1024, notBeforeMs: 0 });
      drained += read.records.length;
      cursor = read.nextCursor;
      if (read.atTip) break;
    }
  }
  const drainSeconds = Number(process.hrtime.bigint() - drainStart) / 1e9;
  console.log(`freshet drain: ${drained} records in ${drainSeconds.toFixed(2)} s = ${Math.round(drained / drainSeconds)} records/s`);

  console.log(`freshet / ceiling: ${((100 * freshetMBs) / rawMBs).toFixed(0)}%`);
  await log.close();
  await store.close();
} finally {
  await nc.close();
  await cluster.stop();
}
