/**
 * Twenty consumers, each subscribed to all eight shards of a stream at once (160 subscriptions,
 * one SDK v3 client): every subscription receives exactly its shard's records, in order,
 * whether they were written before it started or while it ran.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createActiveStream } from '../helpers/api.js';
import { kinesisClient, uniqueName } from '../helpers/clients.js';
import type { TestServer } from '../helpers/server.js';
import { activeConsumer, collect, dataOf, startFanoutServer } from './helpers.js';

const CONSUMERS = 20;
const SHARDS = 8;

describe('fan-out at the limits', () => {
  let server: TestServer;
  let kinesis: KinesisClient;
  before(async () => {
    server = await startFanoutServer();
    kinesis = kinesisClient(server.url);
  });
  after(async () => {
    kinesis?.destroy();
    await server?.dispose();
  });

  it(
    `${CONSUMERS} consumers x ${SHARDS} shards subscribed at once each receive every record of their shard, in order`,
    { timeout: 120_000 },
    async () => {
      const name = uniqueName('scale');
      const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: SHARDS });
      const consumers: string[] = [];
      // At most 5 consumers CREATING at once: these become ACTIVE at once (--register-consumer-ms 0).
      for (let c = 0; c < CONSUMERS; c++) consumers.push(await activeConsumer(kinesis, streamArn, `consumer-${c}`));

      const expected = new Map<string, string[]>();
      let written = 0;
      const write = async (count: number) => {
        for (let start = 0; start < count; start += 250) {
          const Records = Array.from({ length: Math.min(250, count - start) }, (_, j) => ({
            PartitionKey: `key-${written + j}`,
            Data: Buffer.from(`rec-${written + j}`),
          }));
          const out = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records }));
          assert.equal(out.FailedRecordCount, 0);
          out.Records!.forEach((result, j) => {
            const list = expected.get(result.ShardId!) ?? [];
            list.push(`rec-${written + j}`);
            expected.set(result.ShardId!, list);
          });
          written += Records.length;
        }
      };
      await write(1000);

      const shardIds = Array.from({ length: SHARDS }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
      const total = 2000;
      let finalCounts: Map<string, number> | undefined;
      const received = new Map<string, number>();
      const allDone = new AbortController();
      const checkDone = () => {
        if (!finalCounts) return;
        for (const consumerArn of consumers) {
          for (const shardId of shardIds) {
            if ((received.get(`${consumerArn} ${shardId}`) ?? 0) < (finalCounts.get(shardId) ?? 0)) return;
          }
        }
        allDone.abort();
      };
      let started = 0;
      let writing: Promise<void> | undefined;
      const subscriptions = consumers.flatMap((consumerArn) =>
        shardIds.map((shardId) => {
          let count = 0;
          let first = true;
          return collect(
            kinesis,
            { ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: { Type: 'TRIM_HORIZON' } },
            {
              onEvent: (event) => {
                // Once every subscription has its first event, write the second half while they run.
                if (first && ++started === CONSUMERS * SHARDS) {
                  writing = write(total - 1000).then(() => {
                    finalCounts = new Map([...expected].map(([shard, list]) => [shard, list.length]));
                    checkDone();
                  });
                }
                first = false;
                count += event.Records!.length;
                received.set(`${consumerArn} ${shardId}`, count);
                checkDone();
              },
              stop: allDone.signal,
              timeoutMs: 90_000,
            },
          ).then((collected) => ({ consumerArn, shardId, collected }));
        }),
      );
      const results = await Promise.all(subscriptions);
      await writing;
      allDone.abort();
      assert.equal(written, total);
      for (const { consumerArn, shardId, collected } of results) {
        assert.equal(collected.error, undefined, `${consumerArn} ${shardId}: ${String(collected.error)}`);
        assert.deepEqual(dataOf(collected.records), expected.get(shardId) ?? [], `${consumerArn} on ${shardId}`);
      }
    },
  );
});
