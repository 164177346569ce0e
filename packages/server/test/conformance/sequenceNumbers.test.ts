/**
 * Sequence numbers in AWS's own layout (issue 18), decoded here independently of the engine: read
 * as hexadecimal, 47 digits: `2`, the shard's creation time in seconds (9), the low hex digit of
 * the shard index, the sequence index (16, below 2^63), flags `00`, the record's arrival time in
 * seconds (9), the shard index (8), `2`; printed as 56 decimal digits. A consumer comparing them as
 * big integers sees them increase within a shard, across a restart and from parents to children;
 * GetShardIterator and SubscribeToShard refuse another shard's, another stream's and malformed
 * numbers with AWS's texts; SequenceNumberForOrdering is checked and honoured as AWS does.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  DeleteStreamCommand,
  GetShardIteratorCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { ACCOUNT, assertIncreasing, createActiveStream, listAllShards, readShard, rejects, text } from '../helpers/api.js';
import { uniqueName } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { ManualClock } from '../../src/core/clock.js';
import { writeReservedPosition } from '../../src/storage/local/reservedPosition.js';
import { activeConsumer } from '../fanout/helpers.js';
import { streamDir } from '../storage/helpers.js';

/** 2026-01-02T03:04:05.600Z: the manual clock's start, so every time field is known. */
const START_MS = Date.UTC(2026, 0, 2, 3, 4, 5, 600);
const seconds = (ms: number) => Math.floor(ms / 1000);
const SHARD0 = 'shardId-000000000000';
const SHARD1 = 'shardId-000000000001';

interface Fields {
  shardSeconds: number;
  shardLowDigit: number;
  index: bigint;
  flags: string;
  arrivalSeconds: number;
  shardIndex: number;
}

function fieldsOf(sequence: string): Fields {
  assert.match(sequence, /^[1-9]\d{55}$/, `${sequence} is a 56-digit decimal`);
  const hex = BigInt(sequence).toString(16);
  assert.equal(hex.length, 47, `${sequence} is 47 hex digits`);
  assert.equal(hex[0], '2', 'leading 2');
  assert.equal(hex[46], '2', 'final 2 (version 2)');
  const index = BigInt('0x' + hex.slice(11, 27));
  assert.ok(index < 1n << 63n, 'the sequence index is below 2^63');
  return {
    shardSeconds: parseInt(hex.slice(1, 10), 16),
    shardLowDigit: parseInt(hex[10]!, 16),
    index,
    flags: hex.slice(27, 29),
    arrivalSeconds: parseInt(hex.slice(29, 38), 16),
    shardIndex: parseInt(hex.slice(38, 46), 16),
  };
}

const invalid = (message: string) => ({ name: 'InvalidArgumentException', message, status: 400 });
const hexNumber = (hex: string) => BigInt('0x' + hex).toString();

async function put(kinesis: KinesisClient, stream: string, partitionKey: string, data: string, extra: object = {}) {
  return kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: partitionKey, Data: Buffer.from(data), ...extra }));
}

/** The hash key right in the middle of a shard's range. */
function middleOf(shard: Shard): bigint {
  return (BigInt(shard.HashKeyRange!.StartingHashKey!) + BigInt(shard.HashKeyRange!.EndingHashKey!) + 1n) / 2n;
}

describe('conformance: sequence numbers in AWS layout', () => {
  let node: TestNode<ManualClock>;
  let kinesis: KinesisClient;
  nodePerSuite(
    () => startNode({ clock: new ManualClock(START_MS) }),
    (started) => {
      node = started;
      kinesis = started.kinesis;
    },
  );

  it('decodes field by field: creation time, shard index, cursor as index, flags 00, arrival time', async () => {
    const stream = uniqueName('layout');
    const createdMs = node.clock.now();
    await createActiveStream(kinesis, { StreamName: stream, ShardCount: 2 });
    const [open0, open1] = await listAllShards(kinesis, stream);
    for (const [i, shard] of [open0!, open1!].entries()) {
      const start = fieldsOf(shard.SequenceNumberRange!.StartingSequenceNumber!);
      assert.deepEqual(start, {
        shardSeconds: seconds(createdMs),
        shardLowDigit: i,
        index: 0n,
        flags: '00',
        arrivalSeconds: seconds(createdMs),
        shardIndex: i,
      });
      assert.equal(shard.SequenceNumberRange!.EndingSequenceNumber, undefined, 'an open shard has no EndingSequenceNumber');
    }
    await node.clock.advance(3_000);
    const arrivedMs = node.clock.now();
    const written = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`r${i}`) })),
      }),
    );
    for (const entry of written.Records!) {
      const fields = fieldsOf(entry.SequenceNumber!);
      const shardIndex = Number(entry.ShardId!.slice('shardId-'.length));
      assert.equal(fields.shardIndex, shardIndex);
      assert.equal(fields.shardLowDigit, shardIndex % 16);
      assert.equal(fields.shardSeconds, seconds(createdMs));
      assert.equal(fields.arrivalSeconds, seconds(arrivedMs));
      assert.equal(fields.flags, '00');
    }
    // What GetRecords returns is what PutRecords answered, in order.
    const back = await readShard(kinesis, stream, SHARD0);
    const fromPut = written.Records!.filter((entry) => entry.ShardId === SHARD0).map((entry) => entry.SequenceNumber!);
    assert.deepEqual(
      back.map((record) => record.SequenceNumber),
      fromPut.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
    );
    assertIncreasing(fromPut, 'one shard of one PutRecords');
  });

  it('increase as big integers within a shard across a restart, and stay the same numbers', async () => {
    // A node of its own: the restart replaces it.
    let own = await startNode({ clock: new ManualClock(START_MS) });
    try {
      const stream = uniqueName('restart');
      await createActiveStream(own.kinesis, { StreamName: stream, ShardCount: 1 });
      const before: string[] = [];
      for (let i = 0; i < 5; i++) {
        before.push((await put(own.kinesis, stream, 'k', `before-${i}`)).SequenceNumber!);
        await own.clock.advance(1_500); // arrival times move on: they must never reorder numbers
      }
      const [shardBefore] = await listAllShards(own.kinesis, stream);
      await own.close();
      own = await own.restart();
      const [shardAfter] = await listAllShards(own.kinesis, stream);
      assert.equal(shardAfter!.SequenceNumberRange!.StartingSequenceNumber, shardBefore!.SequenceNumberRange!.StartingSequenceNumber);
      const reread = await readShard(own.kinesis, stream, SHARD0);
      assert.deepEqual(
        reread.map((record) => record.SequenceNumber),
        before,
        'the same numbers after a restart',
      );
      const after: string[] = [];
      for (let i = 0; i < 5; i++) after.push((await put(own.kinesis, stream, 'k', `after-${i}`)).SequenceNumber!);
      assertIncreasing([...before, ...after], 'one shard across a restart');
      // A checkpoint taken before the restart resumes right after its record.
      const resumed = await readShard(own.kinesis, stream, SHARD0, {
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: before[4]!,
      });
      assert.deepEqual(
        resumed.map((record) => text(record.Data)),
        after.map((_, i) => `after-${i}`),
      );
    } finally {
      await own.dispose();
    }
  });

  it("increase from parents to children across a split and a merge in the parents' second", async () => {
    const stream = uniqueName('reshard');
    await createActiveStream(kinesis, { StreamName: stream, ShardCount: 1 });
    const [parent] = await listAllShards(kinesis, stream);
    const key = middleOf(parent!).toString();
    const parentNumbers: string[] = [];
    for (let i = 0; i < 3; i++)
      parentNumbers.push((await put(kinesis, stream, 'p', `parent-${i}`, { ExplicitHashKey: key })).SequenceNumber!);
    // The clock stands still: the children are created in the same second as the parent.
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: SHARD0, NewStartingHashKey: key }));
    await node.waitForStream(stream, 'ACTIVE');
    const split = await listAllShards(kinesis, stream);
    const closed = split.find((shard) => shard.ShardId === SHARD0)!;
    const ending = fieldsOf(closed.SequenceNumberRange!.EndingSequenceNumber!);
    assert.equal(ending.index, (1n << 63n) - 1n, "a closed shard ends at the largest index, as AWS's do");
    assert.equal(ending.shardIndex, 0);
    assert.equal(ending.arrivalSeconds, seconds(node.clock.now()), 'stamped with the closing time');
    const children = split.filter((shard) => shard.ParentShardId === SHARD0);
    assert.equal(children.length, 2);
    for (const child of children) {
      const start = child.SequenceNumberRange!.StartingSequenceNumber!;
      assert.ok(
        BigInt(start) > BigInt(closed.SequenceNumberRange!.EndingSequenceNumber!),
        `${child.ShardId} starts above its parent's end`,
      );
      assert.ok(fieldsOf(start).shardSeconds > fieldsOf(parentNumbers[0]!).shardSeconds, "a child's creation time is after its parent's");
    }
    const childNumbers: string[] = [];
    for (let i = 0; i < 3; i++)
      childNumbers.push((await put(kinesis, stream, 'p', `child-${i}`, { ExplicitHashKey: key })).SequenceNumber!);
    assertIncreasing([...parentNumbers, ...childNumbers], 'a partition key from parent to child');

    const [low, high] = children.sort((a, b) =>
      BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
    );
    await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: low!.ShardId, AdjacentShardToMerge: high!.ShardId }));
    await node.waitForStream(stream, 'ACTIVE');
    const merged = (await listAllShards(kinesis, stream)).find((shard) => shard.ParentShardId === low!.ShardId)!;
    const mergedNumber = (await put(kinesis, stream, 'p', 'merged', { ExplicitHashKey: key })).SequenceNumber!;
    assert.equal(fieldsOf(mergedNumber).shardIndex, Number(merged.ShardId!.slice('shardId-'.length)));
    assertIncreasing([...parentNumbers, ...childNumbers, mergedNumber], 'a partition key through a split and a merge');
  });

  it("a child's first record, at the log's first place, is not below the child's StartingSequenceNumber", async () => {
    // The child's creation time is a second ahead of the standing clock, and the record's index
    // is 0 like the StartingSequenceNumber's: only the arrival field could put it below.
    const stream = uniqueName('firstplace');
    await createActiveStream(kinesis, { StreamName: stream, ShardCount: 1 });
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: SHARD0, NewStartingHashKey: (1n << 127n).toString() }));
    await node.waitForStream(stream, 'ACTIVE');
    const first = await put(kinesis, stream, 'k', 'first', { ExplicitHashKey: '0' });
    const child = (await listAllShards(kinesis, stream)).find((shard) => shard.ShardId === first.ShardId)!;
    assert.equal(fieldsOf(first.SequenceNumber!).index, 0n, 'the first record of the log');
    assert.ok(BigInt(first.SequenceNumber!) >= BigInt(child.SequenceNumberRange!.StartingSequenceNumber!));
  });

  it("refuses another shard's, another stream's and malformed numbers with AWS's texts", async () => {
    const stream = uniqueName('badseq');
    await createActiveStream(kinesis, { StreamName: stream, ShardCount: 2 });
    const onShard1 = await put(kinesis, stream, 'x', 'x', { ExplicitHashKey: (1n << 127n).toString() });
    assert.equal(onShard1.ShardId, SHARD1);
    const iterator = (StartingSequenceNumber: string, ShardId = SHARD0) =>
      kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber }),
      );
    const where = `used in GetShardIterator on shard ${SHARD0} in stream ${stream} under account ${ACCOUNT}`;

    await rejects(
      iterator(onShard1.SequenceNumber!),
      invalid(`Invalid StartingSequenceNumber. It encodes ${SHARD1}, while it was used in a call to a shard with ${SHARD0}`),
    );
    // AWS reads a small number in its oldest layout, where '5' encodes shard 5.
    await rejects(
      iterator('5'),
      invalid(`Invalid StartingSequenceNumber. It encodes shardId-000000000005, while it was used in a call to a shard with ${SHARD0}`),
    );
    // ... and '0' as shard 0's, of that old layout, echoed in its canonical form.
    await rejects(
      iterator('0'),
      invalid(`StartingSequenceNumber ${(1n << 124n).toString()} ${where} is invalid because it did not come from this stream.`),
    );
    for (const malformed of [
      hexNumber('20000000000800000000000000000000000000000000002'), // the sequence index's top bit
      hexNumber('20000000000000000000000000000000000000800000002'), // the shard index's top bit
      hexNumber('20000000000000000000000000000000000000000000004'), // no such version
      '9'.repeat(60),
    ]) {
      await rejects(iterator(malformed), invalid(`StartingSequenceNumber ${malformed} ${where} is invalid.`));
    }

    // A stream deleted and created again under the same name, a second later: its shard 0 is
    // another shard, and a number of the old one is refused rather than read at its cursor.
    const old = (await put(kinesis, stream, 'y', 'y', { ExplicitHashKey: '0' })).SequenceNumber!;
    await kinesis.send(new DeleteStreamCommand({ StreamName: stream }));
    await node.waitForStream(stream, 'GONE');
    await node.clock.advance(1_000);
    await createActiveStream(kinesis, { StreamName: stream, ShardCount: 2 });
    await rejects(iterator(old), invalid(`StartingSequenceNumber ${old} ${where} is invalid because it did not come from this stream.`));
  });

  it("SubscribeToShard's StartingPosition refuses another shard's number as GetShardIterator does", async () => {
    const stream = uniqueName('subseq');
    const streamArn = await createActiveStream(kinesis, { StreamName: stream, ShardCount: 2 });
    const consumerArn = await activeConsumer(kinesis, streamArn, 'c', node.clock);
    const onShard1 = await put(kinesis, stream, 'x', 'x', { ExplicitHashKey: (1n << 127n).toString() });
    await rejects(
      kinesis.send(
        new SubscribeToShardCommand({
          ConsumerARN: consumerArn,
          ShardId: SHARD0,
          StartingPosition: { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: onShard1.SequenceNumber! },
        }),
      ),
      invalid(`Invalid StartingSequenceNumber. It encodes ${SHARD1}, while it was used in a call to a shard with ${SHARD0}`),
    );
  });

  it('honours SequenceNumberForOrdering as AWS does, and checks it as AWS does', async () => {
    const stream = uniqueName('ordering');
    await createActiveStream(kinesis, { StreamName: stream, ShardCount: 2 });
    let previous = (await put(kinesis, stream, 'same-key', 'first')).SequenceNumber!;
    for (let i = 0; i < 5; i++) {
      const next = await put(kinesis, stream, 'same-key', `next-${i}`, { SequenceNumberForOrdering: previous });
      assert.ok(BigInt(next.SequenceNumber!) > BigInt(previous), 'greater than the one given for the same partition key');
      previous = next.SequenceNumber!;
    }
    // Any number of AWS's current layouts not stamped in the future is accepted, even one of
    // another shard: AWS accepts it too (its guarantee is for the same partition key).
    const nowHex = seconds(node.clock.now()).toString(16).padStart(9, '0');
    for (const accepted of [
      hexNumber('2ffffffffff7fffffffffffffff000000000007fffffff2'),
      hexNumber('20000000000000000000000000000000000000000000002'),
      hexNumber('20000000000000000000000000000000000000000000001'),
      hexNumber(`2ffffffffff7fffffff7fffffff00${nowHex}7fffffff2`),
    ]) {
      const answer = await put(kinesis, stream, 'a', 'x', { SequenceNumberForOrdering: accepted });
      assert.equal(fieldsOf(answer.SequenceNumber!).arrivalSeconds, seconds(node.clock.now()));
    }
    const future = seconds(node.clock.now() + 2_000)
      .toString(16)
      .padStart(9, '0');
    for (const refused of [
      '1',
      hexNumber('20000000000000000000000000000000000000000000000'), // version 0 in the 47-digit form
      hexNumber('20000000000000000000000000000000000000000000004'),
      hexNumber('30000000000000000000000000000000000000000000001'),
      hexNumber('20000000000800000000000000000000000000000000002'),
      hexNumber(`200000000000000000000000000000${future.slice(1)}000000002`), // stamped 2 s in the future
    ]) {
      await rejects(
        put(kinesis, stream, 'a', 'x', { SequenceNumberForOrdering: refused }),
        invalid(`ExclusiveMinimumSequenceNumber ${refused} used in PutRecord on stream ${stream} under account ${ACCOUNT} is invalid.`),
      );
    }
    // AWS answers version 3 with a bare InternalFailure.
    await rejects(
      put(kinesis, stream, 'a', 'x', { SequenceNumberForOrdering: hexNumber('20000000000000000000000000000000000000000000003') }),
      {
        name: 'InternalFailure',
        status: 500,
      },
    );
  });

  it("accepts Freshet's previous 51-digit numbers as aliases of the same record", async () => {
    const stream = uniqueName('legacy');
    await createActiveStream(kinesis, { StreamName: stream, ShardCount: 1 });
    const numbers: string[] = [];
    for (let i = 0; i < 3; i++) numbers.push((await put(kinesis, stream, 'k', `r${i}`)).SequenceNumber!);
    // What a checkpoint stored before the upgrade holds: 4·10^50 + shard·10^26 + cursor.
    const legacy = (4n * 10n ** 50n + fieldsOf(numbers[1]!).index).toString();
    assert.equal(legacy.length, 51);
    const at = await readShard(kinesis, stream, SHARD0, { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: legacy });
    assert.deepEqual(
      at.map((record) => record.SequenceNumber),
      numbers.slice(1),
    );
    const after = await readShard(kinesis, stream, SHARD0, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: legacy });
    assert.deepEqual(
      after.map((record) => text(record.Data)),
      ['r2'],
    );
  });

  it("refuses writes before a stream's log outgrows the 63-bit index, and still reads what it holds", async () => {
    let own = await startNode({ clock: new ManualClock(START_MS) });
    try {
      const stream = uniqueName('exhausted');
      await createActiveStream(own.kinesis, { StreamName: stream, ShardCount: 1 });
      const kept = (await put(own.kinesis, stream, 'k', 'kept')).SequenceNumber!;
      await own.close();
      // As if the log had grown to 8 TiB less 512 MiB: recovery goes on past the reserved position.
      await writeReservedPosition(streamDir(own.dataDir), 2 ** 43 - 2 ** 29);
      own = await own.restart();
      await rejects(put(own.kinesis, stream, 'k', 'refused'), {
        name: 'InternalFailureException',
        message:
          `Stream ${stream} under account ${ACCOUNT} has used up its sequence numbers (its log reached 8 TiB): ` +
          'no record of this request was stored. Copy what you need to a new stream.',
        status: 500,
      });
      const back = await readShard(own.kinesis, stream, SHARD0);
      assert.deepEqual(
        back.map((record) => record.SequenceNumber),
        [kept],
      );
    } finally {
      await own.dispose();
    }
  });
});
