import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { gitCommit } from './util/repo.js';

/** The machine, the commit and the data disk a run was made on, for the report. */
export function describeMachine(dataRoot) {
  return {
    commit: gitCommit(),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    // Other work on the machine skews every figure: the load average at the start tells how much.
    loadAverageAtStart: os.loadavg(),
    dataRoot,
    dataDisk: run('df', ['-h', '--output=source,fstype,size,avail', dataRoot]),
  };
}

function run(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
