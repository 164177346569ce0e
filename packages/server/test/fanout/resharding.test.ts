/**
 * Resharding during a subscription: when the subscribed shard is split (or merged) the
 * subscription delivers the parent's last records, then an event with ChildShards and no
 * ContinuationSequenceNumber, and ends; the client continues on the children. Records are
 * written throughout, and every one arrives exactly once, in order per partition key.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
  type SubscribeToShardEvent,
} from '@aws-sdk/client-kinesis';
import { createActiveStream, listAllShards } from '../helpers/api.js';
import { kinesisClient, uniqueName, waitForStatus } from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { activeConsumer, collect, dataOf, sleep, startFanoutServer, type Collected } from './helpers.js';

const KEYS = 16;

describe('SubscribeToShard across a reshard', () => {
  let server: TestServer;
  let kinesis: KinesisClient;
  before(async () => {
    server = await startFanoutServer(['--update-stream-ms', '200']);
    kinesis = kinesisClient(server.url);
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  /** Writes numbered records over KEYS partition keys until stopped; resolves to how many. */
  function startWriter(name: string) {
    let stop = false;
    let written = 0;
    const done = (async () => {
      while (!stop) {
        const Records = Array.from({ length: 20 }, (_, j) => {
          const i = written + j;
          return { PartitionKey: `pk-${i % KEYS}`, Data: Buffer.from(`w-${i}`) };
        });
        const out = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records }));
        assert.equal(out.FailedRecordCount, 0);
        written += Records.length;
        await sleep(10);
      }
      return written;
    })();
    return {
      get written() {
        return written;
      },
      stop: () => {
        stop = true;
        return done;
      },
    };
  }

  /** Every record once, and per partition key in write order. */
  function checkDelivery(received: string[], written: number): void {
    const numbers = received.map((d) => Number(d.slice(2)));
    assert.equal(new Set(numbers).size, numbers.length, 'no record twice');
    assert.equal(numbers.length, written, `all ${written} records arrived`);
    const lastByKey = new Map<number, number>();
    for (const n of numbers) {
      const key = n % KEYS;
      assert.ok((lastByKey.get(key) ?? -1) < n, `record ${n} of key ${key} arrived out of order`);
      lastByKey.set(key, n);
    }
  }

  function lastEvent(got: Collected): SubscribeToShardEvent {
    assert.equal(got.error, undefined, String(got.error));
    assert.ok(got.endedByServer, 'the server ended the subscription at the shard end');
    return got.events.at(-1)!;
  }

  it('a split ends the subscription with ChildShards; reading the children delivers the rest', { timeout: 60_000 }, async () => {
    const name = uniqueName('split');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const consumerArn = await activeConsumer(kinesis, streamArn, 'app');
    const writer = startWriter(name);
    let split = false;
    const parent = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } },
      {
        onEvent: async () => {
          if (split || writer.written < 200) return;
          split = true;
          await kinesis.send(
            new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (1n << 127n).toString() }),
          );
        },
        timeoutMs: 30_000,
      },
    );
    const end = lastEvent(parent);
    assert.equal(end.ContinuationSequenceNumber, undefined, 'no ContinuationSequenceNumber at the shard end');
    assert.deepEqual(
      end.ChildShards!.map((c) => [c.ShardId, c.ParentShards, c.HashKeyRange!.StartingHashKey]),
      [
        ['shardId-000000000001', ['shardId-000000000000'], '0'],
        ['shardId-000000000002', ['shardId-000000000000'], (1n << 127n).toString()],
      ],
    );
    await sleep(300); // keep writing to the children for a while
    await waitForStatus(kinesis, name, 'ACTIVE');
    const written = await writer.stop();

    const counts = end.ChildShards!.map(() => 0);
    const allArrived = new AbortController();
    const children = await Promise.all(
      end.ChildShards!.map((child, i) =>
        collect(
          kinesis,
          { ConsumerARN: consumerArn, ShardId: child.ShardId!, StartingPosition: { Type: 'TRIM_HORIZON' } },
          {
            until: (c) => {
              counts[i] = c.records.length;
              if (parent.records.length + counts.reduce((a, b) => a + b, 0) >= written) allArrived.abort();
              return allArrived.signal.aborted;
            },
            stop: allArrived.signal,
            timeoutMs: 10_000,
          },
        ),
      ),
    );
    const received = [...dataOf(parent.records), ...children.flatMap((c) => dataOf(c.records))];
    checkDelivery(received, written);
    const shards = await listAllShards(kinesis, name);
    assert.equal(shards.length, 3);
  });

  it('a merge ends both parents with the merged child; reading it delivers the rest', { timeout: 60_000 }, async () => {
    const name = uniqueName('merge');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 2 });
    const consumerArn = await activeConsumer(kinesis, streamArn, 'app');
    const writer = startWriter(name);
    let merged = false;
    const parents = await Promise.all(
      ['shardId-000000000000', 'shardId-000000000001'].map((shardId) =>
        collect(
          kinesis,
          { ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: { Type: 'TRIM_HORIZON' } },
          {
            onEvent: async () => {
              if (merged || writer.written < 200) return;
              merged = true;
              await kinesis.send(
                new MergeShardsCommand({
                  StreamName: name,
                  ShardToMerge: 'shardId-000000000000',
                  AdjacentShardToMerge: 'shardId-000000000001',
                }),
              );
            },
            timeoutMs: 30_000,
          },
        ),
      ),
    );
    for (const parent of parents) {
      const end = lastEvent(parent);
      assert.deepEqual(
        end.ChildShards!.map((c) => [c.ShardId, c.ParentShards]),
        [['shardId-000000000002', ['shardId-000000000000', 'shardId-000000000001']]],
      );
    }
    await sleep(300);
    await waitForStatus(kinesis, name, 'ACTIVE');
    const written = await writer.stop();
    const fromParents = parents.reduce((n, p) => n + p.records.length, 0);
    const child = await collect(
      kinesis,
      { ConsumerARN: consumerArn, ShardId: 'shardId-000000000002', StartingPosition: { Type: 'TRIM_HORIZON' } },
      {
        until: (c) => fromParents + c.records.length >= written,
        timeoutMs: 10_000,
      },
    );
    checkDelivery([...parents.flatMap((p) => dataOf(p.records)), ...dataOf(child.records)], written);
  });
});
