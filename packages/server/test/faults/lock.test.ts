/**
 * The data directory's lock is a kernel lock held by the process (docs/storage.md, "The LOCK
 * file"): the pid in the LOCK file is for humans and decides nothing. So a second process is
 * refused whatever the file says, and after kill -9 a restart takes the directory even when the
 * file names a live process (a pid reused, or PID 1 in a container: see pid1.test.ts).
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { openLocalStorage } from '../../src/storage/local/index.js';
import { createActiveStream, readShard, text } from '../helpers/api.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import { startServer } from '../helpers/server.js';
import { runFreshet } from './processes.js';

describe('the data directory lock', () => {
  it('refuses a second process while the first runs, even when the LOCK file names no live process', async () => {
    const server = await startServer();
    try {
      assert.equal(readFileSync(join(server.dataDir, 'LOCK'), 'utf8').trim(), String(server.child.pid), 'the pid is kept for humans');
      // A pid-based lock took this for a stale file and let the second process in.
      writeFileSync(join(server.dataDir, 'LOCK'), 'not a pid\n');
      const second = await runFreshet(['serve', '--port', '0', '--data-dir', server.dataDir]);
      assert.equal(second.code, 1, second.stderr);
      assert.doesNotMatch(second.stdout, /listening on/);
      assert.match(
        second.stderr,
        /^freshet: cannot use the data directory .*: it is in use by another Freshet; stop it or pick another --data-dir\n$/,
      );
      // An embedder opening the directory (openLocalStorage) is refused the same way.
      const here = await openLocalStorage({ dataDir: server.dataDir, fsync: 'never' }).then(
        async (storage) => {
          await storage.close();
          return 'opened';
        },
        (err: Error) => err.message,
      );
      assert.match(here, /is in use by another process$/);
      assert.equal(await server.stop(), 0);
    } finally {
      await server.dispose();
    }
  });

  it('after kill -9, a restart takes the directory even when the LOCK file names a live process', async () => {
    const first = await startServer();
    let again: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      const client = kinesisClient(first.url);
      const name = uniqueName('lock');
      await createActiveStream(client, { StreamName: name, ShardCount: 1 });
      const put = await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('kept') }));
      client.destroy();
      await first.kill();
      // The pid of a live process: this test's own (as PID 1 is alive in every container).
      writeFileSync(join(first.dataDir, 'LOCK'), `${process.pid}\n`);
      again = await startServer({ dataDir: first.dataDir });
      assert.equal(readFileSync(join(first.dataDir, 'LOCK'), 'utf8').trim(), String(again.child.pid));
      const reader = kinesisClient(again.url);
      try {
        const records = await readShard(reader, name, put.ShardId!);
        assert.deepEqual(
          records.map((r) => [r.SequenceNumber, text(r.Data)]),
          [[put.SequenceNumber, 'kept']],
        );
      } finally {
        reader.destroy();
      }
      assert.equal(await again.stop(), 0);
    } finally {
      await again?.stop();
      await first.dispose();
    }
  });
});
