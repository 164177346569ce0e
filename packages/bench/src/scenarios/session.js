import { createActiveStream } from '../kinesis/streams.js';
import { KinesisHttp } from '../kinesis/http.js';
import { startRssSampler } from '../util/proc.js';

let streamCounter = 0;

/**
 * Starts `target` fresh, creates a stream of `shards` shards, runs `body({endpoint, streamName})`,
 * then stops the target whatever happens. Each measurement gets a fresh server so that one
 * scenario's records (kept in memory by the peers) do not weigh on the next.
 */
export function withStream(ctx, target, shards, body) {
  return withServer(ctx, target, async (endpoint) => {
    const streamName = `bench-${process.pid}-${++streamCounter}`;
    const admin = new KinesisHttp(endpoint, { maxSockets: 1 });
    try {
      await createActiveStream(admin, streamName, shards);
    } finally {
      admin.close();
    }
    return body({ endpoint, streamName });
  });
}

/** Starts `target` fresh, runs `body(endpoint)`, stops the target whatever happens. */
export async function withServer(ctx, target, body) {
  const startupMs = await target.start();
  ctx.recordStartup(target, startupMs);
  try {
    return await body(target.endpoint);
  } finally {
    await target.stop();
  }
}

/** Runs `work()` while sampling the target's RSS; returns [result, {maxRssBytes, ...}]. */
export async function withRss(target, work) {
  const sampler = startRssSampler(target.pid);
  try {
    const result = await work();
    return [result, sampler.stop()];
  } catch (error) {
    sampler.stop();
    throw error;
  }
}

/** A job's time limit: its own length plus room for set-up, in ms. */
export function jobTimeout(...seconds) {
  return (seconds.reduce((a, b) => a + b, 0) + 60) * 1000;
}
