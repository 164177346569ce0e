import { jobTimeout, withStream } from './session.js';
import { fmt } from '../util/format.js';

const RATE = 100;
const POLL_INTERVAL_MS = 5;

/**
 * Scenario 4: end-to-end latency from PutRecord to a polling GetRecords consumer.
 * SubscribeToShard (enhanced fan-out) is not measured yet: neither peer implements it over
 * HTTP/2 event streams in a way the SDK accepts, and Freshet does not have it yet.
 */
export const endToEnd = {
  id: 'end-to-end',
  title: `End-to-end latency, PutRecord to polling GetRecords consumer: ${RATE} records/s of 100 B, 4 shards, ${POLL_INTERVAL_MS} ms idle poll`,
  columns: [
    { key: 'target', label: 'target' },
    { key: 'consumer', label: 'consumer' },
    { key: 'received', label: 'received', format: fmt.int },
    { key: 'lost', label: 'lost', format: fmt.int },
    { key: 'duplicates', label: 'duplicates', format: fmt.int },
    { key: 'p50', label: 'p50 ms', format: fmt.ms },
    { key: 'p99', label: 'p99 ms', format: fmt.ms },
    { key: 'max', label: 'max ms', format: fmt.ms },
  ],
  async run(ctx, target) {
    const { sizes } = ctx;
    const params = { rate: RATE, recordSize: 100, warmupMs: 1000, durationMs: sizes.e2eSeconds * 1000, pollIntervalMs: POLL_INTERVAL_MS };
    const result = await withStream(ctx, target, 4, (stream) => ctx.runJob('endToEndPolling', { ...stream, ...params }, jobTimeout(1, sizes.e2eSeconds, 10)));
    return [{
      target: target.name,
      consumer: 'GetRecords poll',
      received: result.received,
      lost: result.lost,
      duplicates: result.duplicates,
      p50: result.latencyMs.p50,
      p99: result.latencyMs.p99,
      max: result.latencyMs.max,
      result,
    }];
  },
};
