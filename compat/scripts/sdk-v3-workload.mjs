// The KPL test's workload through SDK v3, for the figures beside it in docs/BENCHMARKS.md: N small
// records ("u0", "u1", ...; 50 partition keys) written with PutRecords, 500 a call, one call at a
// time, then read back with GetRecords from TRIM_HORIZON, against a Freshet under --tls auto.
//
//   node compat/scripts/sdk-v3-workload.mjs <https endpoint> <ca file> [records, default 50000]
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const [endpoint, caFile, count = '50000'] = process.argv.slice(2);
const records = Number(count);
const kinesis = new KinesisClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDCOMPAT', secretAccessKey: 'compat-secret' },
  requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(caFile, 'utf8'), keepAlive: true }) }),
});
const StreamName = `sdk-v3-${Date.now()}`;
await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 2 }));
while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }))).StreamDescriptionSummary.StreamStatus !== 'ACTIVE') {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

let start = performance.now();
for (let from = 0; from < records; from += 500) {
  const batch = [];
  for (let i = from; i < Math.min(records, from + 500); i++) {
    batch.push({ PartitionKey: `pk-${i % 50}`, Data: Buffer.from(`u${i}`) });
  }
  const { FailedRecordCount } = await kinesis.send(new PutRecordsCommand({ StreamName, Records: batch }));
  if (FailedRecordCount) throw new Error(`${FailedRecordCount} records failed`);
}
const writeMs = performance.now() - start;

start = performance.now();
let read = 0;
for (const { ShardId } of (await kinesis.send(new ListShardsCommand({ StreamName }))).Shards) {
  let { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
  for (;;) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10000 }));
    read += page.Records.length;
    if (page.Records.length === 0 || page.MillisBehindLatest === 0) break;
    ShardIterator = page.NextShardIterator;
  }
}
const readMs = performance.now() - start;
const rate = (n, ms) => Math.round((n * 1000) / ms);
console.log(`SDK v3 (HTTP/1.1, TLS) wrote ${records} records in ${Math.round(writeMs)} ms: ${rate(records, writeMs)} records/s`);
console.log(`SDK v3 (HTTP/1.1, TLS) read ${read} records in ${Math.round(readMs)} ms: ${rate(read, readMs)} records/s`);
kinesis.destroy();
