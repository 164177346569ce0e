/**
 * Large PutRecords bodies are decoded on worker threads (--decode-threads). Answers must not
 * depend on it: the same records stored, and the same AWS error for every bad body, as a server
 * that decodes everything on its event loop gives.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createActiveStream, readShard } from '../helpers/api.js';
import { uniqueName } from '../helpers/clients.js';
import { startNode, type TestNode } from '../helpers/fixture.js';
import { signedFetch } from '../helpers/signing.js';

const BIG_BODY_BYTES = 64 * 1024; // OFF_THREAD_MIN_BODY_BYTES: bodies from here on go to a worker

interface Node {
  server: TestNode;
  client: KinesisClient;
}

interface Answer {
  status: number;
  json: Record<string, unknown> | undefined;
}

async function putRecordsRaw(node: Node, body: string): Promise<Answer> {
  const response = await signedFetch(node.server.url, {
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'Kinesis_20131202.PutRecords' },
    body,
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

interface SentRecord {
  PartitionKey: string;
  Data: string;
  ExplicitHashKey?: string;
}

function records(count: number, dataBytes: number, tag: string): SentRecord[] {
  return Array.from({ length: count }, (_, i) => ({ PartitionKey: `${tag}-${i}`, Data: randomBytes(dataBytes).toString('base64') }));
}

describe('PutRecords decoded on worker threads', () => {
  const streamName = uniqueName('offthread');
  let threaded: Node;
  let inline: Node;

  before(async () => {
    const [a, b] = await Promise.all([startNode({ decodeThreads: 2 }), startNode({ decodeThreads: 0 })]);
    threaded = { server: a, client: a.kinesis };
    inline = { server: b, client: b.kinesis };
    await Promise.all([threaded, inline].map((node) => createActiveStream(node.client, { StreamName: streamName, ShardCount: 1 })));
  });
  after(async () => {
    for (const node of [threaded, inline]) {
      node?.client.destroy();
      await node?.server.dispose();
    }
  });

  it('stores exactly the records of large bodies, many at once', async () => {
    const bodies = Array.from({ length: 12 }, (_, b) => records(120, 1000, `b${b}`));
    assert.ok(JSON.stringify({ StreamName: streamName, Records: bodies[0] }).length > BIG_BODY_BYTES);
    const answers = await Promise.all(
      bodies.map((recs) => putRecordsRaw(threaded, JSON.stringify({ StreamName: streamName, Records: recs }))),
    );
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.equal(answer.json!.FailedRecordCount, 0);
      assert.equal((answer.json!.Records as unknown[]).length, 120);
    }
    const stored = await readShard(threaded.client, streamName, 'shardId-000000000000');
    const sent = new Map(bodies.flat().map((r) => [r.PartitionKey, r.Data]));
    assert.equal(stored.length, sent.size);
    for (const record of stored) {
      assert.equal(Buffer.from(record.Data!).toString('base64'), sent.get(record.PartitionKey!), `data of ${record.PartitionKey}`);
    }
  });

  it('gives the same answer as the event loop for every bad large body', async () => {
    const good = records(100, 1000, 'bad');
    const withRecord = (i: number, change: Record<string, unknown>) =>
      JSON.stringify({ StreamName: streamName, Records: good.map((r, j) => (j === i ? { ...r, ...change } : r)) });
    const cases: Record<string, string> = {
      'empty partition key': withRecord(7, { PartitionKey: '' }),
      'partition key too long': withRecord(3, { PartitionKey: 'k'.repeat(257) }),
      'not base64': withRecord(50, { Data: '!!!!' + good[50]!.Data.slice(4) }),
      'base64 of the wrong length': withRecord(99, { Data: good[99]!.Data + 'A' }),
      'explicit hash key out of range': withRecord(0, { ExplicitHashKey: (1n << 128n).toString() }),
      'data as a number': withRecord(20, { Data: 12 }),
      'too many records': JSON.stringify({ StreamName: streamName, Records: records(501, 200, 'many') }),
      'no stream': JSON.stringify({ Records: good }),
      'stream not found': JSON.stringify({ StreamName: `${streamName}-missing`, Records: good }),
      'truncated JSON': JSON.stringify({ StreamName: streamName, Records: good }).slice(0, -3),
    };
    for (const [what, body] of Object.entries(cases)) {
      assert.ok(body.length > BIG_BODY_BYTES, `${what}: body large enough to go to a worker`);
      const [fromWorker, fromLoop] = await Promise.all([putRecordsRaw(threaded, body), putRecordsRaw(inline, body)]);
      assert.equal(fromWorker.status, 400, `${what}: ${JSON.stringify(fromWorker.json)}`);
      assert.deepEqual(fromWorker, fromLoop, what);
    }
  });

  it('a valid large body with explicit hash keys is stored the same either way', async () => {
    const recs = records(80, 1000, 'ehk').map((r, i) => ({ ...r, ExplicitHashKey: String(BigInt(i) * 10n ** 30n) }));
    const body = JSON.stringify({ StreamName: streamName, Records: recs });
    const [fromWorker, fromLoop] = await Promise.all([putRecordsRaw(threaded, body), putRecordsRaw(inline, body)]);
    assert.equal(fromWorker.status, 200);
    assert.equal(fromWorker.json!.FailedRecordCount, 0);
    assert.deepEqual(
      (fromWorker.json!.Records as Array<{ ShardId: string }>).map((r) => r.ShardId),
      (fromLoop.json!.Records as Array<{ ShardId: string }>).map((r) => r.ShardId),
    );
  });
});
