/**
 * PutRecord and PutRecords through @aws-sdk/client-kinesis: partition key MD5 routing and
 * ExplicitHashKey exactly as AWS, SequenceNumberForOrdering, the record size limit (at the
 * limit passes, one byte over fails), per-record results and per-shard order, 500 records and
 * the 5 MiB request limit.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import {
  ACCOUNT,
  MAX_HASH_KEY,
  assertIncreasing,
  createActiveStream,
  hashKeyOf,
  readShard,
  rejects,
  shardOwning,
  text,
} from '../helpers/api.js';

const MiB = 1024 * 1024;

describe('PutRecord and PutRecords', () => {
  let server: TestNode;
  let kinesis: KinesisClient;
  let name: string;
  let shards: Shard[];

  before(async () => {
    server = await startNode();
    kinesis = server.kinesis;
    name = uniqueName('records');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 4 });
    shards = (await kinesis.send(new ListShardsCommand({ StreamName: name }))).Shards!;
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  it('routes a partition key by the MD5 of its UTF-8 bytes, as AWS does', async () => {
    const keys = [
      ...Array.from({ length: 60 }, (_, i) => `key-${i}`),
      ...Array.from({ length: 20 }, () => randomBytes(8).toString('hex')),
      'ключ',
      'clé-é',
      '鍵',
      '🔑 emoji key',
      'a',
      'A',
      ' ',
      '0',
      'x'.repeat(256),
    ];
    for (const key of keys.slice(0, 20)) {
      const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: key, Data: Buffer.from(key) }));
      assert.equal(put.ShardId, shardOwning(shards, hashKeyOf(key)).ShardId, `partition key ${key}`);
      assert.match(put.SequenceNumber!, /^(0|[1-9]\d{0,128})$/);
    }
    const batch = await kinesis.send(
      new PutRecordsCommand({ StreamName: name, Records: keys.map((key) => ({ PartitionKey: key, Data: Buffer.from(key) })) }),
    );
    assert.equal(batch.FailedRecordCount, 0);
    batch.Records!.forEach((result, i) => {
      assert.equal(result.ShardId, shardOwning(shards, hashKeyOf(keys[i]!)).ShardId, `partition key ${keys[i]}`);
    });
    // Every shard got some of them (the keys are spread over the key space).
    assert.equal(new Set(batch.Records!.map((r) => r.ShardId)).size, 4);
  });

  it('routes by ExplicitHashKey, which overrides the partition key, at every range boundary', async () => {
    for (const shard of shards) {
      for (const key of [shard.HashKeyRange!.StartingHashKey!, shard.HashKeyRange!.EndingHashKey!]) {
        // A partition key that hashes elsewhere, to show the explicit key wins.
        const partitionKey = Array.from({ length: 100 }, (_, i) => `pk-${i}`).find(
          (pk) => shardOwning(shards, hashKeyOf(pk)).ShardId !== shard.ShardId,
        )!;
        const put = await kinesis.send(
          new PutRecordCommand({ StreamName: name, PartitionKey: partitionKey, ExplicitHashKey: key, Data: Buffer.from('e') }),
        );
        assert.equal(put.ShardId, shard.ShardId, `ExplicitHashKey ${key}`);
      }
    }
    const batch = await kinesis.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: [
          { PartitionKey: 'p', ExplicitHashKey: '0', Data: Buffer.from('lo') },
          { PartitionKey: 'p', ExplicitHashKey: MAX_HASH_KEY.toString(), Data: Buffer.from('hi') },
        ],
      }),
    );
    assert.deepEqual(
      batch.Records!.map((r) => r.ShardId),
      ['shardId-000000000000', 'shardId-000000000003'],
    );

    const tooBig = (MAX_HASH_KEY + 1n).toString();
    const outOfRange = {
      name: 'InvalidArgumentException',
      message: 'Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. ' + `Specified value was ${tooBig}`,
    };
    await rejects(
      kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', ExplicitHashKey: tooBig, Data: Buffer.from('x') })),
      outOfRange,
    );
    await rejects(
      kinesis.send(
        new PutRecordsCommand({ StreamName: name, Records: [{ PartitionKey: 'p', ExplicitHashKey: tooBig, Data: Buffer.from('x') }] }),
      ),
      outOfRange,
    );
    await rejects(
      kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', ExplicitHashKey: 'abc', Data: Buffer.from('x') })),
      {
        name: 'ValidationException',
        message:
          "1 validation error detected: Value 'abc' at 'explicitHashKey' failed to satisfy constraint: " +
          'Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})',
      },
    );
  });

  it('orders by SequenceNumberForOrdering and refuses a foreign one', async () => {
    const first = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'ordered', Data: Buffer.from('1') }));
    const second = await kinesis.send(
      new PutRecordCommand({
        StreamName: name,
        PartitionKey: 'ordered',
        Data: Buffer.from('2'),
        SequenceNumberForOrdering: first.SequenceNumber,
      }),
    );
    assert.equal(second.ShardId, first.ShardId);
    assert.ok(BigInt(second.SequenceNumber!) > BigInt(first.SequenceNumber!));
    await rejects(
      kinesis.send(
        new PutRecordCommand({ StreamName: name, PartitionKey: 'ordered', Data: Buffer.from('3'), SequenceNumberForOrdering: '1' }),
      ),
      {
        name: 'InvalidArgumentException',
        message: `ExclusiveMinimumSequenceNumber 1 used in PutRecord on stream ${name} under account ${ACCOUNT} is invalid.`,
      },
    );
  });

  it('accepts a record exactly at the max record size (data + partition key) and refuses one byte more', async () => {
    const partitionKey = 'size-key';
    const atLimit = randomBytes(MiB - partitionKey.length);
    const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: partitionKey, Data: atLimit }));
    const back = await readShard(
      kinesis,
      name,
      put.ShardId!,
      {
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: put.SequenceNumber!,
      },
      1,
    );
    assert.equal(back[0]!.SequenceNumber, put.SequenceNumber);
    assert.ok(Buffer.from(back[0]!.Data!).equals(atLimit), 'the 1 MiB record reads back byte for byte');

    const overLimit = randomBytes(MiB - partitionKey.length + 1);
    const tooLarge = {
      name: 'InvalidArgumentException',
      message:
        `Record size ${MiB + 1} bytes (data plus partition key) exceeds the maximum record size of ${MiB} bytes ` +
        `(1024 KiB) of stream ${name} under account ${ACCOUNT}.`,
    };
    await rejects(kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: partitionKey, Data: overLimit })), tooLarge);
    await rejects(
      kinesis.send(
        new PutRecordsCommand({
          StreamName: name,
          Records: [
            { PartitionKey: 'small', Data: Buffer.from('ok') },
            { PartitionKey: partitionKey, Data: overLimit },
          ],
        }),
      ),
      tooLarge,
    );
    const ok = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: [{ PartitionKey: partitionKey, Data: atLimit }] }));
    assert.equal(ok.FailedRecordCount, 0);
  });

  it('answers PutRecords per record, in request order, with sequence numbers increasing per shard', async () => {
    const records: PutRecordsRequestEntry[] = Array.from({ length: 300 }, (_, i) => ({
      PartitionKey: `order-${i % 37}`,
      Data: Buffer.from(`record-${i}`),
    }));
    const startAfter = new Map<string, string>();
    for (const shard of shards) {
      // Where each shard ends now, to read back only this test's records.
      const tip = await kinesis.send(
        new PutRecordCommand({
          StreamName: name,
          PartitionKey: 'marker',
          ExplicitHashKey: shard.HashKeyRange!.StartingHashKey,
          Data: Buffer.from('marker'),
        }),
      );
      startAfter.set(shard.ShardId!, tip.SequenceNumber!);
    }
    const result = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: records }));
    assert.equal(result.FailedRecordCount, 0);
    assert.equal(result.Records!.length, records.length);
    const byShard = new Map<string, Array<{ seq: string; data: string }>>();
    result.Records!.forEach((entry, i) => {
      assert.equal(entry.ErrorCode, undefined);
      assert.equal(entry.ShardId, shardOwning(shards, hashKeyOf(records[i]!.PartitionKey!)).ShardId);
      const list = byShard.get(entry.ShardId!) ?? [];
      list.push({ seq: entry.SequenceNumber!, data: `record-${i}` });
      byShard.set(entry.ShardId!, list);
    });
    for (const [shardId, expected] of byShard) {
      assertIncreasing(
        expected.map((e) => e.seq),
        shardId,
      );
      const back = await readShard(kinesis, name, shardId, {
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: startAfter.get(shardId)!,
      });
      assert.deepEqual(
        back.map((r) => ({ seq: r.SequenceNumber!, data: text(r.Data) })),
        expected,
        `records of ${shardId} read back in the order of their sequence numbers`,
      );
      for (const record of back) assert.ok(record.ApproximateArrivalTimestamp instanceof Date);
    }
  });

  it('takes 500 records in one PutRecords and refuses 501', async () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ PartitionKey: `n-${i}`, Data: Buffer.from(String(i)) }));
    const ok = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: entries(500) }));
    assert.equal(ok.FailedRecordCount, 0);
    assert.equal(ok.Records!.length, 500);
    await rejects(kinesis.send(new PutRecordsCommand({ StreamName: name, Records: entries(501) })), {
      name: 'ValidationException',
      message:
        /^1 validation error detected: Value '\[.*\]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$/s,
    });
    await rejects(kinesis.send(new PutRecordsCommand({ StreamName: name, Records: [] })), {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
  });

  it('takes a PutRecords of exactly 5 MiB (data plus partition keys) and refuses one byte more', async () => {
    const partitionKey = 'k';
    const oneMiB = () => ({ PartitionKey: partitionKey, Data: randomBytes(MiB - partitionKey.length) });
    const five = Array.from({ length: 5 }, oneMiB);
    const ok = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: five }));
    assert.equal(ok.FailedRecordCount, 0);
    await rejects(
      kinesis.send(new PutRecordsCommand({ StreamName: name, Records: [...five, { PartitionKey: 'x', Data: new Uint8Array(0) }] })),
      { name: 'InvalidArgumentException', message: 'Records size exceeds 5 MB limit' },
    );
  });

  it('validates partition keys against the model', async () => {
    await rejects(kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p'.repeat(257), Data: Buffer.from('x') })), {
      name: 'ValidationException',
      message:
        `1 validation error detected: Value '${'p'.repeat(257)}' at 'partitionKey' failed to satisfy constraint: ` +
        'Member must have length less than or equal to 256',
    });
  });
});
