/**
 * The HTTP transport, with raw requests (fetch, HTTP/1.1): operation routing by X-Amz-Target,
 * content types, SerializationException, request ids, CORS, the body size limit (413), the
 * region from the SigV4 credential scope, and the JSON wire form of blobs and timestamps.
 */
import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { createActiveStream } from '../helpers/api.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { uniqueName } from '../helpers/clients.js';
import { signedHeaders } from '../helpers/signing.js';

const JSON_TYPE = 'application/x-amz-json-1.1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A TRIM_HORIZON iterator of shard number `shard` (below 10) of a stream. */
async function trimHorizonIterator(sdk: KinesisClient, streamName: string, shard: number): Promise<string> {
  const ShardId = `shardId-00000000000${shard}`;
  return (await sdk.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' })))
    .ShardIterator!;
}

describe('HTTP transport', () => {
  let server: TestNode;

  nodePerSuite(
    () => startNode(),
    (started) => (server = started),
  );

  interface Answer {
    status: number;
    headers: Headers;
    text: string;
    json: Record<string, unknown> | undefined;
  }

  async function call(options: {
    target?: string;
    body?: string | Uint8Array<ArrayBuffer>;
    contentType?: string | null;
    method?: string;
    headers?: Record<string, string>;
    /** The region the request is signed for (us-east-1); a CORS preflight or `unsigned` is not signed. */
    region?: string;
    unsigned?: boolean;
  }): Promise<Answer> {
    let headers: Record<string, string> = { ...options.headers };
    const contentType = options.contentType === undefined ? JSON_TYPE : options.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    if (options.target !== undefined) headers['x-amz-target'] = options.target;
    const method = options.method ?? 'POST';
    const body = method === 'GET' || method === 'HEAD' ? undefined : (options.body ?? '');
    if (method !== 'OPTIONS' && !options.unsigned) {
      headers = await signedHeaders(server.url + '/', {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        region: options.region ?? 'us-east-1',
      });
      delete headers.host;
    }
    const res = await fetch(server.url + '/', { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    assert.match(res.headers.get('x-amzn-RequestId') ?? '', UUID, `every answer has x-amzn-RequestId (${res.status} ${text})`);
    return { status: res.status, headers: res.headers, text, json };
  }

  it('answers an unknown operation with UnknownOperationException', async () => {
    for (const target of ['Kinesis_20131202.NoSuchOperation', 'Firehose_20150804.ListStreams', 'Kinesis_20131202', 'nonsense']) {
      const answer = await call({ target, body: '{}' });
      assert.equal(answer.status, 400, target);
      assert.deepEqual(answer.json, { __type: 'UnknownOperationException' }, target);
      assert.equal(answer.headers.get('x-amzn-ErrorType'), 'UnknownOperationException');
      assert.equal(answer.headers.get('content-type'), JSON_TYPE);
    }
    const noTarget = await call({ body: '{}' });
    assert.equal(noTarget.status, 400);
    assert.deepEqual(noTarget.json, { __type: 'UnknownOperationException' });
  });

  it('refuses a missing or unknown content type (test/conformance/requestEdge.test.ts has every case)', async () => {
    for (const contentType of [null, 'text/plain', 'application/x-amz-json-1.0']) {
      const known = await call({ target: 'Kinesis_20131202.ListStreams', body: '{}', contentType });
      assert.equal(known.status, 404, `content type ${contentType}`);
      assert.equal(known.text, '<UnknownOperationException/>\n');
      const unknown = await call({ body: '{}', contentType });
      assert.equal(unknown.status, 403, `content type ${contentType}, no target`);
      assert.match(
        unknown.text,
        /^<AccessDeniedException>\n {2}<Message>Unable to determine service\/operation name to be authorized<\/Message>/,
      );
    }
    // Parameters of the media type are ignored.
    const withCharset = await call({ target: 'Kinesis_20131202.ListStreams', body: '{}', contentType: `${JSON_TYPE}; charset=utf-8` });
    assert.equal(withCharset.status, 200);
  });

  it('refuses methods other than POST', async () => {
    for (const method of ['GET', 'PUT']) {
      const answer = await call({ method, target: 'Kinesis_20131202.ListStreams', body: method === 'GET' ? undefined : '{}' });
      assert.equal(answer.status, 403, method);
      assert.equal(answer.headers.get('content-type'), null);
      assert.match(answer.text, /^<AccessDeniedException>/);
    }
  });

  it('answers malformed JSON and an empty body with a bare SerializationException', async () => {
    for (const body of ['{', 'not json', '', '[1,2]', 'null', '"text"']) {
      const answer = await call({ target: 'Kinesis_20131202.ListStreams', body });
      assert.equal(answer.status, 400, `body ${JSON.stringify(body)}`);
      assert.deepEqual(answer.json, { __type: 'SerializationException' }, `body ${JSON.stringify(body)}`);
      assert.equal(answer.headers.get('x-amzn-ErrorType'), 'SerializationException');
    }
    // A wrong JSON type is a SerializationException with AWS's text (capital-M Message).
    const wrongType = await call({ target: 'Kinesis_20131202.ListStreams', body: '{"Limit":"ten"}' });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.json?.__type, 'SerializationException');
    assert.equal(typeof wrongType.json?.Message, 'string');
  });

  it('answers successes in JSON: an empty body for output-less operations, epoch-second timestamps, base64 blobs', async () => {
    const name = uniqueName('raw');
    const created = await call({ target: 'Kinesis_20131202.CreateStream', body: JSON.stringify({ StreamName: name, ShardCount: 1 }) });
    assert.equal(created.status, 200);
    assert.equal(created.text, '');
    for (;;) {
      const summary = await call({ target: 'Kinesis_20131202.DescribeStreamSummary', body: JSON.stringify({ StreamName: name }) });
      const description = summary.json!.StreamDescriptionSummary as Record<string, unknown>;
      assert.equal(typeof description.StreamCreationTimestamp, 'number');
      const seconds = description.StreamCreationTimestamp as number;
      assert.ok(Math.abs(seconds - Date.now() / 1000) < 60, `epoch seconds: ${seconds}`);
      if (description.StreamStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const put = await call({
      target: 'Kinesis_20131202.PutRecord',
      body: JSON.stringify({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('hello raw').toString('base64') }),
    });
    assert.equal(put.status, 200);
    const iterator = await call({
      target: 'Kinesis_20131202.GetShardIterator',
      body: JSON.stringify({ StreamName: name, ShardId: put.json!.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    });
    const got = await call({
      target: 'Kinesis_20131202.GetRecords',
      body: JSON.stringify({ ShardIterator: iterator.json!.ShardIterator }),
    });
    const [record] = got.json!.Records as Array<Record<string, unknown>>;
    assert.equal(record!.Data, Buffer.from('hello raw').toString('base64'));
    assert.equal(typeof record!.ApproximateArrivalTimestamp, 'number');
    assert.equal(record!.SequenceNumber, put.json!.SequenceNumber);
    // Not base64: a SerializationException.
    const badBlob = await call({
      target: 'Kinesis_20131202.PutRecord',
      body: JSON.stringify({ StreamName: name, PartitionKey: 'k', Data: '!!not base64!!' }),
    });
    assert.equal(badBlob.status, 400);
    assert.equal(badBlob.json?.__type, 'SerializationException');
  });

  it('answers CORS preflights and marks answers to browsers with Access-Control-Allow-Origin', async () => {
    const preflight = await call({
      method: 'OPTIONS',
      contentType: null,
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-target,x-amz-date,authorization',
      },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.text, '');
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type,x-amz-target,x-amz-date,authorization');
    assert.equal(preflight.headers.get('access-control-max-age'), '172800');

    const answer = await call({ target: 'Kinesis_20131202.ListStreams', body: '{}', headers: { origin: 'http://localhost:3000' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '').split(',');
    for (const header of ['x-amzn-RequestId', 'x-amzn-ErrorType', 'x-amz-id-2']) assert.ok(exposed.includes(header), header);
    const error = await call({ target: 'Kinesis_20131202.Nope', body: '{}', headers: { origin: 'http://localhost:3000' } });
    assert.equal(error.headers.get('access-control-allow-origin'), '*');

    const noOrigin = await call({ target: 'Kinesis_20131202.ListStreams', body: '{}' });
    assert.equal(noOrigin.headers.get('access-control-allow-origin'), null);
  });

  it('refuses a body over the size limit with 413', async () => {
    const huge = new Uint8Array(16 * 1024 * 1024 + 1).fill(0x20);
    const answer = await call({ target: 'Kinesis_20131202.PutRecord', body: huge });
    assert.equal(answer.status, 413);
    // The server still serves afterwards.
    const ok = await call({ target: 'Kinesis_20131202.ListStreams', body: '{}' });
    assert.equal(ok.status, 200);
  });

  it('reads bodies sent in pieces, with a Content-Length or chunked without one', async () => {
    const name = uniqueName('pieces');
    const created = await call({ target: 'Kinesis_20131202.CreateStream', body: JSON.stringify({ StreamName: name, ShardCount: 1 }) });
    assert.equal(created.status, 200);
    await server.waitForStream(name);
    const data = Buffer.alloc(200_000, 'piecewise ');
    const body = Buffer.from(JSON.stringify({ StreamName: name, PartitionKey: 'k', Data: data.toString('base64') }));
    const signed = await signedHeaders(server.url, {
      headers: { 'content-type': JSON_TYPE, 'x-amz-target': 'Kinesis_20131202.PutRecord' },
      body,
    });
    for (const declare of [true, false]) {
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const headers: Record<string, string | number> = { ...signed };
        if (declare) headers['content-length'] = body.length;
        const req = httpRequest(server.url, { method: 'POST', headers }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString() }));
        });
        req.on('error', reject);
        // Three writes, the last one after a pause: the body reaches the server in several reads.
        req.write(body.subarray(0, 1000));
        req.write(body.subarray(1000, 150_000));
        setTimeout(() => req.end(body.subarray(150_000)), 20);
      });
      assert.equal(answer.status, 200, `declared length ${declare}: ${answer.text}`);
      assert.match(answer.text, /"SequenceNumber":"\d+"/);
    }
    const sdk: KinesisClient = server.kinesisIn('us-east-1');
    try {
      const iterator = await trimHorizonIterator(sdk, name, 0);
      const records = (await sdk.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records!;
      assert.equal(records.length, 2);
      for (const record of records) assert.ok(Buffer.from(record.Data!).equals(data));
    } finally {
      sdk.destroy();
    }
  });

  it('acts in the region of the SigV4 credential scope, and refuses an unsigned request', async () => {
    const name = uniqueName('scoped');
    const created = await call({
      target: 'Kinesis_20131202.CreateStream',
      body: JSON.stringify({ StreamName: name, ShardCount: 1 }),
      region: 'eu-central-1',
    });
    assert.equal(created.status, 200);
    const central: KinesisClient = server.kinesisIn('eu-central-1');
    const east: KinesisClient = server.kinesisIn('us-east-1');
    try {
      assert.ok((await central.send(new ListStreamsCommand({}))).StreamNames!.includes(name));
      assert.ok(!(await east.send(new ListStreamsCommand({}))).StreamNames!.includes(name));
      const unsigned = uniqueName('unsigned');
      const refused = await call({
        target: 'Kinesis_20131202.CreateStream',
        body: JSON.stringify({ StreamName: unsigned, ShardCount: 1 }),
        unsigned: true,
      });
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.json, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
      assert.ok(!(await east.send(new ListStreamsCommand({}))).StreamNames!.includes(unsigned));
    } finally {
      central.destroy();
      east.destroy();
    }
  });

  it('writes big answers read at once, over HTTP/1.1 and HTTP/2, each with its own records', async () => {
    // GetRecords answers of megabytes are written into reused buffers: one given back before its
    // socket had written it would show here as another shard's bytes or broken JSON.
    const name = uniqueName('big-answers');
    const shards = 4;
    const perShard = 6;
    const sdk: KinesisClient = server.kinesisIn('us-east-1');
    try {
      await createActiveStream(sdk, { StreamName: name, ShardCount: shards });
      const dataOf = (shard: number, i: number) => Buffer.alloc(300_000, `shard ${shard} record ${i};`);
      for (let shard = 0; shard < shards; shard++) {
        const hashKey = ((2n ** 128n / BigInt(shards)) * BigInt(shard)).toString();
        const Records = Array.from({ length: perShard }, (_, i) => ({
          PartitionKey: 'k',
          ExplicitHashKey: hashKey,
          Data: dataOf(shard, i),
        }));
        await sdk.send(new PutRecordsCommand({ StreamName: name, Records }));
      }
      const iteratorOf = (shard: number) => trimHorizonIterator(sdk, name, shard);
      const overHttp2 = async (shard: number) => {
        const answer = await sdk.send(new GetRecordsCommand({ ShardIterator: await iteratorOf(shard) }));
        return answer.Records!.map((record) => Buffer.from(record.Data!));
      };
      const overHttp1 = async (shard: number) => {
        const answer = await call({
          target: 'Kinesis_20131202.GetRecords',
          body: JSON.stringify({ ShardIterator: await iteratorOf(shard) }),
        });
        assert.equal(answer.status, 200, answer.text.slice(0, 200));
        return (answer.json!.Records as Array<{ Data: string }>).map((record) => Buffer.from(record.Data, 'base64'));
      };
      for (let round = 0; round < 3; round++) {
        const reads = [];
        for (let shard = 0; shard < shards; shard++) reads.push({ shard, read: overHttp2(shard) }, { shard, read: overHttp1(shard) });
        for (const { shard, read } of reads) {
          const records = await read;
          assert.equal(records.length, perShard, `shard ${shard}, round ${round}`);
          records.forEach((data, i) => assert.ok(data.equals(dataOf(shard, i)), `shard ${shard} record ${i}, round ${round}`));
        }
      }
    } finally {
      sdk.destroy();
    }
  });

  it('keeps a big answer intact while its reader is slow and other answers are written', async () => {
    // A client that reads slowly leaves most of its answer in the server's hands (more than the
    // socket buffers hold); the answers written meanwhile must not reuse that memory.
    const name = uniqueName('slow-reader');
    const sdk: KinesisClient = server.kinesisIn('us-east-1');
    try {
      await createActiveStream(sdk, { StreamName: name, ShardCount: 2 });
      const upper = (2n ** 127n).toString();
      const dataOf = (shard: number, i: number) => Buffer.alloc(1_000_000, `shard ${shard} record ${i};`);
      for (const [shard, hashKey] of [
        [0, '0'],
        [1, upper],
      ] as const) {
        const Records = Array.from({ length: 5 }, (_, i) => ({ PartitionKey: 'k', ExplicitHashKey: hashKey, Data: dataOf(shard, i) }));
        await sdk.send(new PutRecordsCommand({ StreamName: name, Records }));
      }
      const iteratorOf = (shard: number) => trimHorizonIterator(sdk, name, shard);
      const slowBody = JSON.stringify({ ShardIterator: await iteratorOf(0) });
      const slowHeaders = await signedHeaders(server.url, {
        headers: { 'content-type': JSON_TYPE, 'x-amz-target': 'Kinesis_20131202.GetRecords' },
        body: slowBody,
      });
      const slow = new Promise<Buffer>((resolve, reject) => {
        const req = httpRequest(server.url, { method: 'POST', headers: slowHeaders }, (res) => {
          res.pause();
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => resolve(Buffer.concat(parts)));
          res.on('error', reject);
          // Read nothing until three other big answers have been written.
          void (async () => {
            for (let i = 0; i < 3; i++) {
              const other = await call({
                target: 'Kinesis_20131202.GetRecords',
                body: JSON.stringify({ ShardIterator: await iteratorOf(1) }),
              });
              assert.equal(other.status, 200);
            }
            res.resume();
          })().catch(reject);
        });
        req.on('error', reject);
        req.end(slowBody);
      });
      const answer = JSON.parse((await slow).toString()) as { Records: Array<{ Data: string }> };
      assert.equal(answer.Records.length, 5);
      answer.Records.forEach((record, i) => assert.ok(Buffer.from(record.Data, 'base64').equals(dataOf(0, i)), `record ${i}`));
    } finally {
      sdk.destroy();
    }
  });
});
