/**
 * Hostile request bodies over HTTP, JSON and CBOR: what the wire codecs must refuse (text that is
 * not UTF-8, nesting past the bound), accept (CBOR indefinite-length strings), step over without
 * building (millions of values in an unknown member), bound (a huge value quoted in an error),
 * and never let reach Object.prototype (`__proto__` keys). Raw requests: the SDK would not send
 * most of these.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import { decodeCbor, encodeCbor, type CborValue } from '../helpers/cbor.js';
import { OFF_THREAD_MIN_BODY_BYTES } from '../../src/services/kinesis/codec/offThreadDecoder.js';
import { signedFetch } from '../helpers/signing.js';

const JSON_TYPE = 'application/x-amz-json-1.1';
const CBOR_TYPE = 'application/x-amz-cbor-1.1';

interface Answer {
  status: number;
  type: string | null;
  body: Record<string, unknown>;
}

/** Bytes that are not UTF-8: a stray continuation byte, a truncated sequence, an encoded surrogate, 0xff. */
const NOT_UTF8 = [Buffer.from([0x80]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff])];

/** A CBOR map written from parts already encoded (keys and values), for items encodeCbor cannot write. */
function cborMap(...entries: Array<[string, Buffer]>): Buffer {
  return Buffer.concat([Buffer.from([0xa0 | entries.length]), ...entries.flatMap(([key, value]) => [encodeCbor(key), value])]);
}
/** An indefinite-length string of `major` (2 bytes, 3 text) from definite chunks. */
function indefinite(major: 2 | 3, ...chunks: Array<string | Buffer>): Buffer {
  return Buffer.concat([Buffer.from([(major << 5) | 31]), ...chunks.map((chunk) => encodeCbor(chunk)), Buffer.from([0xff])]);
}
/** A CBOR text string holding exactly these bytes, UTF-8 or not. */
function rawText(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x78, bytes.length]), bytes]);
}

describe('hostile request bodies', () => {
  let node: TestNode;
  nodePerSuite(
    () => startNode(),
    (started) => (node = started),
  );

  async function call(operation: string, body: Buffer | string, format: 'json' | 'cbor' = 'json'): Promise<Answer> {
    const type = format === 'json' ? JSON_TYPE : CBOR_TYPE;
    const res = await signedFetch(node.url, { headers: { 'content-type': type, 'x-amz-target': `Kinesis_20131202.${operation}` }, body });
    const raw = Buffer.from(await res.arrayBuffer());
    let parsed: Record<string, unknown> = {};
    if (raw.length > 0) parsed = (format === 'json' ? JSON.parse(raw.toString('utf8')) : decodeCbor(raw)) as Record<string, unknown>;
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: parsed };
  }

  function assertSerializationException(answer: Answer, what: string): void {
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.__type, 'SerializationException', what);
  }

  async function activeStream(): Promise<string> {
    const name = uniqueName('hostile');
    assert.equal((await call('CreateStream', JSON.stringify({ StreamName: name, ShardCount: 1 }))).status, 200);
    for (;;) {
      const summary = await call('DescribeStreamSummary', JSON.stringify({ StreamName: name }));
      if ((summary.body.StreamDescriptionSummary as { StreamStatus: string }).StreamStatus === 'ACTIVE') return name;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function recordsOf(name: string): Promise<Array<Record<string, CborValue>>> {
    const iterator = await call(
      'GetShardIterator',
      JSON.stringify({ StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const got = await call('GetRecords', encodeCbor({ ShardIterator: iterator.body.ShardIterator as string }), 'cbor');
    assert.equal(got.status, 200);
    return got.body.Records as Array<Record<string, CborValue>>;
  }

  it('refuses a partition key that is not UTF-8, on every decoding path, and stores nothing', async () => {
    const name = await activeStream();
    for (const bad of NOT_UTF8) {
      const key = Buffer.concat([Buffer.from('key-'), bad]);
      const record = (data: string) => Buffer.concat([Buffer.from('{"PartitionKey":"'), key, Buffer.from(`","Data":"${data}"}`)]);
      const putRecord = Buffer.concat([Buffer.from(`{"StreamName":"${name}","PartitionKey":"`), key, Buffer.from('","Data":"AA=="}')]);
      assertSerializationException(await call('PutRecord', putRecord), `PutRecord, ${bad.toString('hex')}`);
      // PutRecords has a fast reader of its own, and big bodies are read on worker threads.
      const small = Buffer.concat([Buffer.from(`{"StreamName":"${name}","Records":[`), record('AA=='), Buffer.from(']}')]);
      assertSerializationException(await call('PutRecords', small), `PutRecords, ${bad.toString('hex')}`);
      const bigData = Buffer.alloc(OFF_THREAD_MIN_BODY_BYTES).toString('base64');
      const big = Buffer.concat([
        Buffer.from(`{"StreamName":"${name}","Records":[{"PartitionKey":"ok","Data":"AA=="},`),
        record(bigData),
        Buffer.from(']}'),
      ]);
      assertSerializationException(await call('PutRecords', big), `a big PutRecords, ${bad.toString('hex')}`);
      const cbor = cborMap(['StreamName', encodeCbor(name)], ['PartitionKey', rawText(key)], ['Data', encodeCbor(Buffer.from([1]))]);
      assertSerializationException(await call('PutRecord', cbor, 'cbor'), `CBOR PutRecord, ${bad.toString('hex')}`);
    }
    assertSerializationException(
      await call('PutRecord', `{"StreamName":"${name}","PartitionKey":"\\ud800","Data":"AA=="}`),
      'a lone surrogate escape',
    );
    assert.deepEqual(await recordsOf(name), [], 'nothing was stored');
    // Data is bytes: any bytes go, in CBOR as in base64.
    const anyBytes = Buffer.concat(NOT_UTF8);
    const put = await call(
      'PutRecord',
      cborMap(['StreamName', encodeCbor(name)], ['PartitionKey', encodeCbor('é')], ['Data', encodeCbor(anyBytes)]),
      'cbor',
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const [stored] = await recordsOf(name);
    assert.ok((stored!.Data as Buffer).equals(anyBytes));
    assert.equal(stored!.PartitionKey, 'é');
  });

  it('takes CBOR indefinite-length byte and text strings, as RFC 8949 writes them', async () => {
    const name = await activeStream();
    const body = cborMap(
      ['StreamName', indefinite(3, name.slice(0, 3), '', name.slice(3))],
      ['PartitionKey', indefinite(3, 'chunked ', 'clé')],
      ['Data', indefinite(2, Buffer.from([0, 1]), Buffer.alloc(0), Buffer.from([2, 0xff]))],
    );
    const put = await call('PutRecord', body, 'cbor');
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const [stored] = await recordsOf(name);
    assert.equal(stored!.PartitionKey, 'chunked clé');
    assert.deepEqual(stored!.Data, Buffer.from([0, 1, 2, 0xff]));
    const mixed = cborMap(
      ['StreamName', indefinite(3, name)],
      ['PartitionKey', Buffer.concat([Buffer.from([0x7f]), encodeCbor(Buffer.from('x')), Buffer.from([0xff])])],
      ['Data', encodeCbor(Buffer.alloc(1))],
    );
    assertSerializationException(await call('PutRecord', mixed, 'cbor'), 'a byte chunk in a text string');
  });

  it('steps over millions of values in an unknown member and refuses nesting past 64 levels', async () => {
    const count = 2_000_000;
    const json = `{"Unknown":[${'{},'.repeat(count - 1)}{}],"StreamName":"no-such-stream"}`;
    const cbor = Buffer.concat([
      Buffer.from([0xa2]),
      encodeCbor('Unknown'),
      Buffer.from([0x9a, (count >>> 24) & 0xff, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff]),
      Buffer.alloc(count, 0xa0),
      encodeCbor('StreamName'),
      encodeCbor('no-such-stream'),
    ]);
    for (const [format, body] of [
      ['json', json],
      ['cbor', cbor],
    ] as const) {
      // Meanwhile, other requests are answered (how fast is measured in the report, not asserted here).
      const [hostile, other] = await Promise.all([call('DescribeStream', body, format), call('ListStreams', '{}')]);
      assert.equal(hostile.body.__type, 'ResourceNotFoundException', `${format}: read through to the handler`);
      assert.equal(other.status, 200);
    }
    const deepJson = `{"Unknown":${'['.repeat(65)}${']'.repeat(65)},"StreamName":"s"}`;
    assertSerializationException(await call('DescribeStream', deepJson), 'JSON nested 66 deep');
    const deepCbor = cborMap(['Unknown', Buffer.concat([Buffer.alloc(64, 0x81), Buffer.from([0x80])])], ['StreamName', encodeCbor('s')]);
    assertSerializationException(await call('DescribeStream', deepCbor, 'cbor'), 'CBOR nested 66 deep');
    const withinBound = `{"Unknown":${'['.repeat(62)}${']'.repeat(62)},"StreamName":"no-such-stream"}`;
    assert.equal((await call('DescribeStream', withinBound)).body.__type, 'ResourceNotFoundException');
  });

  it('never lets a __proto__ key reach Object.prototype', async () => {
    const name = await activeStream();
    const body = `{"__proto__":{"polluted":"yes"},"StreamName":"${name}","Tags":{"__proto__":"tag","constructor":"c"}}`;
    assert.equal((await call('AddTagsToStream', body)).status, 200);
    const cbor = cborMap(
      ['__proto__', encodeCbor({ polluted: 'yes' })],
      ['StreamName', encodeCbor(name)],
      ['Tags', encodeCbor({ hasOwnProperty: 'h' })],
    );
    assert.equal((await call('AddTagsToStream', cbor, 'cbor')).status, 200);
    // The server runs in this process: its Object.prototype is ours.
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const tags = await call('ListTagsForStream', JSON.stringify({ StreamName: name }));
    assert.deepEqual((tags.body.Tags as Array<{ Key: string; Value: string }>).map(({ Key, Value }) => `${Key}=${Value}`).sort(), [
      '__proto__=tag',
      'constructor=c',
      'hasOwnProperty=h',
    ]);
  });

  it('quotes at most 64 Ki characters of a refused value', async () => {
    const huge = 'k'.repeat(15 * 1024 * 1024);
    const answer = await call('PutRecord', JSON.stringify({ StreamName: 's', PartitionKey: huge, Data: '' }));
    assert.equal(answer.body.__type, 'ValidationException');
    const message = answer.body.message as string;
    assert.ok(message.length < 66_000, `a message of ${message.length} characters`);
    assert.ok(message.includes(`Value '${'k'.repeat(64 * 1024)}...' at 'partitionKey'`));
  });
});
