/**
 * The 2 -> 4 -> 3 resharding run through boto3: `fixtures/reshard_2_4_3.py` writes records
 * before, during (UPDATING) and after each UpdateShardCount, reads everything back parents first
 * following ChildShards, and prints the counts per shard, which this test checks and shows.
 * The node runs on a manual clock: UPDATING lasts until the script, done with its writes during
 * it, prints `WAIT ACTIVE`, and the test moves time on.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { awsEnv, uniqueName } from '../helpers/clients.js';
import type { ManualClock } from '../../src/core/clock.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { assertLineage, endOf, evenRanges, isClosed, listShards, startOf } from './lineage.js';

/** The script stays in the source tree: from dist/test/resharding/ back to test/resharding/fixtures/. */
const SCRIPT = fileURLToPath(new URL('../../../test/resharding/fixtures/reshard_2_4_3.py', import.meta.url));

interface Result {
  written: number;
  read: number;
  missing: string[];
  duplicates: string[];
  order: string[];
  rows: Array<{ shard: string; parents: string; state: string; written: number; read: number }>;
  phases: Array<{ phase: string; records: number; status_after: string }>;
}

describe('resharding through boto3', () => {
  let server: TestNode<ManualClock>;
  let client: KinesisClient;
  nodePerSuite(
    () => startNode({ clock: 'manual', engine: { updateStreamMs: 1000 } }),
    (started) => {
      server = started;
      client = started.kinesis;
    },
  );

  it(
    'a stream goes 2 -> 4 -> 3 shards with writes throughout, and every record is read back by lineage',
    { timeout: 120_000 },
    async () => {
      const name = uniqueName('boto3-reshard');
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn('python3', [SCRIPT, server.url, name], { env: awsEnv(), timeout: 90_000 });
        let out = '';
        let errOut = '';
        let seen = 0;
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const waits = out.split('\n').filter((l) => l === 'WAIT ACTIVE').length;
          for (; seen < waits; seen++) void server.clock.advance(1000);
        });
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errOut += chunk));
        child.once('error', reject);
        child.once('close', (code, signal) =>
          code === 0 ? resolve(out) : reject(new Error(`python3 exited with ${code ?? signal}\n${out}\n${errOut}`)),
        );
      });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      assert.ok(line, `no RESULT line in:\n${stdout}`);
      const result = JSON.parse(line.slice('RESULT '.length)) as Result;
      process.stdout.write(
        stdout
          .split('\n')
          .filter((l) => l && !l.startsWith('RESULT ') && !l.startsWith('WAIT '))
          .map((l) => `# ${l}\n`)
          .join(''),
      );

      assert.equal(result.written, 500);
      assert.equal(result.read, result.written);
      assert.deepEqual(result.missing, []);
      assert.deepEqual(result.duplicates, []);
      assert.deepEqual(
        result.phases.map((p) => [p.phase, p.status_after]),
        [
          ['2 shards, ACTIVE', 'ACTIVE'],
          ['2 -> 4, UPDATING', 'UPDATING'],
          ['4 shards, ACTIVE', 'ACTIVE'],
          ['4 -> 3, UPDATING', 'UPDATING'],
          ['3 shards, ACTIVE', 'ACTIVE'],
        ],
      );
      for (const row of result.rows) assert.equal(row.read, row.written, `${row.shard}: read ${row.read} of ${row.written}`);
      // Records written while UPDATING went to the shards being replaced, so closed shards hold records.
      assert.ok(result.rows.some((row) => row.state === 'closed' && row.read > 0));

      const shards = await listShards(client, name);
      assertLineage(shards);
      const open = shards.filter((shard) => !isClosed(shard)).sort((a, b) => (startOf(a) < startOf(b) ? -1 : 1));
      assert.deepEqual(
        open.map((shard) => [startOf(shard), endOf(shard)]),
        evenRanges(3).map((r) => [r.start, r.end]),
      );
      assert.deepEqual([...result.order].sort(), shards.map((shard) => shard.ShardId).sort());
    },
  );
});
