/**
 * Damaged metadata (docs/storage.md, "Metadata store"): one flipped byte in a stream's `.meta`
 * file used to stop the whole server from starting. Now the file is moved to meta/quarantine/
 * (kept, never deleted), reported at error level with its file and key, listed by
 * storageDamage(); the server starts and serves every other stream, the damaged stream is absent
 * (ResourceNotFoundException), its log stays on disk, and a stream created again under its name
 * gets a log of its own. Revisions the lost file may have held are never handed out again, and a
 * damaged `.revision` file is handled the same way.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DescribeStreamSummaryCommand, ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { pino } from 'pino';
import { silentLogger } from '../../src/core/logger.js';
import { startFreshet, type RunningFreshet } from '../../src/node.js';
import { encodeName } from '../../src/storage/local/files.js';
import { openLocalStorage } from '../../src/storage/local/index.js';
import { REVISION_JUMP_ON_DAMAGE } from '../../src/storage/local/metadataStore.js';
import { ACCOUNT, createActiveStream, readShard, rejects, text } from '../helpers/api.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A node on dataDir whose log lines are kept in `lines`. */
async function start(dataDir: string, lines: LogLine[]): Promise<RunningFreshet> {
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return startFreshet({ host: '127.0.0.1', port: 0, dataDir, logger, decodeThreads: 0, engine: { createStreamMs: 0, deleteStreamMs: 0 } });
}

function flipByte(file: string, at: (length: number) => number): Buffer {
  const bytes = readFileSync(file);
  bytes[at(bytes.length)]! ^= 0x20;
  writeFileSync(file, bytes);
  return bytes;
}

const streamFile = (dataDir: string, name: string) => join(dataDir, 'meta', `${encodeName(`streams/${ACCOUNT}/us-east-1/${name}`)}.meta`);

/** The log id a stream's metadata file names (its body is JSON after a 16-byte header). */
const storedId = (dataDir: string, name: string) =>
  (JSON.parse(readFileSync(streamFile(dataDir, name)).toString('utf8', 16)) as { value: { id: string } }).value.id;

describe('damaged metadata', () => {
  it('quarantines a damaged stream file, reports it, and serves every other stream', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'freshet-meta-'));
    const damaged = uniqueName('damaged');
    const intact = uniqueName('intact');
    let node: RunningFreshet | undefined;
    try {
      node = await start(dataDir, []);
      let client = kinesisClient(node.url);
      await createActiveStream(client, { StreamName: damaged, ShardCount: 1 });
      await createActiveStream(client, { StreamName: intact, ShardCount: 1 });
      const oldId = storedId(dataDir, damaged);
      await client.send(new PutRecordCommand({ StreamName: damaged, PartitionKey: 'k', Data: Buffer.from('old incarnation') }));
      const kept = await client.send(new PutRecordCommand({ StreamName: intact, PartitionKey: 'k', Data: Buffer.from('kept') }));
      client.destroy();
      await node.close();

      const file = streamFile(dataDir, damaged);
      const flipped = flipByte(file, (length) => Math.floor(length / 2));
      const lines: LogLine[] = [];
      node = await start(dataDir, lines);
      client = kinesisClient(node.url);

      // The other stream is served, with its records.
      const records = await readShard(client, intact, kept.ShardId!);
      assert.deepEqual(
        records.map((r) => [r.SequenceNumber, text(r.Data)]),
        [[kept.SequenceNumber, 'kept']],
      );
      // The damaged one is absent, as a stream that does not exist.
      await rejects(client.send(new DescribeStreamSummaryCommand({ StreamName: damaged })), {
        name: 'ResourceNotFoundException',
        message: `Stream ${damaged} under account ${ACCOUNT} not found.`,
      });
      assert.ok(!(await client.send(new ListStreamsCommand({}))).StreamNames!.includes(damaged));

      // Kept aside byte for byte, reported with its file and key, at error level.
      const [damage, ...more] = node.storageDamage().metadata;
      assert.equal(more.length, 0);
      assert.equal(damage!.file, file);
      assert.equal(damage!.key, `streams/${ACCOUNT}/us-east-1/${damaged}`);
      assert.equal(damage!.reason, 'checksum mismatch');
      assert.ok(!existsSync(file));
      assert.ok(damage!.quarantined.startsWith(join(dataDir, 'meta', 'quarantine') + '/'));
      assert.deepEqual(readFileSync(damage!.quarantined), flipped);
      const logged = lines.filter((line) => line.level >= 50);
      assert.equal(logged.length, 1, JSON.stringify(lines));
      assert.ok(logged[0]!.msg.includes(file), logged[0]!.msg);
      assert.match(
        logged[0]!.msg,
        new RegExp(`damaged metadata file .*\\(key streams/${ACCOUNT}/us-east-1/${damaged}\\): checksum mismatch`),
      );

      // Its name can be taken again: a new incarnation with a log of its own; the old log is untouched.
      const oldLog = join(dataDir, 'streams', encodeName(oldId));
      const oldFiles = readdirSync(oldLog).sort();
      await createActiveStream(client, { StreamName: damaged, ShardCount: 1 });
      const newId = storedId(dataDir, damaged);
      assert.notEqual(newId, oldId);
      const fresh = await client.send(
        new PutRecordCommand({ StreamName: damaged, PartitionKey: 'k', Data: Buffer.from('new incarnation') }),
      );
      assert.deepEqual(
        (await readShard(client, damaged, fresh.ShardId!)).map((r) => text(r.Data)),
        ['new incarnation'],
      );
      assert.deepEqual(readdirSync(oldLog).sort(), oldFiles);
      client.destroy();
      await node.close();

      // Reported once: the next start finds nothing damaged, and serves both streams.
      node = await start(dataDir, []);
      assert.deepEqual(node.storageDamage().metadata, []);
      client = kinesisClient(node.url);
      assert.deepEqual(
        (await readShard(client, damaged, fresh.ShardId!)).map((r) => text(r.Data)),
        ['new incarnation'],
      );
      client.destroy();
    } finally {
      await node?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('never hands out a revision again when the file holding the highest one is lost', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'freshet-meta-'));
    try {
      let storage = await openLocalStorage({ dataDir, fsync: 'never', logger: silentLogger() });
      await storage.metadata.put('a', 1);
      await storage.metadata.put('b', 1);
      const highest = await storage.metadata.put('b', 2);
      await storage.close();
      flipByte(join(dataDir, 'meta', 'b.meta'), (length) => length - 2);

      storage = await openLocalStorage({ dataDir, fsync: 'never', logger: silentLogger() });
      assert.equal(storage.damage().metadata.length, 1);
      assert.equal(await storage.metadata.get('b'), undefined);
      const next = await storage.metadata.put('b', 3, 0);
      assert.ok(next > highest && next > REVISION_JUMP_ON_DAMAGE, `revision ${next}: past the lost ${highest}, by the jump`);
      await storage.close();

      // The jump is durable: the next open, with nothing damaged, goes on from it.
      storage = await openLocalStorage({ dataDir, fsync: 'never', logger: silentLogger() });
      assert.deepEqual(storage.damage().metadata, []);
      await storage.metadata.delete('b');
      assert.ok((await storage.metadata.put('c', 1)) > next);
      await storage.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('quarantines a damaged .revision file and jumps the high-water mark past it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'freshet-meta-'));
    try {
      let storage = await openLocalStorage({ dataDir, fsync: 'never', logger: silentLogger() });
      await storage.metadata.put('a', 1);
      await storage.metadata.put('b', 1);
      await storage.metadata.delete('b'); // the delete's revision lives only in .revision now
      const kept = await storage.metadata.get('a');
      await storage.close();
      const revisionFile = join(dataDir, 'meta', '.revision');
      const flipped = flipByte(revisionFile, (length) => length - 2);

      storage = await openLocalStorage({ dataDir, fsync: 'never', logger: silentLogger() });
      const [damage] = storage.damage().metadata;
      assert.equal(damage?.file, revisionFile);
      assert.equal(damage?.key, undefined);
      assert.deepEqual(readFileSync(damage!.quarantined), flipped);
      assert.deepEqual(await storage.metadata.get('a'), kept, 'the other keys are intact');
      assert.ok((await storage.metadata.put('b', 2, 0)) > REVISION_JUMP_ON_DAMAGE, 'past the lost 3, by the jump');
      await storage.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
