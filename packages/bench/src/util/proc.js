import { readFileSync } from 'node:fs';

/** Resident memory of a process, read from /proc/PID/status (Linux only). Null when the process is gone. */
export function readMemory(pid) {
  let status;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rssBytes: kib('VmRSS') * 1024, peakRssBytes: kib('VmHWM') * 1024 };
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the maximum and the last sample.
 * The peak is also read from VmHWM, which the kernel keeps even between our samples. */
export function startRssSampler(pid, intervalMs = 100) {
  let maxRssBytes = 0;
  let lastRssBytes = 0;
  let peakRssBytes = 0;
  const sample = () => {
    const memory = readMemory(pid);
    if (!memory) return;
    lastRssBytes = memory.rssBytes;
    maxRssBytes = Math.max(maxRssBytes, memory.rssBytes);
    peakRssBytes = Math.max(peakRssBytes, memory.peakRssBytes);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { maxRssBytes, lastRssBytes, peakRssBytes };
    },
  };
}
