/**
 * CBOR over HTTP, as the Java SDK sends it (Content-Type application/x-amz-cbor-1.1): blobs as
 * byte strings both ways, timestamps as tag 1 holding integer epoch MILLISECONDS both ways
 * (AWS departs from RFC 8949 here), indefinite-length maps, and errors as CBOR maps.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Decoder, encode } from 'cbor-x';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import { ACCOUNT } from '../helpers/api.js';
import { CborFloat, CborTag, IndefiniteMap, decodeCbor, encodeCbor, epochMillis, type CborValue } from '../helpers/cbor.js';
import { signedFetch } from '../helpers/signing.js';

const CBOR_TYPE = 'application/x-amz-cbor-1.1';
type CborMap = Record<string, CborValue>;

/** Waits (without sleeping blindly) until the clock has moved past ms. */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** The integer count of epoch milliseconds in a tag-1 timestamp, checking its exact CBOR form. */
function millisOf(value: CborValue, what: string): number {
  assert.ok(value instanceof CborTag, `${what} is a CBOR tag, got ${JSON.stringify(value)}`);
  assert.equal(value.tag, 1, `${what} is tag 1`);
  assert.ok(!(value.value instanceof CborFloat), `${what}: tag 1 holds an integer, not a float`);
  assert.equal(typeof value.value, 'number', `${what}: tag 1 holds an integer`);
  return value.value as number;
}

describe('CBOR 1.1 over HTTP', () => {
  let server: TestNode;

  nodePerSuite(
    () => startNode(),
    (started) => (server = started),
  );

  async function cbor(operation: string, body: Buffer): Promise<{ status: number; raw: Buffer; value: CborValue; type: string | null }> {
    const res = await signedFetch(server.url, {
      headers: { 'content-type': CBOR_TYPE, 'x-amz-target': `Kinesis_20131202.${operation}`, accept: CBOR_TYPE },
      body,
    });
    const raw = Buffer.from(await res.arrayBuffer());
    return { status: res.status, raw, value: raw.length ? decodeCbor(raw) : undefined, type: res.headers.get('content-type') };
  }
  /** Calls an operation that must succeed; resolves to its decoded output map. */
  async function ok(operation: string, input: CborValue): Promise<CborMap> {
    const answer = await cbor(operation, encodeCbor(input));
    assert.equal(answer.status, 200, `${operation}: ${JSON.stringify(answer.value)}`);
    assert.equal(answer.type, CBOR_TYPE);
    return (answer.value ?? {}) as CborMap;
  }

  async function activeStream(shards = 1): Promise<string> {
    const name = uniqueName('cbor');
    await ok('CreateStream', { StreamName: name, ShardCount: shards });
    for (;;) {
      const summary = (await ok('DescribeStreamSummary', { StreamName: name })).StreamDescriptionSummary as CborMap;
      if (summary.StreamStatus === 'ACTIVE') return name;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('takes PutRecord Data as a byte string and answers GetRecords with byte strings and tag-1 integer milliseconds', async () => {
    const name = await activeStream();
    const data = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x80]), randomBytes(300), Buffer.from('tail')]);
    const before = Date.now();
    // Built with cbor-x, as a generic CBOR client would: a Buffer is a byte string (major type 2).
    const request = encode({ StreamName: name, PartitionKey: 'binary', Data: data });
    const byteStringHead = Buffer.from([0x59, data.length >> 8, data.length & 0xff]);
    assert.ok(request.includes(Buffer.concat([byteStringHead, data])), 'cbor-x wrote a byte string');
    const put = await cbor('PutRecord', request);
    assert.equal(put.status, 200, JSON.stringify(put.value));
    const putOut = put.value as CborMap;
    assert.equal(putOut.ShardId, 'shardId-000000000000');
    assert.match(putOut.SequenceNumber as string, /^\d+$/);
    const after = Date.now();

    const { ShardIterator } = await ok('GetShardIterator', {
      StreamName: name,
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'TRIM_HORIZON',
    });
    assert.equal(typeof ShardIterator, 'string');
    const got = await cbor('GetRecords', encodeCbor({ ShardIterator }));
    assert.equal(got.status, 200);
    const [record] = (got.value as CborMap).Records as CborMap[];
    assert.ok(record);
    assert.ok(Buffer.isBuffer(record.Data), 'Data is a CBOR byte string, not text');
    assert.ok((record.Data as Buffer).equals(data));
    assert.equal(record.PartitionKey, 'binary');
    assert.equal(record.SequenceNumber, putOut.SequenceNumber);
    const ms = millisOf(record.ApproximateArrivalTimestamp, 'ApproximateArrivalTimestamp');
    assert.ok(ms >= before - 5 && ms <= after + 5, `epoch milliseconds ${ms} within [${before}, ${after}]`);

    // The raw bytes: the key, then 0xc1 (tag 1), then an unsigned integer head (major type 0).
    const key = Buffer.concat([Buffer.from([0x78, 27]), Buffer.from('ApproximateArrivalTimestamp')]);
    const keyAt = got.raw.indexOf(key);
    assert.ok(keyAt >= 0, 'the raw answer holds the ApproximateArrivalTimestamp key');
    const tagByte = got.raw[keyAt + key.length];
    const intHead = got.raw[keyAt + key.length + 1]!;
    assert.equal(tagByte, 0xc1, 'tag 1 (0xc1)');
    assert.equal(intHead >> 5, 0, `an unsigned integer follows the tag, not a float (head 0x${intHead.toString(16)})`);

    // A generic decoder agrees on the blob.
    const generic = new Decoder({ int64AsNumber: true, mapsAsObjects: true } as never).decode(got.raw) as {
      Records: Array<{ Data: Uint8Array }>;
    };
    assert.ok(Buffer.from(generic.Records[0]!.Data).equals(data));
  });

  it('answers StreamCreationTimestamp as tag-1 integer milliseconds', async () => {
    const before = Date.now();
    const name = await activeStream();
    const summary = (await ok('DescribeStreamSummary', { StreamName: name })).StreamDescriptionSummary as CborMap;
    const ms = millisOf(summary.StreamCreationTimestamp, 'StreamCreationTimestamp');
    assert.ok(ms >= before - 5 && ms <= Date.now() + 5, `creation ${ms}`);
    const listed = await ok('ListStreams', {});
    const mine = (listed.StreamSummaries as CborMap[]).find((s) => s.StreamName === name)!;
    assert.equal(millisOf(mine.StreamCreationTimestamp, 'ListStreams StreamCreationTimestamp'), ms);
    // The same value, sent back as a tag-1 ms timestamp, matches the stream (ListShards).
    const shards = await ok('ListShards', { StreamName: name, StreamCreationTimestamp: epochMillis(ms) });
    assert.equal((shards.Shards as CborMap[]).length, 1);
  });

  it('reads GetShardIterator AT_TIMESTAMP as tag 1 holding integer milliseconds', async () => {
    const name = await activeStream();
    await ok('PutRecord', { StreamName: name, PartitionKey: 'p', Data: Buffer.from('early') });
    const first = await ok('GetShardIterator', { StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' });
    const [early] = (await ok('GetRecords', { ShardIterator: first.ShardIterator })).Records as CborMap[];
    const earlyMs = millisOf(early!.ApproximateArrivalTimestamp, 'early arrival');
    await clockPast(earlyMs + 5);
    const cut = Date.now();
    await clockPast(cut + 1);
    await ok('PutRecord', { StreamName: name, PartitionKey: 'p', Data: Buffer.from('late') });

    const read = async (timestamp: CborValue) => {
      const { ShardIterator } = await ok('GetShardIterator', {
        StreamName: name,
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: timestamp,
      });
      const page = await ok('GetRecords', { ShardIterator });
      return (page.Records as CborMap[]).map((r) => (r.Data as Buffer).toString());
    };
    assert.deepEqual(await read(epochMillis(cut)), ['late']);
    assert.deepEqual(await read(epochMillis(earlyMs)), ['early', 'late']);
    assert.deepEqual(await read(epochMillis(earlyMs + 1)), ['late']);
  });

  it('accepts indefinite-length maps, as the Java SDK writes them', async () => {
    const name = await activeStream();
    const put = await cbor(
      'PutRecord',
      encodeCbor(new IndefiniteMap({ StreamName: name, PartitionKey: 'java', Data: Buffer.from('from jackson') })),
    );
    assert.equal(put.status, 200, JSON.stringify(put.value));
    const batch = await ok(
      'PutRecords',
      new IndefiniteMap({
        StreamName: name,
        Records: [
          new IndefiniteMap({ PartitionKey: 'a', Data: Buffer.from('one') }),
          new IndefiniteMap({ PartitionKey: 'b', Data: Buffer.from('two') }),
        ],
      }),
    );
    assert.equal(batch.FailedRecordCount, 0);
    const { ShardIterator } = await ok('GetShardIterator', {
      StreamName: name,
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'TRIM_HORIZON',
    });
    const page = await ok('GetRecords', { ShardIterator });
    assert.deepEqual(
      (page.Records as CborMap[]).map((r) => (r.Data as Buffer).toString()),
      ['from jackson', 'one', 'two'],
    );
  });

  it('answers errors as CBOR maps with __type and message', async () => {
    const name = uniqueName('cbor-missing');
    const answer = await cbor('DescribeStreamSummary', encodeCbor({ StreamName: name }));
    assert.equal(answer.status, 400);
    assert.equal(answer.type, CBOR_TYPE);
    assert.deepEqual(answer.value, {
      __type: 'ResourceNotFoundException',
      message: `Stream ${name} under account ${ACCOUNT} not found.`,
    });
    const invalid = await cbor('CreateStream', encodeCbor({ StreamName: 'a b', ShardCount: 1 }));
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.value, {
      __type: 'ValidationException',
      message:
        "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+',
    });
    const garbage = await cbor('ListStreams', Buffer.from([0xbf, 0x61]));
    assert.equal(garbage.status, 400);
    assert.equal((garbage.value as CborMap).__type, 'SerializationException');
    const unknown = await cbor('NoSuchOperation', encodeCbor({}));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.type, CBOR_TYPE);
    assert.deepEqual(unknown.value, { __type: 'UnknownOperationException' });
  });
});
