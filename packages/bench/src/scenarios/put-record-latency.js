import { jobTimeout, withStream } from './session.js';
import { fmt } from '../util/format.js';

/** Scenario 2: PutRecord latency, open loop at fixed rates, from each call's due time. */
export const putRecordLatency = {
  id: 'put-record-latency',
  title: 'PutRecord latency, open loop (from scheduled send time): 1 KiB records, 4 shards, up to 50 connections',
  columns: [
    { key: 'target', label: 'target' },
    { key: 'rate', label: 'calls/s', format: fmt.int },
    { key: 'achievedRate', label: 'answered/s', format: fmt.int },
    { key: 'p50', label: 'p50 ms', format: fmt.ms },
    { key: 'p99', label: 'p99 ms', format: fmt.ms },
    { key: 'max', label: 'max ms', format: fmt.ms },
    { key: 'serviceP50', label: 'svc p50', format: fmt.ms },
    { key: 'serviceP99', label: 'svc p99', format: fmt.ms },
    { key: 'errorCount', label: 'errors', format: fmt.int },
  ],
  async run(ctx, target) {
    const { sizes } = ctx;
    const rows = [];
    for (const rate of [200, 2000]) {
      const params = {
        rate,
        connections: sizes.latencyConnections,
        recordSize: 1024,
        warmupMs: 1000,
        durationMs: sizes.latencySeconds * 1000,
      };
      const result = await withStream(ctx, target, 4, (stream) =>
        ctx.runJob('putRecordOpenLoop', { ...stream, ...params }, jobTimeout(1, sizes.latencySeconds, 30)),
      );
      rows.push({
        target: target.name,
        rate,
        achievedRate: result.achievedRate,
        p50: result.latencyMs.p50,
        p99: result.latencyMs.p99,
        max: result.latencyMs.max,
        serviceP50: result.serviceMs.p50,
        serviceP99: result.serviceMs.p99,
        errorCount: Object.values(result.errors).reduce((a, b) => a + b, 0) + result.skipped + result.unanswered,
        result,
      });
    }
    return rows;
  },
};
