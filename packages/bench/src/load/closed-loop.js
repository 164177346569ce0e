import { LatencySamples } from '../util/stats.js';

/**
 * Keeps `concurrency` calls in flight for `warmupMs + durationMs`, counting only completions in the
 * measured window (after warm-up). Stops early once `maxRecords` have been acknowledged.
 * `call()` resolves to {records, bytes, failedRecords, error?}: records acknowledged by that call.
 * A target that fails its first GIVE_UP_AFTER_ERRORS calls without one success does not support
 * the load at all (e.g. HTTP/2 against an HTTP/1.1-only server): the loop gives up at once.
 */
const GIVE_UP_AFTER_ERRORS = 50;
// Calls still unanswered this long after the window closes are abandoned, not waited for.
const GRACE_MS = 10_000;

export async function closedLoop({ concurrency, warmupMs, durationMs, maxRecords = Infinity, call }) {
  const totals = { calls: 0, records: 0, bytes: 0, failedRecords: 0, errorCalls: 0, errors: {} };
  const callLatency = new LatencySamples(1_000_000);
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const stopAt = measureFrom + durationMs;
  let acknowledged = 0;
  let lastCompletion = measureFrom;
  let failuresBeforeSuccess = 0;
  let gaveUp = false;

  const countError = (type) => {
    totals.errorCalls++;
    totals.errors[type] = (totals.errors[type] ?? 0) + 1;
  };

  async function lane() {
    while (performance.now() < stopAt && acknowledged < maxRecords && !gaveUp) {
      const sentAt = performance.now();
      let outcome;
      try {
        outcome = await call();
      } catch (error) {
        outcome = { records: 0, bytes: 0, failedRecords: 0, error: error.code ?? error.name ?? 'Error' };
      }
      const now = performance.now();
      acknowledged += outcome.records;
      if (acknowledged === 0 && outcome.error && ++failuresBeforeSuccess >= GIVE_UP_AFTER_ERRORS) {
        gaveUp = true;
        countError(outcome.error);
      }
      if (now < measureFrom || now > stopAt) continue;
      lastCompletion = now;
      totals.calls++;
      totals.records += outcome.records;
      totals.bytes += outcome.bytes;
      totals.failedRecords += outcome.failedRecords;
      if (outcome.error) countError(outcome.error);
      callLatency.add(now - sentAt);
    }
  }

  let lanesDone = false;
  const lanes = Promise.all(Array.from({ length: concurrency }, lane)).then(() => (lanesDone = true));
  const grace = new Promise((resolve) => setTimeout(resolve, warmupMs + durationMs + GRACE_MS).unref());
  await Promise.race([lanes, grace]);
  const abandoned = !lanesDone;
  // When stopped by maxRecords the window ends at the last completion, not at the deadline.
  const elapsedMs = acknowledged >= maxRecords ? Math.max(1, lastCompletion - measureFrom) : durationMs;
  return {
    ...totals,
    gaveUp,
    abandoned,
    acknowledgedTotal: acknowledged,
    elapsedMs,
    recordsPerSecond: (totals.records * 1000) / elapsedMs,
    bytesPerSecond: (totals.bytes * 1000) / elapsedMs,
    callLatencyMs: callLatency.summary(),
  };
}
