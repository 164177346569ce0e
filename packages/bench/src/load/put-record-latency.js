import { KinesisHttp, errorType } from '../kinesis/http.js';
import { partitionKey, recordData } from '../kinesis/records.js';
import { LatencySamples } from '../util/stats.js';
import { startMetronome } from './metronome.js';

const DISTINCT_REQUESTS = 64;

/**
 * PutRecord at a fixed rate, open loop: call i is due at start + i/rate whether or not earlier
 * calls have answered, and its latency is counted from that due time. A server that stalls
 * therefore pays for every call it delayed (no coordinated omission).
 * `latencyMs` is from the due time; `serviceMs` from the moment the request was actually written,
 * which leaves out the client's own timer lag (reported as `sendLagMs`).
 * At most `maxOutstanding` calls are in flight; calls due beyond that are counted as `skipped`.
 * Calls share up to `connections` keep-alive connections (default 50, as SDK v3's HTTP/1.1 agent);
 * a call waiting for a free connection is still late from its due time.
 */
export async function putRecordOpenLoop({
  endpoint,
  streamName,
  rate,
  recordSize,
  warmupMs,
  durationMs,
  maxOutstanding = 2000,
  connections = 50,
}) {
  const client = new KinesisHttp(endpoint, { maxSockets: connections });
  const requests = Array.from({ length: DISTINCT_REQUESTS }, (_, i) =>
    client.prepare('PutRecord', {
      StreamName: streamName,
      PartitionKey: partitionKey(i, 0),
      Data: recordData(recordSize).toString('base64'),
    }),
  );
  const latency = new LatencySamples();
  const service = new LatencySamples();
  const sendLag = new LatencySamples();
  const errors = {};
  let outstanding = 0;
  let skipped = 0;
  let completed = 0;

  const intervalMs = 1000 / rate;
  const start = performance.now() + 20;
  const measureFrom = start + warmupMs;
  const totalCalls = Math.floor(((warmupMs + durationMs) * rate) / 1000);
  let index = 0;
  let allSent;
  const sent = new Promise((resolve) => (allSent = resolve));

  function fire(dueAt) {
    const measured = dueAt >= measureFrom;
    const sentAt = performance.now();
    outstanding++;
    client.send(requests[index % DISTINCT_REQUESTS]).then(
      ({ status, body }) => finish(dueAt, sentAt, measured, status === 200 ? null : errorType(body)),
      (error) => finish(dueAt, sentAt, measured, error.code ?? 'Error'),
    );
  }

  function finish(dueAt, sentAt, measured, error) {
    const now = performance.now();
    outstanding--;
    if (!measured) return;
    completed++;
    if (error) errors[error] = (errors[error] ?? 0) + 1;
    latency.add(now - dueAt);
    service.add(now - sentAt);
    sendLag.add(sentAt - dueAt);
  }

  // Fires every call that is due, on each beat of the metronome: call `beat` by the metronome's
  // word (its clock and this thread's may differ by microseconds), later ones by this clock.
  function tick(beat) {
    const now = performance.now();
    while (index < totalCalls && (index <= beat || start + index * intervalMs <= now)) {
      if (outstanding >= maxOutstanding) skipped++;
      else fire(start + index * intervalMs);
      index++;
    }
    if (index >= totalCalls) allSent();
  }
  const metronome = startMetronome(performance.timeOrigin + start, intervalMs, totalCalls, tick);
  await sent;
  metronome.terminate();
  const drainDeadline = performance.now() + 30_000;
  while (outstanding > 0 && performance.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 5));
  client.close();

  const measuredCalls = Math.floor((durationMs * rate) / 1000);
  return {
    rate,
    measuredCalls,
    completed,
    skipped,
    unanswered: outstanding,
    achievedRate: (completed * 1000) / durationMs,
    errors,
    latencyMs: latency.summary(),
    serviceMs: service.summary(),
    sendLagMs: sendLag.summary(),
  };
}
