import { jobTimeout, withStream } from './session.js';
import { fmt } from '../util/format.js';
import { DRAIN_READERS } from '../load/drain.js';

/**
 * Scenario 3: GetRecords drain from TRIM_HORIZON over 4 shards. The stream is first filled with
 * pre-built PutRecords (1 KiB records) up to `drainRecords`, or as many as the target takes within
 * `preloadCapSeconds` (kinesis-local cannot take a million in any reasonable time); the drain then
 * reads back whatever was acknowledged, twice from TRIM_HORIZON: once with each reader of
 * load/drain.js (`scan`: the server's pace; `parse`: JSON.parse, a consumer's pace).
 */
export const drain = {
  id: 'drain',
  title: 'GetRecords drain from TRIM_HORIZON: 1 KiB records, 4 shards, Limit 10,000',
  columns: [
    { key: 'target', label: 'target' },
    { key: 'reader', label: 'client reads with' },
    { key: 'loaded', label: 'records loaded', format: fmt.int },
    { key: 'drained', label: 'drained', format: fmt.int },
    { key: 'recordsPerSecond', label: 'records/s', format: fmt.int },
    { key: 'bytesPerSecond', label: 'MB/s', format: fmt.mb },
    { key: 'callP50', label: 'call p50 ms', format: fmt.ms },
    { key: 'callP99', label: 'call p99 ms', format: fmt.ms },
  ],
  async run(ctx, target) {
    const { sizes } = ctx;
    return withStream(ctx, target, 4, async (stream) => {
      const preload = await ctx.runJob(
        'putRecordsRaw',
        {
          ...stream,
          recordSize: 1024,
          perCall: 500,
          concurrency: 8,
          warmupMs: 0,
          durationMs: sizes.preloadCapSeconds * 1000,
          maxRecords: sizes.drainRecords,
        },
        jobTimeout(sizes.preloadCapSeconds),
      );
      const loaded = preload.acknowledgedTotal;
      const rows = [];
      for (const [reader, label] of Object.entries(DRAIN_READERS)) {
        const result = await ctx.runJob(
          'drain',
          { ...stream, reader, recordSize: 1024, expectedRecords: loaded, timeCapMs: sizes.drainCapSeconds * 1000 },
          jobTimeout(sizes.drainCapSeconds),
        );
        rows.push({
          target: target.name,
          reader: label,
          loaded,
          drained: result.records,
          recordsPerSecond: result.recordsPerSecond,
          bytesPerSecond: result.bytesPerSecond,
          callP50: result.callLatencyMs.p50,
          callP99: result.callLatencyMs.p99,
          preloadRecordsPerSecond: (loaded * 1000) / preload.elapsedMs,
          result,
        });
      }
      return rows;
    });
  },
};
