/**
 * What the fault tests need around real freshet processes: run a command of the freshet bin to
 * its end, and start a server as PID 1 of a PID namespace, as a container runs it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { FRESHET_BIN } from '../helpers/server.js';

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `freshet <args>` to its end (killed after 20 s: a command that hangs fails its test). */
export function runFreshet(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FRESHET_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A server started as PID 1 of a new PID namespace (`unshare -p -f --mount-proc`). */
export interface NamespacedServer {
  url: string;
  /** The pid of the node process as the host sees it (in its namespace it is 1). */
  hostPid: number;
  /** SIGKILL to the node: PID 1 dies, and its namespace with it. */
  kill(): Promise<void>;
}

/**
 * Why PID-namespace tests cannot run here, or undefined when they can: `unshare -p` needs root
 * (CAP_SYS_ADMIN) and util-linux's unshare, and some container runtimes refuse it even to root.
 */
export function pidNamespaceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'PID namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'not root: unshare -p needs CAP_SYS_ADMIN';
  const probe = spawnSync('unshare', ['-p', '-f', '--mount-proc', 'true'], { stdio: 'ignore' });
  if (probe.error) return `unshare is missing (${probe.error.message})`;
  if (probe.status !== 0) return `unshare -p -f --mount-proc fails here (exit ${probe.status})`;
  return undefined;
}

export function startInPidNamespace(dataDir: string): Promise<NamespacedServer> {
  const args = ['-p', '-f', '--mount-proc', process.execPath, FRESHET_BIN, 'serve', '--port', '0', '--data-dir', dataDir];
  const unshare = spawn('unshare', [...args, '--create-stream-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => unshare.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Freshet did not start in its namespace within 15 s.\n${output}`)), 15_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      unshare.kill('SIGKILL');
      reject(err);
    };
    unshare.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    unshare.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      const hostPid = childOf(unshare.pid!);
      if (hostPid === undefined) return fail(new Error('the namespace holds no node process'));
      resolve({
        url: match[1]!,
        hostPid,
        kill: async () => {
          try {
            process.kill(hostPid, 'SIGKILL');
          } catch {
            // already gone
          }
          await exited;
        },
      });
    });
    unshare.once('exit', (code) => fail(new Error(`unshare exited with ${code} before Freshet listened.\n${output}`)));
  });
}

/** The pid of a process's child, from /proc (unshare -f forks the namespace's PID 1). */
function childOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) return Number(entry);
  }
  return undefined;
}
