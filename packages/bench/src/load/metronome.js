import { Worker } from 'node:worker_threads';

// The beat is kept by a thread that sleeps in Atomics.wait (a futex with a sub-millisecond
// timeout) and posts a message at each due time. setTimeout on the event loop wakes up to 1 ms
// late (libuv keeps time in whole milliseconds), which at these latencies would be most of what
// the open-loop generator reports; a message from a sleeping thread arrives within ~0.1 ms.
const METRONOME = `
const { parentPort, workerData: { startEpochMs, intervalMs, beats } } = require('node:worker_threads');
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const now = () => performance.timeOrigin + performance.now();
for (let i = 0; i < beats; i++) {
  const wait = startEpochMs + i * intervalMs - now();
  if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
  parentPort.postMessage(i);
}
`;

/**
 * Calls `onBeat` on this thread at `startEpochMs + i * intervalMs` for i < beats (epoch ms, as
 * performance.timeOrigin + performance.now()). A beat that arrives while the event loop is busy
 * is delivered late: `onBeat(i)` should act on every beat up to i that it has not acted on yet.
 */
export function startMetronome(startEpochMs, intervalMs, beats, onBeat) {
  const worker = new Worker(METRONOME, { eval: true, workerData: { startEpochMs, intervalMs, beats } });
  worker.on('message', onBeat);
  return worker;
}
