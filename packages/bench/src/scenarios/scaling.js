import { jobTimeout, withRss, withStream } from './session.js';
import { fmt } from '../util/format.js';
import { MAX_RECORD_DATA_BYTES, recordsPerCall } from '../kinesis/records.js';
import { describeErrors } from './put-records.js';

const SHARD_COUNTS = [1, 4, 16, 64, 256];
// "1 MiB" is the largest record AWS accepts: 1 MiB of data plus partition key (kinesalite would
// take a full 1 MiB of data, Freshet and AWS do not).
const RECORD_SIZES = [100, 1024, 10 * 1024, MAX_RECORD_DATA_BYTES];

const columns = (variable) => [
  { key: 'target', label: 'target' },
  variable,
  { key: 'perCall', label: 'records/call', format: fmt.int },
  { key: 'recordsPerSecond', label: 'records/s', format: fmt.int },
  { key: 'bytesPerSecond', label: 'MB/s', format: fmt.mb },
  { key: 'failedRecords', label: 'failed', format: fmt.int },
  { key: 'maxRssBytes', label: 'RSS max MiB', format: fmt.mib },
  { key: 'note', label: 'note' },
];

/** One closed-loop PutRecords measurement (pre-built bodies, 8 in flight) on a fresh server;
 * a failed point becomes a row with a note, so that the other points still count. */
async function measure(ctx, target, shards, recordSize) {
  try {
    return await measurePoint(ctx, target, shards, recordSize);
  } catch (error) {
    await target.stop().catch(() => {});
    return { target: target.name, shards, recordSize, perCall: recordsPerCall(recordSize), note: error.message.split('\n')[0] };
  }
}

async function measurePoint(ctx, target, shards, recordSize) {
  const { sizes } = ctx;
  const perCall = recordsPerCall(recordSize);
  const load = { recordSize, perCall, concurrency: 8, warmupMs: sizes.warmupSeconds * 1000, durationMs: sizes.scaleSeconds * 1000 };
  const [result, rss] = await withStream(ctx, target, shards, (stream) =>
    withRss(target, () => ctx.runJob('putRecordsRaw', { ...stream, ...load }, jobTimeout(sizes.warmupSeconds, sizes.scaleSeconds))),
  );
  return { target: target.name, shards, recordSize, perCall, recordsPerSecond: result.recordsPerSecond, bytesPerSecond: result.bytesPerSecond, failedRecords: result.failedRecords, maxRssBytes: rss.maxRssBytes, note: describeErrors(result), errors: result.errors, result };
}

/** Scenario 5a: throughput against shard count, 1 KiB records. */
export const scaleShards = {
  id: 'scale-shards',
  title: 'Scaling with shard count: PutRecords pre-built, 1 KiB records, 8 calls in flight',
  columns: columns({ key: 'shards', label: 'shards', format: fmt.int }),
  async run(ctx, target) {
    const rows = [];
    for (const shards of ctx.sizes.shardCounts ?? SHARD_COUNTS) rows.push(await measure(ctx, target, shards, 1024));
    return rows;
  },
};

/** Scenario 5b: throughput against record size, 4 shards; calls carry at most 500 records and 5 MiB. */
export const scaleRecordSize = {
  id: 'scale-record-size',
  title: 'Scaling with record size: PutRecords pre-built, 4 shards, 8 calls in flight',
  columns: columns({ key: 'recordSize', label: 'record bytes', format: fmt.int }),
  async run(ctx, target) {
    const rows = [];
    for (const recordSize of RECORD_SIZES) rows.push(await measure(ctx, target, 4, recordSize));
    return rows;
  },
};
