import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LatencySamples } from '../util/stats.js';

/**
 * What the data disk can do, the floor under any durable server on it:
 * 1. small appends (1 KiB write + fdatasync, one after another): the cost of one durable ack;
 * 2. sequential 1 MiB writes with an fdatasync every 10 ms: the durable bandwidth with group commit.
 * Each part runs for `durationMs` or `maxBytes`, whichever comes first; the file is removed after.
 */
export function diskSync({ dir, durationMs, maxBytes }) {
  const scratch = mkdtempSync(join(dir, 'disk-calibration-'));
  try {
    return {
      smallAppend: smallAppends(join(scratch, 'small'), durationMs),
      sequential: sequentialWrites(join(scratch, 'big'), durationMs, maxBytes),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function smallAppends(path, durationMs) {
  const fd = openSync(path, 'a');
  const record = Buffer.alloc(1024, 7);
  const syncMs = new LatencySamples();
  const stopAt = performance.now() + durationMs;
  try {
    while (performance.now() < stopAt) {
      writeSync(fd, record);
      const before = performance.now();
      fdatasyncSync(fd);
      syncMs.add(performance.now() - before);
    }
  } finally {
    closeSync(fd);
  }
  return { fdatasyncMs: syncMs.summary() };
}

function sequentialWrites(path, durationMs, maxBytes) {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(2 ** 20, 9);
  const syncMs = new LatencySamples();
  const start = performance.now();
  const stopAt = start + durationMs;
  let written = 0;
  let lastSync = start;
  try {
    while (performance.now() < stopAt && written < maxBytes) {
      written += writeSync(fd, chunk);
      if (performance.now() - lastSync >= 10) {
        const before = performance.now();
        fdatasyncSync(fd);
        lastSync = performance.now();
        syncMs.add(lastSync - before);
      }
    }
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const elapsedMs = performance.now() - start;
  return { bytes: written, elapsedMs, bytesPerSecond: (written * 1000) / elapsedMs, fdatasyncMs: syncMs.summary() };
}
