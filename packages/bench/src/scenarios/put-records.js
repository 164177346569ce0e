import { jobTimeout, withRss, withStream } from './session.js';
import { fmt } from '../util/format.js';

// The SDK's default transport for Kinesis is HTTP/2; over http:// that is cleartext h2c.
export const CLIENTS = [
  { client: 'pre-built', job: 'putRecordsRaw' },
  { client: 'SDK v3 h2c (default)', job: 'putRecordsSdk', transport: 'h2' },
  { client: 'SDK v3 HTTP/1.1', job: 'putRecordsSdk', transport: 'http1' },
];

/** The errors of a run in a few words, e.g. "gave up: ERR_HTTP2_ERROR x50". */
export function describeErrors(result) {
  const parts = Object.entries(result.errors).map(([type, count]) => `${type} x${count}`);
  if (result.abandoned) parts.push('calls unanswered 10 s after the window, abandoned');
  if (!parts.length) return '';
  return `${result.gaveUp ? 'gave up: ' : ''}${parts.join(', ')}`;
}

/** Scenario 1 (and server RSS under load, scenario 5): PutRecords throughput, raw and through SDK v3. */
export const putRecords = {
  id: 'put-records',
  title: 'PutRecords throughput: 1 KiB records, 500 per call, 4 shards, 8 calls in flight',
  columns: [
    { key: 'target', label: 'target' },
    { key: 'client', label: 'client' },
    { key: 'recordsPerSecond', label: 'records/s', format: fmt.int },
    { key: 'bytesPerSecond', label: 'MB/s', format: fmt.mb },
    { key: 'callP50', label: 'call p50 ms', format: fmt.ms },
    { key: 'callP99', label: 'call p99 ms', format: fmt.ms },
    { key: 'failedRecords', label: 'failed', format: fmt.int },
    { key: 'maxRssBytes', label: 'RSS max MiB', format: fmt.mib },
    { key: 'note', label: 'note' },
  ],
  async run(ctx, target) {
    const { sizes } = ctx;
    const load = {
      recordSize: 1024,
      perCall: 500,
      concurrency: 8,
      warmupMs: sizes.warmupSeconds * 1000,
      durationMs: sizes.putSeconds * 1000,
    };
    const timeout = jobTimeout(sizes.warmupSeconds, sizes.putSeconds);
    const rows = [];
    for (const { client, job, transport } of CLIENTS) {
      const [result, rss] = await withStream(ctx, target, 4, (stream) =>
        withRss(target, () => ctx.runJob(job, { ...stream, ...load, transport }, timeout)),
      );
      rows.push({
        target: target.name,
        client,
        recordsPerSecond: result.recordsPerSecond,
        bytesPerSecond: result.bytesPerSecond,
        callP50: result.callLatencyMs.p50,
        callP99: result.callLatencyMs.p99,
        failedRecords: result.failedRecords,
        maxRssBytes: rss.maxRssBytes,
        note: describeErrors(result),
        errors: result.errors,
        result,
        rss,
      });
    }
    return rows;
  },
};
