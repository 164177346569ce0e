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
async function measure(ctx, target, shards, recordSize, seconds = ctx.sizes.scaleSeconds) {
  try {
    return await measurePoint(ctx, target, shards, recordSize, seconds);
  } catch (error) {
    await target.stop().catch(() => {});
    return { target: target.name, shards, recordSize, perCall: recordsPerCall(recordSize), note: error.message.split('\n')[0] };
  }
}

async function measurePoint(ctx, target, shards, recordSize, seconds) {
  const { sizes } = ctx;
  const perCall = recordsPerCall(recordSize);
  const load = { recordSize, perCall, concurrency: 8, warmupMs: sizes.warmupSeconds * 1000, durationMs: seconds * 1000 };
  const [result, rss] = await withStream(ctx, target, shards, (stream) =>
    withRss(target, () => ctx.runJob('putRecordsRaw', { ...stream, ...load }, jobTimeout(sizes.warmupSeconds, seconds))),
  );
  return {
    target: target.name,
    shards,
    recordSize,
    perCall,
    recordsPerSecond: result.recordsPerSecond,
    bytesPerSecond: result.bytesPerSecond,
    failedRecords: result.failedRecords,
    maxRssBytes: rss.maxRssBytes,
    note: describeErrors(result),
    errors: result.errors,
    result,
  };
}

/**
 * Scenario 5a: throughput against shard count, 1 KiB records. The sweep runs `sweepRepeats` times
 * in order (1 to 256, then again), so that a slow minute of this shared machine falls on every
 * point alike, and each row is the median of its point's runs: the spread between the best and
 * worst point of one sweep is otherwise mostly the noise of two single runs.
 */
export const scaleShards = {
  id: 'scale-shards',
  title: 'Scaling with shard count: PutRecords pre-built, 1 KiB records, 8 calls in flight',
  columns: columns({ key: 'shards', label: 'shards', format: fmt.int }),
  async run(ctx, target) {
    const counts = ctx.sizes.shardCounts ?? SHARD_COUNTS;
    const runs = counts.map(() => []);
    for (let repeat = 0; repeat < (ctx.sizes.sweepRepeats ?? 1); repeat++) {
      for (let i = 0; i < counts.length; i++)
        runs[i].push(await measure(ctx, target, counts[i], 1024, ctx.sizes.sweepSeconds ?? ctx.sizes.scaleSeconds));
    }
    return runs.map(medianRun);
  },
};

/** The run with the median throughput (the lower one of an even count), noting every run's figure. */
function medianRun(runs) {
  if (runs.length === 1) return runs[0];
  const measured = runs.filter((run) => run.recordsPerSecond !== undefined).sort((a, b) => a.recordsPerSecond - b.recordsPerSecond);
  const median = measured[Math.floor((measured.length - 1) / 2)] ?? runs[0];
  const figures = `median of ${runs.length}: ${runs.map((run) => (run.recordsPerSecond === undefined ? 'failed' : fmt.int(run.recordsPerSecond))).join(', ')}`;
  const maxRssBytes = Math.max(...runs.map((run) => run.maxRssBytes ?? 0));
  return {
    ...median,
    maxRssBytes,
    runs: runs.map((run) => run.recordsPerSecond ?? null),
    note: [median.note, figures].filter(Boolean).join('; '),
  };
}

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
