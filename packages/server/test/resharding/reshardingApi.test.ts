/**
 * Resharding through the AWS SDK for JavaScript v3 against a real server: SplitShard,
 * MergeShards and UpdateShardCount with their AWS error cases, the UPDATING status, lineage
 * fields, EndingSequenceNumber, GetRecords at the end of a closed shard, ListShards filters and
 * DescribeStream over closed and open shards.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
  type KinesisClient,
  type Shard,
  type ShardFilter,
} from '@aws-sdk/client-kinesis';
import { uniqueName, waitForStatus } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import type { ManualClock } from '../../src/core/clock.js';

const HOUR_MS = 3_600_000;
import {
  assertLineage,
  drainShard,
  endOf,
  evenRanges,
  indexOf,
  isClosed,
  listShards,
  MAX_HASH_KEY,
  parentsOf,
  readByLineage,
  shardId,
  startOf,
} from './lineage.js';

const ACCOUNT = '000000000000';
const HALF = 1n << 127n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejects(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

async function createStream(client: KinesisClient, shardCount: number, prefix = 'reshard'): Promise<string> {
  const name = uniqueName(prefix);
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitForStatus(client, name, 'ACTIVE');
  return name;
}

/** Puts one record per explicit hash key; returns the acknowledgements in order. */
async function putKeys(client: KinesisClient, name: string, keys: bigint[], tag: string) {
  const out = await client.send(
    new PutRecordsCommand({
      StreamName: name,
      Records: keys.map((key, i) => ({ Data: Buffer.from(`${tag}-${i}`), PartitionKey: `pk-${i}`, ExplicitHashKey: key.toString() })),
    }),
  );
  assert.equal(out.FailedRecordCount, 0);
  return out.Records!.map((record, i) => ({ key: keys[i]!, data: `${tag}-${i}`, shardId: record.ShardId!, seq: record.SequenceNumber! }));
}

const byId = (shards: Shard[]) => new Map(shards.map((shard) => [shard.ShardId!, shard]));
const ids = (shards: Shard[]) => shards.map((shard) => shard.ShardId!);
const range = (shard: Shard) => [startOf(shard), endOf(shard)];

describe('resharding with an instant UPDATING status', () => {
  let client: KinesisClient;
  nodePerSuite(
    () => startNode(),
    (started) => (client = started.kinesis),
  );

  describe('SplitShard', () => {
    it('closes the parent and adds two children that continue the shard numbering', async () => {
      const name = await createStream(client, 2);
      const key = 1n << 126n;
      const prior = await putKeys(client, name, [0n, key - 1n, key, HALF - 1n, HALF, MAX_HASH_KEY], 'before');
      assert.deepEqual(
        prior.map((r) => r.shardId),
        [0, 0, 0, 0, 1, 1].map(shardId),
      );

      const out = await client.send(
        new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(0), NewStartingHashKey: key.toString() }),
      );
      assert.equal(out.$metadata.httpStatusCode, 200);
      await waitForStatus(client, name, 'ACTIVE');

      const shards = await listShards(client, name);
      assert.deepEqual(ids(shards), [0, 1, 2, 3].map(shardId));
      const [parent, untouched, low, high] = shards as [Shard, Shard, Shard, Shard];
      assert.ok(isClosed(parent), 'the parent has an EndingSequenceNumber');
      assert.ok(!isClosed(untouched) && !isClosed(low) && !isClosed(high));
      assert.deepEqual(range(untouched), [HALF, MAX_HASH_KEY]);
      assert.deepEqual(range(low), [0n, key - 1n]);
      assert.deepEqual(range(high), [key, HALF - 1n]);
      for (const child of [low, high]) {
        assert.equal(child.ParentShardId, shardId(0));
        assert.equal(child.AdjacentParentShardId, undefined);
        assert.ok(
          BigInt(child.SequenceNumberRange!.StartingSequenceNumber!) > BigInt(parent.SequenceNumberRange!.EndingSequenceNumber!),
          'a child starts after its parent ends',
        );
      }
      assert.equal(untouched.ParentShardId, undefined);
      const ending = BigInt(parent.SequenceNumberRange!.EndingSequenceNumber!);
      for (const record of prior.filter((r) => r.shardId === shardId(0))) assert.ok(BigInt(record.seq) <= ending);
      assertLineage(shards);

      const later = await putKeys(client, name, [0n, key - 1n, key, HALF - 1n, HALF], 'after');
      assert.deepEqual(
        later.map((r) => r.shardId),
        [2, 2, 3, 3, 1].map(shardId),
      );

      const described = (await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription!;
      assert.equal(described.StreamStatus, 'ACTIVE');
      assert.equal(described.HasMoreShards, false);
      assert.deepEqual(described.Shards, shards);
      const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
      assert.equal(summary.OpenShardCount, 3);
    });

    it('takes a NewStartingHashKey above StartingHashKey + 1 and below EndingHashKey, and nothing else', async () => {
      const name = await createStream(client, 2);
      const refused = (key: bigint, shard: number, start: bigint, end: bigint) =>
        rejects(
          client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(shard), NewStartingHashKey: key.toString() })),
          'InvalidArgumentException',
          `NewStartingHashKey ${key} used in SplitShard() on shard ${shardId(shard)} in stream ${name} under account ${ACCOUNT} ` +
            `is not both greater than one plus the shard's StartingHashKey ${start} and less than the shard's EndingHashKey ${end}.`,
        );
      for (const key of [HALF, HALF + 1n, MAX_HASH_KEY, 0n, HALF - 1n]) await refused(key, 1, HALF, MAX_HASH_KEY);
      assert.equal(
        (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.StreamStatus,
        'ACTIVE',
      );

      // The lowest key allowed, on a shard named by its number alone.
      await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-1', NewStartingHashKey: (HALF + 2n).toString() }));
      await waitForStatus(client, name, 'ACTIVE');
      let shards = byId(await listShards(client, name));
      assert.deepEqual(range(shards.get(shardId(2))!), [HALF, HALF + 1n]);
      assert.deepEqual(range(shards.get(shardId(3))!), [HALF + 2n, MAX_HASH_KEY]);
      // A shard of two keys cannot be split at all.
      await refused(HALF + 1n, 2, HALF, HALF + 1n);
      // The highest key allowed.
      await client.send(
        new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(3), NewStartingHashKey: (MAX_HASH_KEY - 1n).toString() }),
      );
      await waitForStatus(client, name, 'ACTIVE');
      const all = await listShards(client, name);
      shards = byId(all);
      assert.deepEqual(range(shards.get(shardId(4))!), [HALF + 2n, MAX_HASH_KEY - 2n]);
      assert.deepEqual(range(shards.get(shardId(5))!), [MAX_HASH_KEY - 1n, MAX_HASH_KEY]);
      assertLineage(all);
    });

    it('refuses a closed shard, an unknown shard and an unknown stream', async () => {
      const name = await createStream(client, 1);
      await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(0), NewStartingHashKey: HALF.toString() }));
      await waitForStatus(client, name, 'ACTIVE');
      await rejects(
        client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(0), NewStartingHashKey: (HALF + 5n).toString() })),
        'InvalidArgumentException',
        `Shard ${shardId(0)} in stream ${name} under account ${ACCOUNT} has already been merged or split, ` +
          'and thus is not eligible for merging or splitting.',
      );
      await rejects(
        client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(99), NewStartingHashKey: HALF.toString() })),
        'ResourceNotFoundException',
        `Could not find shard ${shardId(99)} in stream ${name} under account ${ACCOUNT}.`,
      );
      const missing = uniqueName('missing');
      await rejects(
        client.send(new SplitShardCommand({ StreamName: missing, ShardToSplit: shardId(0), NewStartingHashKey: HALF.toString() })),
        'ResourceNotFoundException',
        `Stream ${missing} under account ${ACCOUNT} not found.`,
      );
      assert.equal((await listShards(client, name)).length, 3, 'refused splits change nothing');
    });
  });

  describe('MergeShards', () => {
    it('merges two adjacent shards into one child naming both as parents', async () => {
      const name = await createStream(client, 3);
      const initial = await listShards(client, name);
      const [s0, s1, s2] = initial as [Shard, Shard, Shard];
      const prior = await putKeys(client, name, [startOf(s0), endOf(s0), startOf(s1), endOf(s1), startOf(s2)], 'before');
      assert.deepEqual(
        prior.map((r) => r.shardId),
        [0, 0, 1, 1, 2].map(shardId),
      );

      const out = await client.send(
        new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(0), AdjacentShardToMerge: shardId(1) }),
      );
      assert.equal(out.$metadata.httpStatusCode, 200);
      await waitForStatus(client, name, 'ACTIVE');
      const shards = await listShards(client, name);
      assert.deepEqual(ids(shards), [0, 1, 2, 3].map(shardId));
      const merged = shards[3]!;
      assert.equal(merged.ParentShardId, shardId(0));
      assert.equal(merged.AdjacentParentShardId, shardId(1));
      assert.deepEqual(range(merged), [startOf(s0), endOf(s1)]);
      assert.ok(isClosed(shards[0]!) && isClosed(shards[1]!) && !isClosed(shards[2]!) && !isClosed(merged));
      for (const parent of [shards[0]!, shards[1]!]) {
        const ending = BigInt(parent.SequenceNumberRange!.EndingSequenceNumber!);
        for (const record of prior.filter((r) => r.shardId === parent.ShardId)) assert.ok(BigInt(record.seq) <= ending);
        assert.ok(BigInt(merged.SequenceNumberRange!.StartingSequenceNumber!) > ending);
      }
      assertLineage(shards);
      const later = await putKeys(client, name, [startOf(s0), endOf(s1), startOf(s2)], 'after');
      assert.deepEqual(
        later.map((r) => r.shardId),
        [3, 3, 2].map(shardId),
      );
      const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
      assert.equal(summary.OpenShardCount, 2);
    });

    it('refuses shards that are not an adjacent pair, in AWS order', async () => {
      const name = await createStream(client, 3);
      const notAdjacent = (a: number, b: number) =>
        rejects(
          client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(a), AdjacentShardToMerge: shardId(b) })),
          'InvalidArgumentException',
          `Shards ${shardId(a)} and ${shardId(b)} in stream ${name} under account ${ACCOUNT} are not an adjacent pair of shards eligible for merging`,
        );
      await notAdjacent(0, 2);
      await notAdjacent(2, 0);
      await notAdjacent(1, 1);
      // AWS takes the pair lower range first: ShardToMerge's EndingHashKey + 1 = AdjacentShardToMerge's StartingHashKey.
      await notAdjacent(1, 0);
      assert.equal((await listShards(client, name)).length, 3, 'refused merges change nothing');
    });

    it('refuses a closed shard, an unknown shard and an unknown stream', async () => {
      const name = await createStream(client, 3);
      await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(0), AdjacentShardToMerge: shardId(1) }));
      await waitForStatus(client, name, 'ACTIVE');
      await rejects(
        client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(1), AdjacentShardToMerge: shardId(2) })),
        'InvalidArgumentException',
        `Shard ${shardId(1)} in stream ${name} under account ${ACCOUNT} has already been merged or split, ` +
          'and thus is not eligible for merging or splitting.',
      );
      await rejects(
        client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(3), AdjacentShardToMerge: shardId(7) })),
        'ResourceNotFoundException',
        `Could not find shard ${shardId(7)} in stream ${name} under account ${ACCOUNT}.`,
      );
      const missing = uniqueName('missing');
      await rejects(
        client.send(new MergeShardsCommand({ StreamName: missing, ShardToMerge: shardId(0), AdjacentShardToMerge: shardId(1) })),
        'ResourceNotFoundException',
        `Stream ${missing} under account ${ACCOUNT} not found.`,
      );
      // The merged shard and the untouched one merge again.
      await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(3), AdjacentShardToMerge: shardId(2) }));
      await waitForStatus(client, name, 'ACTIVE');
      const shards = await listShards(client, name);
      assertLineage(shards);
      assert.deepEqual(range(shards[4]!), [0n, MAX_HASH_KEY]);
      assert.deepEqual(parentsOf(shards[4]!), [shardId(3), shardId(2)]);
    });
  });

  describe('UpdateShardCount', () => {
    it('scales 2 -> 4 -> 3 with real splits and merges, ending on an even split', async () => {
      const name = await createStream(client, 2);
      const up = await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
      assert.equal(up.StreamName, name);
      assert.equal(up.CurrentShardCount, 2);
      assert.equal(up.TargetShardCount, 4);
      await waitForStatus(client, name, 'ACTIVE');
      let shards = await listShards(client, name);
      assertLineage(shards);
      assert.equal(shards.length, 6, '2 -> 4 splits each shard once');
      let open = shards.filter((shard) => !isClosed(shard));
      assert.deepEqual(
        open.map(range).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
        evenRanges(4).map((r) => [r.start, r.end]),
      );

      const down = await client.send(
        new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' }),
      );
      assert.equal(down.CurrentShardCount, 4);
      assert.equal(down.TargetShardCount, 3);
      await waitForStatus(client, name, 'ACTIVE');
      shards = await listShards(client, name);
      assertLineage(shards);
      open = shards.filter((shard) => !isClosed(shard));
      assert.deepEqual(
        open.map(range).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
        evenRanges(3).map((r) => [r.start, r.end]),
      );
      assert.ok(shards.slice(0, 6).every(isClosed), 'every shard open before the call is closed');
      const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
      assert.equal(summary.OpenShardCount, 3);
    });

    it('refuses to more than double or to less than halve the open shard count', async () => {
      const name = await createStream(client, 3);
      const scale = (target: number) =>
        client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }));
      await rejects(
        scale(7),
        'LimitExceededException',
        /^UpdateShardCount cannot scale up over double your current open shard count\. Current open shard count: 3,? Target shard count: 7$/,
      );
      await rejects(
        scale(1),
        'LimitExceededException',
        /^UpdateShardCount cannot scale down below half your current open shard count\. Current open shard count: 3,? Target shard count: 1$/,
      );
      await scale(6);
      await waitForStatus(client, name, 'ACTIVE');
      await rejects(scale(2), 'LimitExceededException', /below half .* open shard count: 6,? Target shard count: 2$/);
      await scale(3);
      await waitForStatus(client, name, 'ACTIVE');
      const open = (await listShards(client, name, { filter: { Type: 'AT_LATEST' } })).length;
      assert.equal(open, 3);
    });

    it('allows ten calls per stream in a rolling 24 hours', async () => {
      const name = await createStream(client, 1);
      for (let call = 0; call < 10; call++) {
        await client.send(
          new UpdateShardCountCommand({ StreamName: name, TargetShardCount: call % 2 === 0 ? 2 : 1, ScalingType: 'UNIFORM_SCALING' }),
        );
        await waitForStatus(client, name, 'ACTIVE');
      }
      await rejects(
        client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' })),
        'LimitExceededException',
        /UpdateShardCount/,
      );
      const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
      assert.equal(summary.StreamStatus, 'ACTIVE');
      assert.equal(summary.OpenShardCount, 1);
      // The limit is UpdateShardCount's own: SplitShard still works, and other streams are not affected.
      await client.send(
        new SplitShardCommand({
          StreamName: name,
          ShardToSplit: (await listShards(client, name, { filter: { Type: 'AT_LATEST' } }))[0]!.ShardId!,
          NewStartingHashKey: HALF.toString(),
        }),
      );
      await waitForStatus(client, name, 'ACTIVE');
      const other = await createStream(client, 1);
      await client.send(new UpdateShardCountCommand({ StreamName: other, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
      await waitForStatus(client, other, 'ACTIVE');
    });
  });

  describe('GetRecords on a closed shard', () => {
    it('returns the remaining records, then ChildShards and no NextShardIterator', async () => {
      const name = await createStream(client, 1);
      const written = await putKeys(
        client,
        name,
        Array.from({ length: 25 }, (_, i) => BigInt(i) * (MAX_HASH_KEY / 25n)),
        'r',
      );
      // An iterator taken while the shard is open keeps working after it closes.
      const { ShardIterator: early } = await client.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: shardId(0), ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const first = await client.send(new GetRecordsCommand({ ShardIterator: early, Limit: 5 }));
      assert.equal(first.Records!.length, 5);

      await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(0), NewStartingHashKey: HALF.toString() }));
      await waitForStatus(client, name, 'ACTIVE');
      const children = [
        { ShardId: shardId(1), ParentShards: [shardId(0)], HashKeyRange: { StartingHashKey: '0', EndingHashKey: (HALF - 1n).toString() } },
        {
          ShardId: shardId(2),
          ParentShards: [shardId(0)],
          HashKeyRange: { StartingHashKey: HALF.toString(), EndingHashKey: MAX_HASH_KEY.toString() },
        },
      ];

      const drained = await drainShard(client, name, shardId(0), { closed: true, limit: 10 });
      assert.deepEqual(
        drained.records.map((r) => [r.sequenceNumber, r.data]),
        written.map((r) => [r.seq, r.data]),
      );
      assert.equal(drained.calls, 3);
      assert.deepEqual(drained.childShards, children);

      let iterator = first.NextShardIterator;
      const rest: string[] = [];
      for (;;) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
        rest.push(...out.Records!.map((r) => Buffer.from(r.Data!).toString()));
        assert.equal(typeof out.MillisBehindLatest, 'number');
        if (!out.NextShardIterator) {
          assert.deepEqual(out.ChildShards, children);
          break;
        }
        iterator = out.NextShardIterator;
      }
      assert.deepEqual(
        rest,
        written.slice(5).map((r) => r.data),
      );

      // At the end already: LATEST, or after the last record.
      const last = written[written.length - 1]!;
      for (const position of [
        { ShardIteratorType: 'LATEST' as const },
        { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: last.seq },
      ]) {
        const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shardId(0), ...position }));
        const out = await client.send(new GetRecordsCommand({ ShardIterator }));
        assert.deepEqual(out.Records, []);
        assert.equal(out.NextShardIterator, undefined);
        assert.deepEqual(out.ChildShards, children);
      }
      const atLast = await drainShard(client, name, shardId(0), {
        closed: true,
        type: 'AT_SEQUENCE_NUMBER',
        startingSequenceNumber: last.seq,
      });
      assert.deepEqual(
        atLast.records.map((r) => r.sequenceNumber),
        [last.seq],
      );

      // A merge child is named by both parents, each with both parents listed.
      await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(1), AdjacentShardToMerge: shardId(2) }));
      await waitForStatus(client, name, 'ACTIVE');
      const mergedChild = [
        {
          ShardId: shardId(3),
          ParentShards: [shardId(1), shardId(2)],
          HashKeyRange: { StartingHashKey: '0', EndingHashKey: MAX_HASH_KEY.toString() },
        },
      ];
      for (const parent of [1, 2]) {
        const read = await drainShard(client, name, shardId(parent), { closed: true });
        assert.deepEqual(read.records, []);
        assert.deepEqual(read.childShards, mergedChild);
      }
      const lineage = await readByLineage(client, name);
      assert.deepEqual(lineage.order, [0, 1, 2, 3].map(shardId));
      assert.equal(lineage.records.length, 25);
    });

    it('lets a consumer that follows ChildShards while writers race the reshards read every acknowledged record once', async () => {
      const name = await createStream(client, 1);
      const acked = new Map<string, string>(); // data -> sequence number
      let writing = true;
      let next = 0;
      const writer = async () => {
        while (writing) {
          const batch = Array.from({ length: 10 }, () => `w${next++}`);
          const out = await client.send(
            new PutRecordsCommand({ StreamName: name, Records: batch.map((data) => ({ Data: Buffer.from(data), PartitionKey: data })) }),
          );
          out.Records!.forEach((record, i) => acked.set(batch[i]!, record.SequenceNumber!));
        }
      };

      // The consumer: a shard is started once all its parents are finished, as KCL does.
      const seen = new Map<string, number>();
      const finished = new Set<string>();
      const started = new Set<string>([shardId(0)]);
      const parentsOfChild = new Map<string, string[]>();
      let consuming = true;
      const consume = async (id: string): Promise<void> => {
        let { ShardIterator: iterator } = await client.send(
          new GetShardIteratorCommand({ StreamName: name, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        while (iterator) {
          const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
          for (const record of out.Records!) {
            const data = Buffer.from(record.Data!).toString();
            seen.set(data, (seen.get(data) ?? 0) + 1);
          }
          iterator = out.NextShardIterator;
          if (!iterator) {
            finished.add(id);
            const ready: Promise<void>[] = [];
            for (const child of out.ChildShards!) {
              parentsOfChild.set(child.ShardId!, child.ParentShards!);
              if (!started.has(child.ShardId!) && child.ParentShards!.every((p) => finished.has(p))) {
                started.add(child.ShardId!);
                ready.push(consume(child.ShardId!));
              }
            }
            await Promise.all(ready);
            return;
          }
          if (out.Records!.length === 0) {
            if (!consuming) return;
            await sleep(1);
          }
        }
      };

      const writers = Array.from({ length: 4 }, writer);
      const consumer = consume(shardId(0));
      for (const target of [2, 4, 3, 6, 3, 2]) {
        await sleep(30);
        await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }));
        await waitForStatus(client, name, 'ACTIVE');
      }
      await sleep(30);
      writing = false;
      await Promise.all(writers);
      consuming = false;
      await consumer;

      assert.ok(acked.size > 0);
      // Everything acknowledged is in the stream, once, where it was acknowledged...
      const stored = await readByLineage(client, name);
      assert.deepEqual(
        new Map(stored.records.map((r) => [r.data, r.sequenceNumber])),
        acked,
        'the stream read back by lineage afterwards holds exactly the acknowledged records',
      );
      assert.equal(stored.records.length, acked.size);
      // ...and the consumer that read while the shards were closing saw all of it.
      const missing = [...acked.keys()].filter((data) => !seen.has(data));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.size} acknowledged records were never read`);
      const duplicated = [...seen].filter(([, count]) => count > 1);
      assert.deepEqual(duplicated.slice(0, 10), [], 'records read more than once');
      assert.equal(seen.size, acked.size);
      const open = await listShards(client, name, { filter: { Type: 'AT_LATEST' } });
      assert.ok(
        open.every((shard) => started.has(shard.ShardId!)),
        'the consumer reached every open shard',
      );
    });
  });

  describe('ListShards and DescribeStream over closed and open shards', () => {
    it('filter shards by their open and close times as AWS describes', async () => {
      const name = await createStream(client, 2);
      const pause = () => sleep(40);
      await pause();
      const t1 = new Date();
      await pause();
      await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(0), NewStartingHashKey: (1n << 126n).toString() }));
      await waitForStatus(client, name, 'ACTIVE');
      await pause();
      const t2 = new Date();
      await pause();
      // shardId-3 ([2^126, 2^127-1]) and shardId-1 ([2^127, 2^128-1]) are adjacent.
      await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(3), AdjacentShardToMerge: shardId(1) }));
      await waitForStatus(client, name, 'ACTIVE');
      await pause();
      const t3 = new Date();
      // 0 closed by the split, 1 and 3 closed by the merge, 2 and 4 open.

      const listed = async (filter?: ShardFilter, extra: { ExclusiveStartShardId?: string } = {}) => {
        const out = await client.send(new ListShardsCommand({ StreamName: name, ...(filter ? { ShardFilter: filter } : {}), ...extra }));
        assert.equal(out.NextToken, undefined);
        return out.Shards!.map((shard) => indexOf(shard.ShardId!));
      };
      const all = await listShards(client, name);
      assertLineage(all);
      assert.deepEqual(await listed(), [0, 1, 2, 3, 4]);
      assert.deepEqual(await listed({ Type: 'FROM_TRIM_HORIZON' }), [0, 1, 2, 3, 4]);
      assert.deepEqual(await listed({ Type: 'AT_LATEST' }), [2, 4]);
      assert.deepEqual(await listed({ Type: 'AT_TRIM_HORIZON' }), [0, 1]);
      assert.deepEqual(await listed({ Type: 'AT_TIMESTAMP', Timestamp: t1 }), [0, 1]);
      assert.deepEqual(await listed({ Type: 'AT_TIMESTAMP', Timestamp: t2 }), [1, 2, 3]);
      assert.deepEqual(await listed({ Type: 'AT_TIMESTAMP', Timestamp: t3 }), [2, 4]);
      assert.deepEqual(await listed({ Type: 'FROM_TIMESTAMP', Timestamp: t1 }), [0, 1, 2, 3, 4]);
      assert.deepEqual(await listed({ Type: 'FROM_TIMESTAMP', Timestamp: t2 }), [1, 2, 3, 4]);
      assert.deepEqual(await listed({ Type: 'FROM_TIMESTAMP', Timestamp: t3 }), [2, 4]);
      assert.deepEqual(await listed({ Type: 'AFTER_SHARD_ID', ShardId: shardId(2) }), [3, 4]);
      assert.deepEqual(await listed(undefined, { ExclusiveStartShardId: shardId(1) }), [2, 3, 4]);
      assert.deepEqual(await listed({ Type: 'AT_TIMESTAMP', Timestamp: t2 }, { ExclusiveStartShardId: shardId(1) }), [2, 3]);

      // The filter holds across pages.
      const page1 = await client.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'AT_LATEST' }, MaxResults: 1 }));
      assert.deepEqual(ids(page1.Shards!), [shardId(2)]);
      assert.ok(page1.NextToken);
      const page2 = await client.send(new ListShardsCommand({ NextToken: page1.NextToken, MaxResults: 1 }));
      assert.deepEqual(ids(page2.Shards!), [shardId(4)]);
      assert.equal(page2.NextToken, undefined);
      assert.deepEqual(
        ids(await listShards(client, name, { filter: { Type: 'FROM_TIMESTAMP', Timestamp: t2 }, pageSize: 2 })),
        [1, 2, 3, 4].map(shardId),
      );

      // DescribeStream lists closed and open shards alike, closed ones with their EndingSequenceNumber.
      const described = (await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription!;
      assert.deepEqual(described.Shards, all);
      assert.deepEqual(described.Shards!.map(isClosed), [true, true, false, true, false]);
      const limited = (await client.send(new DescribeStreamCommand({ StreamName: name, Limit: 2 }))).StreamDescription!;
      assert.deepEqual(ids(limited.Shards!), [0, 1].map(shardId));
      assert.equal(limited.HasMoreShards, true);
      const rest = (await client.send(new DescribeStreamCommand({ StreamName: name, ExclusiveStartShardId: shardId(1) })))
        .StreamDescription!;
      assert.deepEqual(ids(rest.Shards!), [2, 3, 4].map(shardId));
      assert.equal(rest.HasMoreShards, false);
    });
  });
});

describe('resharding with a timed UPDATING status', () => {
  let server: TestNode<ManualClock>;
  let client: KinesisClient;
  before(async () => {
    // On a manual clock: a reshard stays UPDATING until the test moves time on by 400 ms.
    server = await startNode({ clock: 'manual', engine: { updateStreamMs: 400 } });
    client = server.kinesis;
  });
  after(async () => {
    client?.destroy();
    await server?.dispose();
  });

  const statusOf = async (name: string) =>
    (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
  const notActive = (name: string) => `Stream ${name} under account ${ACCOUNT} not ACTIVE, instead in state UPDATING`;

  async function refusesReshards(name: string): Promise<void> {
    await rejects(
      client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(1), NewStartingHashKey: (HALF + 10n).toString() })),
      'ResourceInUseException',
      notActive(name),
    );
    await rejects(
      client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(0), AdjacentShardToMerge: shardId(1) })),
      'ResourceInUseException',
      notActive(name),
    );
    await rejects(
      client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' })),
      'ResourceInUseException',
      notActive(name),
    );
  }

  it('SplitShard: UPDATING with the old shards, writes still accepted, applied when ACTIVE again', async () => {
    const name = await createStream(client, 2);
    await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(0), NewStartingHashKey: (1n << 126n).toString() }));
    const summary = await statusOf(name);
    assert.equal(summary.StreamStatus, 'UPDATING');
    assert.equal(summary.OpenShardCount, 2);
    const during = (await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription!;
    assert.equal(during.StreamStatus, 'UPDATING');
    assert.deepEqual(ids(during.Shards!), [0, 1].map(shardId));
    assert.ok(!during.Shards!.some(isClosed));
    const put = await client.send(
      new PutRecordCommand({ StreamName: name, Data: Buffer.from('during'), PartitionKey: 'p', ExplicitHashKey: '1' }),
    );
    assert.equal(put.ShardId, shardId(0), 'a record written while UPDATING goes to the shard being split');
    await refusesReshards(name);

    await server.clock.advance(400);
    await waitForStatus(client, name, 'ACTIVE');
    const shards = await listShards(client, name);
    assertLineage(shards);
    assert.deepEqual(ids(shards), [0, 1, 2, 3].map(shardId));
    assert.ok(BigInt(put.SequenceNumber!) <= BigInt(shards[0]!.SequenceNumberRange!.EndingSequenceNumber!));
    const lineage = await readByLineage(client, name);
    assert.deepEqual(
      lineage.records.map((r) => [r.shardId, r.data]),
      [[shardId(0), 'during']],
    );
    assert.equal((await statusOf(name)).OpenShardCount, 3);
  });

  it('MergeShards and UpdateShardCount: UPDATING until applied, the open shard count changing only then', async () => {
    const name = await createStream(client, 2);
    await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: shardId(0), AdjacentShardToMerge: shardId(1) }));
    assert.equal((await statusOf(name)).StreamStatus, 'UPDATING');
    assert.equal((await statusOf(name)).OpenShardCount, 2);
    await refusesReshards(name);
    await server.clock.advance(400);
    await waitForStatus(client, name, 'ACTIVE');
    assert.equal((await statusOf(name)).OpenShardCount, 1);

    const out = await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
    assert.equal(out.CurrentShardCount, 1);
    const during = await statusOf(name);
    assert.equal(during.StreamStatus, 'UPDATING');
    assert.equal(during.OpenShardCount, 1);
    await rejects(
      client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 1, ScalingType: 'UNIFORM_SCALING' })),
      'ResourceInUseException',
      notActive(name),
    );
    await server.clock.advance(400);
    await waitForStatus(client, name, 'ACTIVE');
    assert.equal((await statusOf(name)).OpenShardCount, 2);
    assertLineage(await listShards(client, name));
  });
});

describe('resharding against the shard limit', () => {
  let client: KinesisClient;
  nodePerSuite(
    () => startNode({ engine: { shardLimit: 6 } }),
    (started) => (client = started.kinesis),
  );

  it('refuses splits and scaling that would pass --shard-limit open shards', async () => {
    const a = await createStream(client, 3);
    const scale = (name: string, target: number) =>
      client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }));
    await scale(a, 6);
    await waitForStatus(client, a, 'ACTIVE');
    const open = await listShards(client, a, { filter: { Type: 'AT_LATEST' } });
    assert.equal(open.length, 6, '3 -> 6 splits each shard once, with no short-lived shard in between');
    await rejects(
      client.send(
        new SplitShardCommand({ StreamName: a, ShardToSplit: open[0]!.ShardId!, NewStartingHashKey: (startOf(open[0]!) + 10n).toString() }),
      ),
      'LimitExceededException',
      new RegExp(
        `^This request would exceed the shard limit for the account ${ACCOUNT} in us-east-1\\. Current shard count for the account: 6\\. ` +
          'Limit: 6\\. Number of additional shards that would have resulted from this request: 1\\.',
      ),
    );
    await rejects(
      scale(a, 7),
      'LimitExceededException',
      /^Target shard count or number of open shards cannot be greater than 6\. Current open shard count: 6,? Target shard count: 7$/,
    );
    await scale(a, 3);
    await waitForStatus(client, a, 'ACTIVE');
    const b = await createStream(client, 2);
    await rejects(
      scale(b, 4),
      'LimitExceededException',
      /^This request would exceed the shard limit for the account \d{12} in us-east-1\. Current shard count for the account: 5\. Limit: 6\. Number of additional shards that would have resulted from this request: 2\./,
    );
    await scale(b, 3);
    await waitForStatus(client, b, 'ACTIVE');
    await rejects(
      client.send(new MergeShardsCommand({ StreamName: b, ShardToMerge: shardId(99), AdjacentShardToMerge: shardId(0) })),
      'ResourceNotFoundException',
    );
    // At the limit, merging still works and frees a shard for a split.
    const bOpen = (await listShards(client, b, { filter: { Type: 'AT_LATEST' } })).sort((x, y) => (startOf(x) < startOf(y) ? -1 : 1));
    await client.send(
      new MergeShardsCommand({ StreamName: b, ShardToMerge: bOpen[0]!.ShardId!, AdjacentShardToMerge: bOpen[1]!.ShardId! }),
    );
    await waitForStatus(client, b, 'ACTIVE');
    const aOpen = await listShards(client, a, { filter: { Type: 'AT_LATEST' } });
    await client.send(
      new SplitShardCommand({ StreamName: a, ShardToSplit: aOpen[0]!.ShardId!, NewStartingHashKey: (startOf(aOpen[0]!) + 10n).toString() }),
    );
    await waitForStatus(client, a, 'ACTIVE');
  });
});

describe('closed shards and retention', () => {
  let server: TestNode<ManualClock>;
  let client: KinesisClient;
  // On a manual clock: the 24-hour minimum retention passes when the test moves time on.
  nodePerSuite(
    () => startNode({ clock: 'manual' }),
    (started) => {
      server = started;
      client = started.kinesis;
    },
  );

  it('keeps a closed shard listed and readable until its records pass retention', async () => {
    const name = await createStream(client, 1);
    await putKeys(client, name, [1n, HALF, MAX_HASH_KEY], 'old');
    await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId(0), NewStartingHashKey: HALF.toString() }));
    await waitForStatus(client, name, 'ACTIVE');
    assert.deepEqual(ids(await listShards(client, name)), [0, 1, 2].map(shardId));
    const lineage = await readByLineage(client, name);
    assert.deepEqual(
      lineage.records.map((r) => r.data),
      ['old-0', 'old-1', 'old-2'],
    );
    // An hour before the retention ends the closed shard is still there; a minute after, gone.
    await server.clock.advance(23 * HOUR_MS);
    assert.deepEqual(ids(await listShards(client, name)), [0, 1, 2].map(shardId));
    await server.clock.advance(HOUR_MS + 60_000);
    assert.deepEqual(ids(await listShards(client, name)), [1, 2].map(shardId));
    const described = (await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription!;
    assert.deepEqual(ids(described.Shards!), [1, 2].map(shardId));
    assert.deepEqual(ids(await listShards(client, name, { filter: { Type: 'AT_TRIM_HORIZON' } })), [1, 2].map(shardId));
  });
});
