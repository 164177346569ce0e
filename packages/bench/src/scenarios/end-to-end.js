import { jobTimeout, withStream } from './session.js';
import { fmt } from '../util/format.js';

const RATE = 100;
const POLL_INTERVAL_MS = 5;
const CONSUMERS = [
  { job: 'endToEndPolling', consumer: 'GetRecords poll' },
  { job: 'endToEndSubscribe', consumer: 'SubscribeToShard' },
];

/**
 * Scenario 4: end-to-end latency from PutRecord to a consumer: a GetRecords poller, and
 * SubscribeToShard (enhanced fan-out) through SDK v3 where the target supports it.
 */
export const endToEnd = {
  id: 'end-to-end',
  title: `End-to-end latency, PutRecord to consumer: ${RATE} records/s of 100 B, 4 shards (poller waits ${POLL_INTERVAL_MS} ms after an empty answer)`,
  columns: [
    { key: 'target', label: 'target' },
    { key: 'consumer', label: 'consumer' },
    { key: 'received', label: 'received', format: fmt.int },
    { key: 'lost', label: 'lost', format: fmt.int },
    { key: 'duplicates', label: 'dups', format: fmt.int },
    { key: 'p50', label: 'p50 ms', format: fmt.ms },
    { key: 'p99', label: 'p99 ms', format: fmt.ms },
    { key: 'max', label: 'max ms', format: fmt.ms },
    { key: 'note', label: 'note' },
  ],
  async run(ctx, target) {
    const { sizes } = ctx;
    const params = { rate: RATE, recordSize: 100, warmupMs: 1000, durationMs: sizes.e2eSeconds * 1000, pollIntervalMs: POLL_INTERVAL_MS };
    const rows = [];
    for (const { job, consumer } of CONSUMERS) {
      try {
        const result = await withStream(ctx, target, 4, (stream) =>
          ctx.runJob(job, { ...stream, ...params }, jobTimeout(1, sizes.e2eSeconds, 40)),
        );
        const errors = Object.entries(result.errors)
          .map(([type, n]) => `${type} x${n}`)
          .join(', ');
        rows.push({
          target: target.name,
          consumer,
          received: result.received,
          lost: result.lost,
          duplicates: result.duplicates,
          p50: result.latencyMs.p50,
          p99: result.latencyMs.p99,
          max: result.latencyMs.max,
          note: errors,
          result,
        });
      } catch (error) {
        await target.stop().catch(() => {});
        rows.push({
          target: target.name,
          consumer,
          note: `not measured: ${
            error.message
              .split('\n')
              .find((line) => /Exception|Error|not/.test(line))
              ?.trim()
              .slice(0, 100) ?? 'failed'
          }`,
        });
      }
    }
    return rows;
  },
};
