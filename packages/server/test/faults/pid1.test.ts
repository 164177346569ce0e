/**
 * A container restart: Freshet runs as PID 1, is killed with -9, and starts again as PID 1 of a
 * new namespace on the same data directory. With a pid in the LOCK file as the lock, the new
 * PID 1 found "its own" pid there and refused to start ("already open in this process"); the
 * kernel lock is gone with the killed process, so the restart serves.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { createActiveStream, readShard, text } from '../helpers/api.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import { pidNamespaceUnavailable, startInPidNamespace, type NamespacedServer } from './processes.js';

const skip = pidNamespaceUnavailable();

describe('Freshet as PID 1 in a container', () => {
  it('starts again as PID 1 after kill -9 and serves what it acknowledged', { skip }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'freshet-pid1-'));
    let running: NamespacedServer | undefined;
    try {
      running = await startInPidNamespace(dataDir);
      assert.equal(readFileSync(join(dataDir, 'LOCK'), 'utf8').trim(), '1', 'the node is PID 1 of its namespace');
      const client = kinesisClient(running.url);
      const name = uniqueName('pid1');
      await createActiveStream(client, { StreamName: name, ShardCount: 1 });
      const put = await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('before') }));
      client.destroy();
      await running.kill();

      running = await startInPidNamespace(dataDir);
      assert.equal(readFileSync(join(dataDir, 'LOCK'), 'utf8').trim(), '1');
      const again = kinesisClient(running.url);
      try {
        const after = await again.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('after') }));
        const records = await readShard(again, name, put.ShardId!);
        assert.deepEqual(
          records.map((r) => [r.SequenceNumber, text(r.Data)]),
          [
            [put.SequenceNumber, 'before'],
            [after.SequenceNumber, 'after'],
          ],
        );
      } finally {
        again.destroy();
      }
    } finally {
      await running?.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
