/**
 * `freshet check --data-dir D`: opens a data directory as a node would (taking its lock, so never
 * while a node runs on it), verifies every stream log (RecordStore.verify: every segment and index
 * against its checksums, changing nothing) and reports what is damaged: byte ranges of logs,
 * metadata files quarantined (now or before), and orphan logs, which no stream names (their
 * stream's metadata was damaged or lost). Opening does what a node's start does: a damaged
 * metadata file found now is quarantined, as the node would.
 *
 * Exit codes (CHECK_EXIT): 0 clean, 1 damage found, 2 a mistake on the command line, 3 the
 * directory could not be checked (absent, in use, unreadable).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { silentLogger } from '../core/logger.js';
import { storedStreams, type StoredStream } from '../services/kinesis/index.js';
import { encodeName } from '../storage/local/files.js';
import { openLocalStorage, type MetadataDamage } from '../storage/local/index.js';
import { QUARANTINE_DIR } from '../storage/local/metadataStore.js';
import type { DamagedRange } from '../storage/types.js';

export const CHECK_EXIT = { clean: 0, damaged: 1, usage: 2, cannotCheck: 3 } as const;

/** The directory could not be checked: one line saying why, exit code 3. */
export class CheckError extends Error {}

export interface CheckReport {
  dataDir: string;
  /** True when nothing below is listed. */
  clean: boolean;
  streams: Array<StoredStream & { damaged: DamagedRange[] }>;
  metadata: {
    /** Files found damaged by this check's open, now moved to meta/quarantine/. */
    damaged: MetadataDamage[];
    /** Every file in meta/quarantine/, relative to the data directory (found now or earlier). */
    quarantined: string[];
  };
  /** Log directories no stream names, relative to the data directory. */
  orphans: string[];
  /** What opening the directory recovered from (torn tails, rebuilt indexes): not damage. */
  recovered: string[];
}

export async function checkDataDirectory(dataDir: string): Promise<CheckReport> {
  const dir = path.resolve(dataDir);
  // Opening would create an absent directory: a typo must not "check clean".
  const found = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (found instanceof Error) throw new CheckError(`cannot check ${dir}: ${found.code === 'ENOENT' ? 'no such directory' : found.message}`);
  if (!found.isDirectory()) throw new CheckError(`cannot check ${dir}: not a directory`);
  const recovered: string[] = [];
  let storage;
  try {
    storage = await openLocalStorage({ dataDir: dir, fsync: 'always', logger: silentLogger(), warn: (m) => recovered.push(m) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof Error && err.name === 'DirectoryInUseError') {
      throw new CheckError(`cannot check ${dir} while a Freshet uses it (${message}); stop that node first`);
    }
    throw new CheckError(`cannot check ${dir}: ${message}`);
  }
  try {
    const streams: CheckReport['streams'] = [];
    for (const stream of await storedStreams(storage.metadata)) {
      streams.push({ ...stream, damaged: await storage.records.verify(stream.logId) });
    }
    const named = new Set(streams.map((stream) => encodeName(stream.logId)));
    // Dot-names are the store's own (destroyed logs on their way out), never a stream's log.
    const orphans = (await listDir(path.join(dir, 'streams')))
      .filter((name) => !name.startsWith('.') && !named.has(name))
      .map((name) => path.join('streams', name));
    const quarantined = (await listDir(path.join(dir, 'meta', QUARANTINE_DIR))).map((name) => path.join('meta', QUARANTINE_DIR, name));
    const damaged = storage.damage().metadata;
    const clean = quarantined.length === 0 && orphans.length === 0 && streams.every((stream) => stream.damaged.length === 0);
    return { dataDir: dir, clean, streams, metadata: { damaged, quarantined }, orphans, recovered };
  } finally {
    await storage.close();
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The report for people: a summary line, then one line per finding. */
export function formatReport(report: CheckReport): string {
  const ranges = report.streams.reduce((sum, stream) => sum + stream.damaged.length, 0);
  const lines = [
    `${report.dataDir}: ${report.streams.length} stream${report.streams.length === 1 ? '' : 's'} checked; ` +
      (report.clean
        ? 'no damage found'
        : `${ranges} damaged range${ranges === 1 ? '' : 's'}, ${report.metadata.quarantined.length} quarantined metadata ` +
          `file${report.metadata.quarantined.length === 1 ? '' : 's'}, ${report.orphans.length} orphan log${report.orphans.length === 1 ? '' : 's'}`),
  ];
  for (const stream of report.streams) {
    for (const range of stream.damaged) {
      lines.push(
        `damaged: stream ${stream.name} (${stream.region}, account ${stream.account}) ${range.file} bytes ${range.from}-${range.to}: ` +
          `${range.reason}${range.quarantined ? `; copy kept at ${range.quarantined}` : ''}`,
      );
    }
  }
  for (const damage of report.metadata.damaged) {
    lines.push(
      `damaged metadata (quarantined now): ${path.relative(report.dataDir, damage.file)}` +
        `${damage.key === undefined ? '' : ` (key ${damage.key})`}: ${damage.reason}; moved to ${path.relative(report.dataDir, damage.quarantined)}`,
    );
  }
  for (const file of report.metadata.quarantined) lines.push(`quarantined metadata: ${file}`);
  for (const orphan of report.orphans)
    lines.push(`orphan log: ${orphan} (no stream names it; kept: remove it once you no longer need its records)`);
  for (const note of report.recovered) lines.push(`recovered: ${note}`);
  return lines.join('\n') + '\n';
}
