/**
 * Crash test: a child process appends under load and reports every acknowledged append; it is
 * killed with SIGKILL mid-load, the store is reopened, and every acknowledged record must be
 * there exactly once, in order, at its cursor. Three rounds on the same directory, so recovery
 * of an already recovered log is exercised too.
 */

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { payloadOf, SHARDS } from './fixtures/crashWriter.js';
import { openTemp, readAll, removeDir, tempDir } from './helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/crashWriter.js', import.meta.url));

interface Ack {
  shard: number;
  firstCursor: bigint;
  count: number;
  firstSeq: number;
}

/** Runs the writer until it has acknowledged `minAcks` appends and `ms` have passed, then kills it. */
function runAndKill(dataDir: string, firstSeq: number, minAcks: number, ms: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dataDir, String(firstSeq)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acks: Ack[] = [];
    let buffered = '';
    let readyAt: number | undefined;
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') readyAt = Date.now();
        const match = /^ack (\d+) (\d+) (\d+) (\d+)$/.exec(line);
        if (match)
          acks.push({ shard: Number(match[1]), firstCursor: BigInt(match[2]!), count: Number(match[3]), firstSeq: Number(match[4]) });
      }
      if (!killed && readyAt !== undefined && acks.length >= minAcks && Date.now() - readyAt >= ms) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer acknowledged only ${acks.length} appends`));
    }, 15_000);
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited by itself (code ${code})`));
      else resolve(acks); // lines printed before the kill are all in `acks` (pipes are read to EOF first)
    });
  });
}

describe('crash recovery', () => {
  it('keeps every acknowledged record, once, in order, after kill -9 under load', async () => {
    const dataDir = tempDir();
    const acked = new Map<number, { shard: number; cursor: bigint }>();
    let nextSeq = 0;
    try {
      for (let round = 0; round < 3; round++) {
        const acks = await runAndKill(dataDir, nextSeq, 200, 100 + round * 100);
        for (const ack of acks) {
          for (let i = 0; i < ack.count; i++) acked.set(ack.firstSeq + i, { shard: ack.shard, cursor: ack.firstCursor + BigInt(i) });
        }
        nextSeq += 10_000_000; // beyond anything the killed writer could have issued
        const { storage } = await openTemp({ dataDir, fsync: 'always', segmentBytes: 256 * 1024 });
        try {
          const log = await storage.records.open('crash');
          const found = new Map<number, { shard: number; cursor: bigint }>();
          for (let shard = 0; shard < SHARDS; shard++) {
            let previousSeq = -1;
            for (const r of await readAll(log, shard, 0n, 5000)) {
              const seq = Number(r.partitionKey.slice(2));
              assert.equal(r.data.toString(), payloadOf(seq), 'record content intact');
              assert.ok(!found.has(seq), `record ${seq} appears once`);
              assert.ok(seq > previousSeq, `shard ${shard} keeps append order`);
              previousSeq = seq;
              found.set(seq, { shard, cursor: r.cursor });
            }
          }
          for (const [seq, where] of acked) assert.deepEqual(found.get(seq), where, `acknowledged record ${seq} is where append said`);
        } finally {
          await storage.close();
        }
      }
      assert.ok(acked.size > 1000, `the writer acknowledged ${acked.size} records`);
    } finally {
      removeDir(dataDir);
    }
  });
});
