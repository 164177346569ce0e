/**
 * A full disk, end to end, on a small tmpfs the test mounts (root only; skipped otherwise).
 * PutRecord and PutRecords answer InternalFailureException (500) saying the store is full; the
 * stream takes writes again by itself once space is freed; and after a restart exactly the
 * acknowledged records are there: nothing of a request answered 500, even one whose bytes
 * half fitted before the disk ran out.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ListShardsCommand, PutRecordCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createActiveStream, readShard, rejects, text } from '../helpers/api.js';
import { startNode, type TestNode } from '../helpers/fixture.js';

const TMPFS_BYTES = 8 * 1024 * 1024;
/** Space left when the filler is written: a few batches fit, then one is cut off midway. */
const LEFT_BYTES = 300 * 1024;
const RECORDS_PER_BATCH = 50;
const RECORD_BYTES = 2000;

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
function tmpfsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs is Linux only';
  if (process.getuid?.() !== 0) return 'not root: mounting a small tmpfs needs CAP_SYS_ADMIN';
  const probe = mkdtempSync(join(tmpdir(), 'freshet-tmpfs-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { encoding: 'utf8' });
    if (mounted.error) return `mount is missing (${mounted.error.message})`;
    if (mounted.status !== 0) return `mount -t tmpfs fails here: ${mounted.stderr.trim()}`;
    spawnSync('umount', [probe]);
    return undefined;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Writes a file that leaves `leftBytes` free on dir's file system. */
function fill(file: string, dir: string, leftBytes: number): void {
  const stats = statfsSync(dir);
  let remaining = stats.bavail * stats.bsize - leftBytes;
  const block = Buffer.alloc(64 * 1024, 0x66);
  const fd = openSync(file, 'w');
  try {
    while (remaining > 0) remaining -= writeSync(fd, block, 0, Math.min(block.length, remaining));
  } finally {
    closeSync(fd);
  }
}

/** A batch whose every record names itself, so what is read back tells which request it came from. */
function batch(label: string) {
  return Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    PartitionKey: `${label}-${i}`,
    Data: Buffer.from(`${label}-${i}|`.padEnd(RECORD_BYTES, '.')),
  }));
}

async function readAll(client: KinesisClient, stream: string): Promise<string[]> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
  const labels: string[] = [];
  for (const shard of shards) {
    for (const record of await readShard(client, stream, shard.ShardId!)) labels.push(text(record.Data).split('|')[0]!);
  }
  return labels.sort();
}

const skip = tmpfsUnavailable();

describe('a full disk', () => {
  it('answers InternalFailureException, stores nothing of a failed request, and recovers once space is freed', { skip }, async () => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'freshet-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', mountPoint], { encoding: 'utf8' });
    assert.equal(mounted.status, 0, mounted.stderr);
    let node: TestNode | undefined;
    try {
      node = await startNode({ dataDir: join(mountPoint, 'data'), decodeThreads: 0 });
      const stream = 'full';
      await createActiveStream(node.kinesis, { StreamName: stream, ShardCount: 2 });
      const acknowledged: string[] = [];
      const put = async (label: string) => {
        const out = await node!.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: batch(label) }));
        assert.equal(out.FailedRecordCount, 0);
        acknowledged.push(...batch(label).map((record) => record.PartitionKey));
      };

      const filler = join(mountPoint, 'filler');
      fill(filler, mountPoint, LEFT_BYTES);
      let failure: unknown;
      for (let i = 0; i < 20 && failure === undefined; i++) {
        await put(`before${i}`).catch((err: unknown) => (failure = err));
      }
      assert.ok(acknowledged.length > 0, 'some batches fitted before the disk ran out');
      assert.ok(failure, 'the disk ran out');
      const full =
        /^The store is full \(ENOSPC: no space left on the device\): no record of this request was stored\. Retry once space is freed\.$/;
      await rejects(Promise.reject(failure as Error), { name: 'InternalFailureException', message: full, status: 500 });
      // Still full: every write is refused alike, PutRecord too.
      await rejects(put('still-full'), { name: 'InternalFailureException', message: full, status: 500 });
      await rejects(node.kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'one', Data: Buffer.alloc(256 * 1024) })), {
        name: 'InternalFailureException',
        message: full,
        status: 500,
      });
      assert.deepEqual(await readAll(node.kinesis, stream), [...acknowledged].sort(), 'nothing of a refused request is readable');

      // Space returns: the same stream takes writes again, without a restart.
      rmSync(filler);
      await put('after-0');
      await put('after-1');

      node = await node.restart({ decodeThreads: 0 });
      assert.deepEqual(await readAll(node.kinesis, stream), [...acknowledged].sort(), 'after a restart, exactly the acknowledged records');
      await put('after-restart');
    } finally {
      await node?.close();
      spawnSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });
});
