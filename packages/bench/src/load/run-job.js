import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

/**
 * Runs one load job in a fresh child process, so the generator's CPU and garbage are not the
 * orchestrator's (which samples RSS and keeps time) and every job starts from a clean heap.
 * The job is killed if it outlives `timeoutMs`.
 */
export function runJob(kind, params, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    let settled = false;
    const finish = (error, result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      error ? reject(error) : resolve(result);
    };
    const timer = setTimeout(() => finish(new Error(`load job ${kind} timed out after ${timeoutMs} ms`)), timeoutMs);
    child.on('message', (message) => (message.ok ? finish(null, message.result) : finish(new Error(`load job ${kind}: ${message.error}`))));
    child.on('exit', (code, signal) => finish(new Error(`load job ${kind} exited (${code ?? signal}) without a result`)));
    child.send({ kind, params });
  });
}
