#!/usr/bin/env node
/**
 * Measures the local storage engine (run `npx tsc -b packages/server` first; it loads dist/).
 *
 *   node packages/server/scripts/storage-bench.mjs [--dir /path] [--mb 1024] [--record 1024]
 *        [--shards 8] [--batch 100] [--concurrency 64] [--fsync always,never] [--encrypt none,kms]
 *
 * Appends `mb` MiB of `record`-byte records in appends of `batch` records to random shards,
 * with `concurrency` appends in flight (like many PutRecords requests at once), and reports MB/s.
 * Then it drains every shard with reads of up to 10,000 records / 10 MiB and reports records/s.
 * `--encrypt kms` appends with encryption at rest (AES-256-GCM under alias/aws/kinesis).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const here = path.dirname(new URL(import.meta.url).pathname);
const { openLocalStorage } = await import(path.join(here, '../dist/src/storage/local/index.js'));
const { LocalKeyring } = await import(path.join(here, '../dist/src/security/kms/index.js'));

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    mb: { type: 'string', default: '1024' },
    record: { type: 'string', default: '1024' },
    shards: { type: 'string', default: '8' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
    fsync: { type: 'string', default: 'always,never' },
    encrypt: { type: 'string', default: 'none' },
  },
});
const totalBytes = Number(values.mb) * 1024 * 1024;
const recordBytes = Number(values.record);
const shards = Number(values.shards);
const batch = Number(values.batch);
const concurrency = Number(values.concurrency);

const payload = Buffer.alloc(recordBytes, 'x');
const records = Array.from({ length: batch }, (_, i) => ({ partitionKey: `pk-${i}`, data: payload }));

async function appendPhase(log, options) {
  const appends = Math.ceil(totalBytes / (recordBytes * batch));
  let issued = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  async function worker() {
    while (issued < appends) {
      issued++;
      await log.append(Math.floor(Math.random() * shards), records, options);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const bytes = appends * batch * recordBytes;
  return {
    seconds,
    cpu: cpuSeconds(cpu),
    mbPerSecond: bytes / 1e6 / seconds,
    recordsPerSecond: (appends * batch) / seconds,
    records: appends * batch,
  };
}

/** CPU seconds (user + system) this process used since `since`: steadier than wall time on a busy machine. */
function cpuSeconds(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

async function readPhase(log) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  for (let shard = 0; shard < shards; shard++) {
    let cursor = 0n;
    for (;;) {
      const result = await log.read(shard, cursor, { maxRecords: 10_000, maxBytes: 10 * 1024 * 1024, notBeforeMs: 0 });
      count += result.records.length;
      cursor = result.nextCursor;
      if (result.atTip) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: cpuSeconds(cpu), records: count, recordsPerSecond: count / seconds };
}

for (const encrypt of values.encrypt.split(','))
  for (const fsync of values.fsync.split(',')) {
    const dataDir = fs.mkdtempSync(path.join(values.dir ?? os.tmpdir(), 'freshet-bench-'));
    try {
      const keys = encrypt === 'kms' ? new LocalKeyring({ dataDir, managedKeyDir: `${dataDir}.keys`, account: '000000000000' }) : undefined;
      const storage = await openLocalStorage({ dataDir, fsync, ...(keys ? { keys } : {}) });
      const log = await storage.records.open('bench');
      const append = await appendPhase(log, keys ? { encryptWith: 'alias/aws/kinesis' } : undefined);
      const read = await readPhase(log);
      if (read.records !== append.records) throw new Error(`read ${read.records} records, appended ${append.records}`);
      await storage.close();
      const rss = process.memoryUsage().rss / 1024 / 1024;
      console.log(
        `encrypt=${encrypt.padEnd(4)} fsync=${fsync.padEnd(6)} append ${append.mbPerSecond.toFixed(0).padStart(5)} MB/s ` +
          `(${Math.round(append.recordsPerSecond).toLocaleString('en-US')} records/s, ${append.seconds.toFixed(2)} s, cpu ${append.cpu.toFixed(2)} s)  ` +
          `read ${Math.round(read.recordsPerSecond).toLocaleString('en-US')} records/s (${read.seconds.toFixed(2)} s, cpu ${read.cpu.toFixed(2)} s)  rss ${rss.toFixed(0)} MB`,
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(`${dataDir}.keys`, { recursive: true, force: true });
    }
  }
console.log(
  `(${values.mb} MiB of ${recordBytes}-byte records, appends of ${batch} to ${shards} shards, ${concurrency} in flight; node ${process.version}, ${os.cpus().length} CPUs)`,
);
