import { NoopTarget } from '../targets/noop.js';
import { jobTimeout, withServer } from './session.js';
import { fmt } from '../util/format.js';
import { DRAIN_READERS } from '../load/drain.js';

/**
 * Ceilings of this machine, measured in the same run: what a server that does no work answers
 * (pre-built bodies, and through SDK v3), and what the data disk does with fdatasync.
 * Runs once, not per target.
 */
export const calibrate = {
  id: 'calibrate',
  title: 'Calibration: ceilings of this machine (no-op server, SDK client alone, data disk)',
  once: true,
  columns: [
    { key: 'measure', label: 'ceiling' },
    { key: 'value', label: 'value' },
    { key: 'detail', label: 'detail' },
  ],
  async run(ctx) {
    const { sizes } = ctx;
    const noop = new NoopTarget();
    const load = {
      recordSize: 1024,
      perCall: 500,
      concurrency: 8,
      warmupMs: sizes.warmupSeconds * 1000,
      durationMs: sizes.calibrateSeconds * 1000,
    };
    const timeout = jobTimeout(sizes.warmupSeconds, sizes.calibrateSeconds);
    const raw = await withServer(ctx, noop, (endpoint) => ctx.runJob('putRecordsRaw', { endpoint, streamName: 'noop', ...load }, timeout));
    const sdkH2 = await withServer(ctx, noop, (endpoint) =>
      ctx.runJob('putRecordsSdk', { endpoint, streamName: 'noop', ...load, transport: 'h2' }, timeout),
    );
    const sdkHttp1 = await withServer(ctx, noop, (endpoint) =>
      ctx.runJob('putRecordsSdk', { endpoint, streamName: 'noop', ...load, transport: 'http1' }, timeout),
    );
    const drainRecords = sizes.drainRecords;
    const drains = {};
    for (const reader of Object.keys(DRAIN_READERS)) {
      const params = {
        streamName: 'noop',
        reader,
        recordSize: 1024,
        expectedRecords: drainRecords,
        timeCapMs: sizes.drainCapSeconds * 1000,
      };
      drains[reader] = await withServer(ctx, noop, (endpoint) =>
        ctx.runJob('drain', { ...params, endpoint }, jobTimeout(sizes.drainCapSeconds)),
      );
    }
    const latency = {};
    for (const rate of [200, 2000]) {
      const params = {
        endpoint: undefined,
        streamName: 'noop',
        rate,
        connections: sizes.latencyConnections,
        recordSize: 1024,
        warmupMs: 1000,
        durationMs: sizes.latencySeconds * 1000,
      };
      latency[rate] = await withServer(ctx, noop, (endpoint) =>
        ctx.runJob('putRecordOpenLoop', { ...params, endpoint }, jobTimeout(1, sizes.latencySeconds)),
      );
    }
    const disk = await ctx.runJob(
      'diskSync',
      { dir: ctx.dataRoot, durationMs: sizes.diskSeconds * 1000, maxBytes: 4 * 2 ** 30 },
      jobTimeout(2 * sizes.diskSeconds),
    );
    const rawRequestBytesPerSecond = (raw.calls * raw.requestBytes * 1000) / raw.elapsedMs;
    return [
      {
        measure: 'no-op server, pre-built PutRecords',
        value: `${fmt.mb(rawRequestBytesPerSecond / 1000)} GB/s`,
        detail: `${fmt.int(raw.recordsPerSecond)} records/s of 1 KiB (request bytes incl. base64)`,
        raw,
        rawRequestBytesPerSecond,
      },
      {
        measure: 'no-op server, SDK v3 h2c (default)',
        value: `${fmt.int(sdkH2.recordsPerSecond)} records/s`,
        detail: 'the SDK client alone, 8 calls in flight',
        sdk: sdkH2,
      },
      {
        measure: 'no-op server, SDK v3 HTTP/1.1',
        value: `${fmt.int(sdkHttp1.recordsPerSecond)} records/s`,
        detail: 'the SDK client alone, 8 calls in flight',
        sdk: sdkHttp1,
      },
      ...Object.entries(DRAIN_READERS).map(([reader, label]) => ({
        measure: `no-op server, GetRecords drain, ${label}`,
        value: `${fmt.int(drains[reader].recordsPerSecond)} records/s`,
        detail: `the drain client alone (${label} of 10,000 records of 1 KiB a call), ${fmt.int(drains[reader].records)} records`,
        reader,
        drain: drains[reader],
      })),
      ...[200, 2000].map((rate) => ({
        measure: `no-op server, PutRecord latency at ${fmt.int(rate)}/s`,
        value: `p50 ${fmt.ms(latency[rate].latencyMs.p50)} ms`,
        detail: `p99 ${fmt.ms(latency[rate].latencyMs.p99)} ms, max ${fmt.ms(latency[rate].latencyMs.max)} ms: the latency client and loopback alone (the floor under any server)`,
        rate,
        latency: latency[rate],
      })),
      {
        measure: 'disk: 1 KiB append + fdatasync',
        value: `p50 ${fmt.ms(disk.smallAppend.fdatasyncMs.p50)} ms`,
        detail: `p99 ${fmt.ms(disk.smallAppend.fdatasyncMs.p99)} ms, max ${fmt.ms(disk.smallAppend.fdatasyncMs.max)} ms`,
        disk: disk.smallAppend,
      },
      {
        measure: 'disk: sequential, fdatasync every 10 ms',
        value: `${fmt.int(disk.sequential.bytesPerSecond / 1e6)} MB/s`,
        detail: `fdatasync p50 ${fmt.ms(disk.sequential.fdatasyncMs.p50)} ms, p99 ${fmt.ms(disk.sequential.fdatasyncMs.p99)} ms`,
        disk: disk.sequential,
      },
    ];
  },
};
