/**
 * `freshet check --data-dir D`, run as a user runs it: exit 0 and "no damage found" on a clean
 * directory; refused (exit 3) while a node holds the directory, or when it does not exist (and
 * then not created); exit 1 listing every damaged range (stream, file, byte range, reason), the
 * metadata files kept aside in meta/quarantine/, and the orphan log of a stream whose metadata
 * was lost; the same as JSON with --json.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { CheckReport } from '../../src/cli/check.js';
import { encodeName } from '../../src/storage/local/files.js';
import { ACCOUNT, createActiveStream } from '../helpers/api.js';
import { kinesisClient } from '../helpers/clients.js';
import { startServer } from '../helpers/server.js';
import { runFreshet } from './processes.js';

const metaFile = (dataDir: string, name: string) => join(dataDir, 'meta', `${encodeName(`streams/${ACCOUNT}/us-east-1/${name}`)}.meta`);
const logIdOf = (dataDir: string, name: string) =>
  (JSON.parse(readFileSync(metaFile(dataDir, name)).toString('utf8', 16)) as { value: { id: string } }).value.id;

/** A data directory holding streams `lost` and `hurt` with 100 records each; no node runs on it. */
async function populated(): Promise<string> {
  const server = await startServer();
  const client = kinesisClient(server.url);
  for (const name of ['lost', 'hurt']) {
    await createActiveStream(client, { StreamName: name, ShardCount: 1 });
    const Records = Array.from({ length: 100 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`record ${i} `.repeat(20)) }));
    await client.send(new PutRecordsCommand({ StreamName: name, Records }));
  }
  client.destroy();
  assert.equal(await server.stop(), 0);
  return server.dataDir;
}

describe('freshet check', () => {
  it('says a clean directory is clean (exit 0), and refuses one in use or absent (exit 3)', async () => {
    const dataDir = await populated();
    const absent = join(mkdtempSync(join(tmpdir(), 'freshet-check-')), 'absent');
    try {
      const clean = await runFreshet(['check', '--data-dir', dataDir]);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.equal(clean.stdout, `${dataDir}: 2 streams checked; no damage found\n`);
      const json = await runFreshet(['check', '--data-dir', dataDir, '--json']);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout) as CheckReport;
      assert.equal(report.clean, true);
      assert.deepEqual(report.streams.map((s) => [s.name, s.damaged.length]).sort(), [
        ['hurt', 0],
        ['lost', 0],
      ]);

      const server = await startServer({ dataDir });
      try {
        const busy = await runFreshet(['check', '--data-dir', dataDir]);
        assert.equal(busy.code, 3, busy.stderr);
        assert.equal(busy.stdout, '');
        assert.match(
          busy.stderr,
          /^freshet: cannot check .* while a Freshet uses it \(.* is in use by process \d+\); stop that node first\n$/,
        );
      } finally {
        assert.equal(await server.stop(), 0);
      }

      const missing = await runFreshet(['check', '--data-dir', absent]);
      assert.equal(missing.code, 3);
      assert.equal(missing.stderr, `freshet: cannot check ${absent}: no such directory\n`);
      assert.ok(!existsSync(absent), 'the check creates nothing');

      const usage = await runFreshet(['check', '--port', '1']);
      assert.equal(usage.code, 2);
      assert.equal(
        usage.stderr,
        "freshet: unknown option '--port'\nUsage: freshet check [--data-dir <path>] [--json]; 'freshet check --help' tells more.\n",
      );
      const help = await runFreshet(['check', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: freshet check \[--data-dir <path>\] \[--json\]\n/);
      assert.match(help.stdout, /Exit codes: 0 no damage found; 1 damage found/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(join(absent, '..'), { recursive: true, force: true });
    }
  });

  it('lists damaged ranges, quarantined metadata and orphan logs, and exits 1', async () => {
    const dataDir = await populated();
    try {
      const lostLog = join('streams', encodeName(logIdOf(dataDir, 'lost')));
      const hurtLog = join('streams', encodeName(logIdOf(dataDir, 'hurt')));
      // The metadata of `lost`: one flipped byte. Its log becomes an orphan.
      const meta = readFileSync(metaFile(dataDir, 'lost'));
      meta[meta.length >> 1]! ^= 0x01;
      writeFileSync(metaFile(dataDir, 'lost'), meta);
      // A record's bytes in the middle of `hurt`'s segment: one flipped byte.
      const segment = join(
        dataDir,
        hurtLog,
        readdirSync(join(dataDir, hurtLog)).find((name) => name.endsWith('.log'))!,
      );
      const bytes = readFileSync(segment);
      const flippedAt = bytes.indexOf('record 50 ');
      assert.ok(flippedAt > 0);
      bytes[flippedAt]! ^= 0x01;
      writeFileSync(segment, bytes);

      const outcome = await runFreshet(['check', '--data-dir', dataDir]);
      assert.equal(outcome.code, 1, outcome.stderr);
      const lines = outcome.stdout.trimEnd().split('\n');
      assert.equal(lines[0], `${dataDir}: 1 stream checked; 1 damaged range, 1 quarantined metadata file, 1 orphan log`);
      const damaged = lines.find((line) => line.startsWith('damaged: '));
      assert.match(
        damaged!,
        new RegExp(`^damaged: stream hurt \\(us-east-1, account ${ACCOUNT}\\) ${hurtLog}/\\d{20}\\.log bytes (\\d+)-(\\d+): .+`),
      );
      const [, from, to] = /bytes (\d+)-(\d+)/.exec(damaged!)!;
      assert.ok(Number(from) <= flippedAt && flippedAt < Number(to), `the range ${from}-${to} holds byte ${flippedAt}`);
      assert.ok(
        lines.some((line) =>
          new RegExp(
            `^damaged metadata \\(quarantined now\\): meta/.*\\.meta \\(key streams/${ACCOUNT}/us-east-1/lost\\): checksum mismatch`,
          ).test(line),
        ),
        outcome.stdout,
      );
      assert.ok(lines.some((line) => /^quarantined metadata: meta\/quarantine\/streams.*lost\.meta\./.test(line)));
      assert.ok(lines.includes(`orphan log: ${lostLog} (no stream names it; kept: remove it once you no longer need its records)`));

      // Found again by the next check (until someone deals with them), and as JSON.
      const json = await runFreshet(['check', '--data-dir', dataDir, '--json']);
      assert.equal(json.code, 1, json.stderr);
      const report = JSON.parse(json.stdout) as CheckReport;
      assert.equal(report.clean, false);
      assert.deepEqual(report.metadata.damaged, [], 'quarantined by the first check already');
      assert.equal(report.metadata.quarantined.length, 1);
      assert.deepEqual(report.orphans, [lostLog]);
      assert.equal(report.streams[0]!.name, 'hurt');
      assert.equal(report.streams[0]!.damaged.length, 1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
