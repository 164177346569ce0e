#!/usr/bin/env node
/**
 * A resharding run against a running server, with the AWS SDK for JavaScript v3:
 *
 *   node packages/server/scripts/reshard-demo.mjs http://127.0.0.1:4567 [stream-name]
 *
 * Creates a stream of 2 shards and takes it to 4, then to 3 (UpdateShardCount, UNIFORM_SCALING)
 * while a writer puts records all along: before, during (UPDATING) and after each step. Then it
 * reads every shard back parents first (a shard only once all its parents were read to their
 * end, following ChildShards, as KCL does) and prints the counts per shard and the totals.
 * Exits with 1 unless every acknowledged record was read back exactly once. The stream is left
 * in place for inspection.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  UpdateShardCountCommand,
} from '@aws-sdk/client-kinesis';

const [url, streamName = `reshard-demo-${Date.now().toString(36)}`] = process.argv.slice(2);
if (!url || url === '-h' || url === '--help') {
  process.stderr.write('Usage: node reshard-demo.mjs <server-url> [stream-name]\n');
  process.exit(2);
}

const client = new KinesisClient({
  endpoint: url,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'freshet-demo',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'freshet-demo',
  },
  maxAttempts: 1, // no retries: a retried PutRecords could write a record twice
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const summary = async () => (await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;

async function waitFor(status) {
  for (const deadline = Date.now() + 60_000; ; await sleep(20)) {
    const s = await summary();
    if (s.StreamStatus === status) return s;
    if (Date.now() > deadline) throw new Error(`${streamName} did not become ${status}`);
  }
}

// ---- the writer: PutRecords batches all along, each record labelled with the step it was sent in

const written = new Map(); // data -> { phase, shardId, sequenceNumber }
const phases = [];
let phase;
let writing = true;
let sent = 0;

function enter(label) {
  phase = { label, records: 0, status: '', openShards: 0 };
  phases.push(phase);
}

async function writer() {
  while (writing) {
    const current = phase;
    const records = Array.from({ length: 25 }, () => {
      const n = sent++;
      return { Data: Buffer.from(`demo-${String(n).padStart(6, '0')}`), PartitionKey: `user-${n % 97}` };
    });
    const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: records }));
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
    out.Records.forEach((result, i) => {
      written.set(records[i].Data.toString(), { phase: current.label, shardId: result.ShardId, sequenceNumber: result.SequenceNumber });
    });
    current.records += records.length;
  }
}

/** Runs a step's action; `status` is the stream's status while the step's records were written. */
async function finish(action) {
  phase.status = await action();
  phase.openShards = (await summary()).OpenShardCount;
}

async function step(label, action) {
  enter(label);
  await finish(action);
}

const hold = async () => {
  const { StreamStatus } = await summary();
  await sleep(400);
  return StreamStatus;
};

async function scaleTo(target) {
  await client.send(new UpdateShardCountCommand({ StreamName: streamName, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }));
  const { StreamStatus } = await summary();
  await waitFor('ACTIVE');
  return StreamStatus;
}

// ---- reading back by lineage

async function listAllShards() {
  const shards = [];
  let out = await client.send(new ListShardsCommand({ StreamName: streamName }));
  shards.push(...out.Shards);
  while (out.NextToken) {
    out = await client.send(new ListShardsCommand({ NextToken: out.NextToken }));
    shards.push(...out.Shards);
  }
  return shards;
}

const parentsOf = (shard) => [shard.ParentShardId, shard.AdjacentParentShardId].filter(Boolean);
const isClosed = (shard) => shard.SequenceNumberRange.EndingSequenceNumber !== undefined;

let getRecordsCalls = 0;
async function readShard(shard) {
  const closed = isClosed(shard);
  let { ShardIterator: iterator } = await client.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  const records = [];
  let childShards;
  while (iterator) {
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    getRecordsCalls++;
    records.push(...out.Records);
    iterator = out.NextShardIterator;
    if (!iterator)
      childShards = out.ChildShards; // the end of a closed shard
    else if (out.Records.length === 0 && !closed) break; // the tip of an open shard
  }
  return { records, childShards };
}

async function readByLineage() {
  const shards = await listAllShards();
  const listed = new Set(shards.map((shard) => shard.ShardId));
  const done = new Set();
  const order = [];
  const pending = [...shards];
  while (pending.length > 0) {
    const next = pending.findIndex((shard) => parentsOf(shard).every((p) => done.has(p) || !listed.has(p)));
    if (next < 0) throw new Error('no shard is ready to read: the lineage has a cycle');
    const [shard] = pending.splice(next, 1);
    const read = await readShard(shard);
    if (isClosed(shard) && !read.childShards?.length) throw new Error(`${shard.ShardId}: closed, but no ChildShards at its end`);
    done.add(shard.ShardId);
    order.push({ shard, ...read });
  }
  return order;
}

// ---- the run

const started = Date.now();
process.stdout.write(`Freshet resharding demo: ${url}, stream ${streamName}\n\n`);
await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
await waitFor('ACTIVE');

enter('2 shards');
const writing$ = writer();
await finish(hold);
await step('UpdateShardCount 2 -> 4', () => scaleTo(4));
await step('4 shards', hold);
await step('UpdateShardCount 4 -> 3', () => scaleTo(3));
await step('3 shards', hold);
writing = false;
await writing$;

const pad = (rows) => {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  return (
    rows
      .map(
        (row) =>
          '  ' +
          row
            .map((cell, c) => String(cell).padEnd(widths[c]))
            .join('  ')
            .trimEnd(),
      )
      .join('\n') + '\n'
  );
};
process.stdout.write('Records written during each step (the writer never stopped):\n');
process.stdout.write(
  pad([
    ['step', 'records', 'stream status', 'open shards after'],
    ...phases.map((p) => [p.label, p.records, p.status, p.openShards]),
    ['total', written.size, '', ''],
  ]),
);

const lineage = await readByLineage();
const seen = new Map();
let misplaced = 0;
for (const { shard, records } of lineage) {
  for (const record of records) {
    const data = Buffer.from(record.Data).toString();
    seen.set(data, (seen.get(data) ?? 0) + 1);
    const ack = written.get(data);
    if (!ack || ack.shardId !== shard.ShardId || ack.sequenceNumber !== record.SequenceNumber) misplaced++;
  }
}
const writtenPerShard = new Map();
for (const { shardId } of written.values()) writtenPerShard.set(shardId, (writtenPerShard.get(shardId) ?? 0) + 1);
const readTotal = lineage.reduce((n, { records }) => n + records.length, 0);
const short = (id) => String(Number(id.slice('shardId-'.length)));
/** A hash key as a share of the key space 0..2^128. */
const percent = (key) => `${(Number((key * 100_000n) >> 128n) / 1000).toFixed(1)}%`;

process.stdout.write('\nRead back by lineage (parents first, following ChildShards):\n');
process.stdout.write(
  pad([
    ['shard', 'parents', 'hash keys', 'state', 'written', 'read'],
    ...lineage.map(({ shard, records }) => [
      shard.ShardId,
      parentsOf(shard).map(short).join('+') || '-',
      `${percent(BigInt(shard.HashKeyRange.StartingHashKey))}..${percent(BigInt(shard.HashKeyRange.EndingHashKey) + 1n)}`,
      isClosed(shard) ? 'closed' : 'open',
      writtenPerShard.get(shard.ShardId) ?? 0,
      records.length,
    ]),
    ['total', '', '', '', written.size, readTotal],
  ]),
);

const missing = [...written.keys()].filter((data) => !seen.has(data));
const duplicated = [...seen.values()].filter((n) => n > 1).length;
const ok = missing.length === 0 && duplicated === 0 && misplaced === 0 && readTotal === written.size;
process.stdout.write(
  `\n${written.size} records acknowledged, ${readTotal} read back from ${lineage.length} shards ` +
    `(${lineage.filter(({ shard }) => !isClosed(shard)).length} open) in ${getRecordsCalls} GetRecords calls; ` +
    `missing ${missing.length}, read twice ${duplicated}, at another position ${misplaced}: ` +
    `${ok ? 'every record read back exactly once' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
);
client.destroy();
process.exit(ok ? 0 : 1);
