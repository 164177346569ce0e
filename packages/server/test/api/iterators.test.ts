/**
 * GetShardIterator and GetRecords through @aws-sdk/client-kinesis: the five iterator types,
 * wrong-shard and invalid sequence numbers, shard ids by number, Limit, MillisBehindLatest,
 * NextShardIterator continuation, empty shards, invalid iterators, and iterators of a stream
 * that was deleted and created again.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { ManualClock } from '../../src/core/clock.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import { ACCOUNT, createActiveStream, eventually, readShard, rejects, text } from '../helpers/api.js';

const SHARD0 = 'shardId-000000000000';
const SHARD1 = 'shardId-000000000001';

/** Waits (without sleeping blindly) until the clock has moved past ms. */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('GetShardIterator and GetRecords', () => {
  let kinesis: KinesisClient;

  nodePerSuite(
    () => startNode(),
    (started) => (kinesis = started.kinesis),
  );

  /** A one-shard stream holding records r0..r(n-1); returns their sequence numbers and arrival bounds. */
  async function streamWith(n: number, shards = 1) {
    const name = uniqueName('iter');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: shards });
    const sequenceNumbers: string[] = [];
    const putAt: number[] = [];
    for (let i = 0; i < n; i++) {
      putAt.push(Date.now());
      const put = await kinesis.send(
        new PutRecordCommand({ StreamName: name, PartitionKey: `p${i}`, ExplicitHashKey: '0', Data: Buffer.from(`r${i}`) }),
      );
      assert.equal(put.ShardId, SHARD0);
      sequenceNumbers.push(put.SequenceNumber!);
    }
    return { name, sequenceNumbers, putAt };
  }

  const iterator = async (input: GetShardIteratorCommandInput) => (await kinesis.send(new GetShardIteratorCommand(input))).ShardIterator!;

  it('starts at TRIM_HORIZON, AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER', async () => {
    const { name, sequenceNumbers } = await streamWith(5);
    const all = await readShard(kinesis, name, SHARD0);
    assert.deepEqual(
      all.map((r) => text(r.Data)),
      ['r0', 'r1', 'r2', 'r3', 'r4'],
    );
    assert.deepEqual(
      all.map((r) => r.SequenceNumber),
      sequenceNumbers,
    );
    assert.deepEqual(
      all.map((r) => r.PartitionKey),
      ['p0', 'p1', 'p2', 'p3', 'p4'],
    );

    const at = await readShard(kinesis, name, SHARD0, {
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumbers[2]!,
    });
    assert.deepEqual(
      at.map((r) => text(r.Data)),
      ['r2', 'r3', 'r4'],
    );
    const afterSeq = await readShard(kinesis, name, SHARD0, {
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumbers[2]!,
    });
    assert.deepEqual(
      afterSeq.map((r) => text(r.Data)),
      ['r3', 'r4'],
    );
    const afterLast = await readShard(kinesis, name, SHARD0, {
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumbers[4]!,
    });
    assert.deepEqual(afterLast, []);
  });

  it('starts at LATEST: only records put after the iterator was taken', async () => {
    const { name } = await streamWith(3);
    const latest = await iterator({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'LATEST' });
    const empty = await kinesis.send(new GetRecordsCommand({ ShardIterator: latest }));
    assert.deepEqual(empty.Records, []);
    assert.equal(empty.MillisBehindLatest, 0);
    assert.ok(empty.NextShardIterator);
    for (const data of ['n0', 'n1']) {
      await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from(data) }));
    }
    const fresh = await kinesis.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator }));
    assert.deepEqual(
      fresh.Records!.map((r) => text(r.Data)),
      ['n0', 'n1'],
    );
    // The first LATEST iterator, used again, sees the same records.
    const again = await kinesis.send(new GetRecordsCommand({ ShardIterator: latest }));
    assert.deepEqual(
      again.Records!.map((r) => text(r.Data)),
      ['n0', 'n1'],
    );
  });

  it('starts AT_TIMESTAMP: the first record that arrived at or after it', async () => {
    const name = uniqueName('ts');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const early = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('early') }));
    const [earlyRecord] = await readShard(
      kinesis,
      name,
      SHARD0,
      { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: early.SequenceNumber! },
      1,
    );
    await clockPast(earlyRecord!.ApproximateArrivalTimestamp!.getTime() + 5);
    const cut = new Date();
    await clockPast(cut.getTime() + 1);
    for (const data of ['late1', 'late2']) {
      await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from(data) }));
    }
    const fromCut = await readShard(kinesis, name, SHARD0, { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: cut });
    assert.deepEqual(
      fromCut.map((r) => text(r.Data)),
      ['late1', 'late2'],
    );
    for (const record of fromCut) assert.ok(record.ApproximateArrivalTimestamp!.getTime() >= cut.getTime());
    // Exactly the early record's arrival time includes it; before the stream existed is the trim horizon.
    const atEarly = await readShard(kinesis, name, SHARD0, {
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: earlyRecord!.ApproximateArrivalTimestamp!,
    });
    assert.deepEqual(
      atEarly.map((r) => text(r.Data)),
      ['early', 'late1', 'late2'],
    );
    const fromEpoch = await readShard(kinesis, name, SHARD0, { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(0) });
    assert.deepEqual(
      fromEpoch.map((r) => text(r.Data)),
      ['early', 'late1', 'late2'],
    );
  });

  it('names a shard by its number: shardId-1 is shardId-000000000001', async () => {
    const name = uniqueName('shortid');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const put = await kinesis.send(
      new PutRecordCommand({ StreamName: name, PartitionKey: 'p', ExplicitHashKey: (2n ** 127n).toString(), Data: Buffer.from('one') }),
    );
    assert.equal(put.ShardId, SHARD1);
    for (const shardId of ['shardId-1', SHARD1, 'shardId-01']) {
      const records = await readShard(kinesis, name, shardId);
      assert.deepEqual(
        records.map((r) => text(r.Data)),
        ['one'],
        shardId,
      );
    }
    const bySequence = await readShard(kinesis, name, 'shardId-1', {
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: put.SequenceNumber!,
    });
    assert.deepEqual(
      bySequence.map((r) => r.SequenceNumber),
      [put.SequenceNumber],
    );
  });

  it('refuses sequence numbers of another shard, invalid ones, and inconsistent parameters', async () => {
    const name = uniqueName('badseq');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const put = await kinesis.send(
      new PutRecordCommand({ StreamName: name, PartitionKey: 'p', ExplicitHashKey: '0', Data: Buffer.from('x') }),
    );
    assert.equal(put.ShardId, SHARD0);
    const invalid = (message: string) => ({ name: 'InvalidArgumentException', message });
    for (const type of ['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'] as const) {
      await rejects(
        kinesis.send(
          new GetShardIteratorCommand({
            StreamName: name,
            ShardId: SHARD1,
            ShardIteratorType: type,
            StartingSequenceNumber: put.SequenceNumber,
          }),
        ),
        invalid(`Invalid StartingSequenceNumber. It encodes ${SHARD0}, while it was used in a call to a shard with ${SHARD1}`),
      );
      // A sequence index with its top bit set is no sequence number AWS could issue.
      const malformed = BigInt('0x20000000000800000000000000000000000000000000002').toString();
      await rejects(
        kinesis.send(
          new GetShardIteratorCommand({ StreamName: name, ShardId: SHARD0, ShardIteratorType: type, StartingSequenceNumber: malformed }),
        ),
        invalid(
          `StartingSequenceNumber ${malformed} used in GetShardIterator on shard ${SHARD0} in stream ${name} under account ${ACCOUNT} is invalid.`,
        ),
      );
      await rejects(
        kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: SHARD0, ShardIteratorType: type })),
        invalid(
          'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or ' +
            `(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified ${type} and no StartingSequenceNumber.`,
        ),
      );
    }
    for (const type of ['TRIM_HORIZON', 'LATEST'] as const) {
      await rejects(
        kinesis.send(
          new GetShardIteratorCommand({
            StreamName: name,
            ShardId: SHARD0,
            ShardIteratorType: type,
            StartingSequenceNumber: put.SequenceNumber,
          }),
        ),
        invalid(
          'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or ' +
            `(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified ${type} and also a StartingSequenceNumber.`,
        ),
      );
    }
    await rejects(
      kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'AT_TIMESTAMP' })),
      invalid('Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.'),
    );
    await rejects(
      kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'LATEST', Timestamp: new Date() })),
      invalid('Must specify timestampInMillis parameter only for iterator of type AT_TIMESTAMP. Current request has LATEST.'),
    );
    await rejects(
      kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000009', ShardIteratorType: 'TRIM_HORIZON' })),
      {
        name: 'ResourceNotFoundException',
        message: `Shard shardId-000000000009 in stream ${name} under account ${ACCOUNT} does not exist`,
      },
    );
    await rejects(
      kinesis.send(new GetShardIteratorCommand({ StreamName: `${name}-missing`, ShardId: SHARD0, ShardIteratorType: 'TRIM_HORIZON' })),
      // AWS names the shard even when the stream itself is unknown (docs/conformance.md).
      { name: 'ResourceNotFoundException', message: `Shard ${SHARD0} in stream ${name}-missing under account ${ACCOUNT} does not exist` },
    );
    await rejects(
      kinesis.send(new GetShardIteratorCommand({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'FIRST' as ShardIteratorType })),
      {
        name: 'ValidationException',
        message:
          "1 validation error detected: Value 'FIRST' at 'shardIteratorType' failed to satisfy constraint: " +
          'Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]',
      },
    );
  });

  it('pages GetRecords with Limit and NextShardIterator, with MillisBehindLatest', async () => {
    const { name, sequenceNumbers } = await streamWith(10);
    const [last] = await readShard(kinesis, name, SHARD0, {
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumbers[9]!,
    });
    await clockPast(last!.ApproximateArrivalTimestamp!.getTime() + 20);
    let shardIterator = await iterator({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'TRIM_HORIZON' });
    const pages: string[][] = [];
    for (;;) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: 3 }));
      assert.ok(page.Records!.length <= 3);
      assert.ok(page.NextShardIterator, 'an open shard always gives a NextShardIterator');
      if (page.Records!.length === 0) {
        assert.equal(page.MillisBehindLatest, 0, 'caught up at the tip');
        break;
      }
      pages.push(page.Records!.map((r) => text(r.Data)));
      const caughtUp = pages.flat().length === 10;
      if (caughtUp) assert.equal(page.MillisBehindLatest, 0, 'the page ending at the tip is caught up');
      else assert.ok(page.MillisBehindLatest! >= 20, `behind the tip: ${page.MillisBehindLatest}`);
      shardIterator = page.NextShardIterator;
    }
    assert.deepEqual(pages, [['r0', 'r1', 'r2'], ['r3', 'r4', 'r5'], ['r6', 'r7', 'r8'], ['r9']]);

    // Continuing from the last NextShardIterator sees records put later.
    await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('later') }));
    const later = await kinesis.send(new GetRecordsCommand({ ShardIterator: shardIterator }));
    assert.deepEqual(
      later.Records!.map((r) => text(r.Data)),
      ['later'],
    );

    for (const [limit, rule] of [
      [0, 'Member must have value greater than or equal to 1'],
      [10001, 'Member must have value less than or equal to 10000'],
    ] as const) {
      await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: limit })), {
        name: 'ValidationException',
        message: `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: ${rule}`,
      });
    }
  });

  it('returns at most 10,000 records and 10 MiB a call', async () => {
    const name = uniqueName('caps');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    // Shard 0: 10,001 small records.
    for (let sent = 0; sent < 10_001; sent += 500) {
      const n = Math.min(500, 10_001 - sent);
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: name,
          Records: Array.from({ length: n }, (_, i) => ({ PartitionKey: 'p', ExplicitHashKey: '0', Data: Buffer.from(`s${sent + i}`) })),
        }),
      );
    }
    const small = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'TRIM_HORIZON' }) }),
    );
    assert.equal(small.Records!.length, 10_000);
    assert.equal(text(small.Records![9_999]!.Data), 's9999');
    const rest = await kinesis.send(new GetRecordsCommand({ ShardIterator: small.NextShardIterator }));
    assert.deepEqual(
      rest.Records!.map((r) => text(r.Data)),
      ['s10000'],
    );

    // Shard 1: twelve records of 1 MiB (data plus partition key).
    const MiB = 1024 * 1024;
    const big = Array.from({ length: 12 }, (_, i) => Buffer.alloc(MiB - 1, i));
    for (const data of big) {
      await kinesis.send(
        new PutRecordCommand({ StreamName: name, PartitionKey: 'q', ExplicitHashKey: (2n ** 127n).toString(), Data: data }),
      );
    }
    let shardIterator = await iterator({ StreamName: name, ShardId: SHARD1, ShardIteratorType: 'TRIM_HORIZON' });
    const counts: number[] = [];
    let read = 0;
    while (read < big.length) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: shardIterator }));
      const bytes = page.Records!.reduce((n, r) => n + r.Data!.length + r.PartitionKey!.length, 0);
      assert.ok(bytes <= 10 * MiB, `a GetRecords answer holds ${bytes} bytes`);
      for (const record of page.Records!) assert.ok(Buffer.from(record.Data!).equals(big[read++]!));
      counts.push(page.Records!.length);
      shardIterator = page.NextShardIterator!;
      assert.ok(counts.length < 10, `pages so far: ${counts.join(', ')}`);
    }
    assert.ok(counts.length >= 2, `12 MiB take more than one call (pages: ${counts.join(', ')})`);
  });

  it('gives arrival timestamps of the time the record was accepted', async () => {
    const name = uniqueName('arrival');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const before = Date.now();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: [
          { PartitionKey: 'a', Data: Buffer.from('a') },
          { PartitionKey: 'b', Data: Buffer.from('b') },
        ],
      }),
    );
    const after = Date.now();
    const records = await readShard(kinesis, name, SHARD0);
    assert.equal(records.length, 2);
    for (const record of records) {
      const ms = record.ApproximateArrivalTimestamp!.getTime();
      assert.ok(ms >= before - 5 && ms <= after + 5, `arrival ${ms} within [${before}, ${after}]`);
    }
  });

  it('reads an empty shard: no records, a NextShardIterator, caught up', async () => {
    const name = uniqueName('empty');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    for (const type of ['TRIM_HORIZON', 'LATEST'] as const) {
      const page = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: name, ShardId: SHARD1, ShardIteratorType: type }) }),
      );
      assert.deepEqual(page.Records, []);
      assert.equal(page.MillisBehindLatest, 0);
      assert.ok(page.NextShardIterator);
      const next = await kinesis.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator }));
      assert.deepEqual(next.Records, []);
    }
  });

  it('refuses an invalid or tampered iterator with "Invalid ShardIterator."', async () => {
    const { name } = await streamWith(1);
    const good = await iterator({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'TRIM_HORIZON' });
    const tampered = Buffer.from(good, 'base64');
    tampered[20] = tampered[20]! ^ 0x01;
    for (const bad of ['garbage', 'AAAA', tampered.toString('base64'), good.slice(0, -4)]) {
      await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator: bad })), {
        name: 'InvalidArgumentException',
        message: 'Invalid ShardIterator.',
      });
    }
    await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator: 'x'.repeat(513) })), {
      name: 'ValidationException',
      message:
        `1 validation error detected: Value '${'x'.repeat(513)}' at 'shardIterator' failed to satisfy constraint: ` +
        'Member must have length less than or equal to 512',
    });
  });

  it('does not serve an iterator of a stream deleted and created again under the same name', async () => {
    const { name } = await streamWith(2);
    const old = await iterator({ StreamName: name, ShardId: SHARD0, ShardIteratorType: 'TRIM_HORIZON' });
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    await eventually(async () => {
      const list = await kinesis.send(new ListStreamsCommand({}));
      return list.StreamNames!.includes(name) ? undefined : true;
    }, 'the stream to be deleted');
    await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator: old })), {
      name: 'ResourceNotFoundException',
      message: `Shard ${SHARD0} in stream ${name} under account ${ACCOUNT} does not exist`,
    });
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('new') }));
    await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator: old })), {
      name: 'ResourceNotFoundException',
      message: `Shard ${SHARD0} in stream ${name} under account ${ACCOUNT} does not exist`,
    });
    const fresh = await readShard(kinesis, name, SHARD0);
    assert.deepEqual(
      fresh.map((r) => text(r.Data)),
      ['new'],
    );
  });
});

describe('expiry on a manual clock', () => {
  let node: TestNode<ManualClock>;
  nodePerSuite(
    () => startNode({ clock: 'manual' }),
    (started) => (node = started),
  );

  it('a shard iterator is good for five minutes, then ExpiredIteratorException', async () => {
    const name = uniqueName('expiry');
    await createActiveStream(node.kinesis, { StreamName: name, ShardCount: 1 });
    const { ShardIterator } = await node.kinesis.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
    );
    await node.clock.advance(300_000);
    const fresh = await node.kinesis.send(new GetRecordsCommand({ ShardIterator }));
    assert.deepEqual(fresh.Records, []);
    await node.clock.advance(1);
    await rejects(node.kinesis.send(new GetRecordsCommand({ ShardIterator })), {
      name: 'ExpiredIteratorException',
      message:
        /^Iterator expired\. The iterator was created at time .+ while right now it is .+ which is further in the future than the tolerated delay of 300000 milliseconds\.$/,
      status: 400,
    });
    // The iterator GetRecords handed out with the last good answer starts its own five minutes.
    const next = await node.kinesis.send(new GetRecordsCommand({ ShardIterator: fresh.NextShardIterator }));
    assert.deepEqual(next.Records, []);
  });

  it('a ListShards NextToken is good for five minutes, then ExpiredNextTokenException', async () => {
    const name = uniqueName('token');
    await createActiveStream(node.kinesis, { StreamName: name, ShardCount: 3 });
    const first = await node.kinesis.send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }));
    assert.ok(first.NextToken);
    await node.clock.advance(300_000);
    const second = await node.kinesis.send(new ListShardsCommand({ NextToken: first.NextToken, MaxResults: 1 }));
    assert.equal(second.Shards!.length, 1);
    await node.clock.advance(1);
    await rejects(node.kinesis.send(new ListShardsCommand({ NextToken: first.NextToken })), {
      name: 'ExpiredNextTokenException',
      message: `The timestamp in the NextToken has expired: ${first.NextToken}`,
    });
  });
});
