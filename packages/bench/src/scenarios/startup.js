import { fmt } from '../util/format.js';
import { startRssSampler } from '../util/proc.js';

const STARTS = 3;

/** Scenario 5c: start-up time of an empty server (spawn to first answered ListStreams) and its idle RSS. */
export const startup = {
  id: 'startup',
  title: `Start-up, empty: spawn to first answered ListStreams (median of ${STARTS})`,
  columns: [
    { key: 'target', label: 'target' },
    { key: 'startupMs', label: 'start-up ms', format: fmt.ms },
    { key: 'idleRssBytes', label: 'idle RSS MiB', format: fmt.mib },
  ],
  async run(ctx, target) {
    const times = [];
    let idleRssBytes = 0;
    for (let i = 0; i < STARTS; i++) {
      times.push(await target.start());
      idleRssBytes = startRssSampler(target.pid).stop().lastRssBytes;
      await target.stop();
    }
    times.sort((a, b) => a - b);
    return [{ target: target.name, startupMs: times[Math.floor(times.length / 2)], idleRssBytes, times }];
  },
};
