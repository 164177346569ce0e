/**
 * awsJson1_1 on the wire: fractional epoch-second timestamps, base64 blobs, omitted members, and
 * interoperability with the AWS SDK for JavaScript v3 (its own serializer writes the requests we
 * decode, its own deserializer reads the responses we encode; no HTTP involved).
 */
import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { decodeInput, encodeOutput } from '../../src/services/kinesis/codec/codec.js';
import type { OperationShapes } from '../../src/services/kinesis/shapes.generated.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('JSON requests', () => {
  it('reads timestamps as epoch seconds with millisecond fractions', () => {
    const at = (seconds: number | string) =>
      decodeInput('ListShards', 'json', Buffer.from(`{"StreamCreationTimestamp":${seconds}}`)).StreamCreationTimestamp!.getTime();
    assert.equal(at(1700000000.123), 1700000000123);
    assert.equal(at(1700000000), 1700000000000);
    assert.equal(at('1.7e9'), 1700000000000);
    assert.equal(at(1700000000.001), 1700000000001);
    assert.equal(at(1700000000.1239), 1700000000123, 'sub-millisecond digits are cut, not rounded');
  });

  it('reads base64 blobs into Buffers', () => {
    const input = decodeInput('PutRecord', 'json', json({ StreamName: 's', PartitionKey: 'p', Data: 'aGVsbG8=' }));
    assert.ok(Buffer.isBuffer(input.Data));
    assert.equal(input.Data.toString(), 'hello');
    assert.equal(decodeInput('PutRecord', 'json', json({ StreamName: 's', PartitionKey: 'p', Data: '' })).Data.length, 0);
  });

  it('ignores unknown members and nulls', () => {
    const input = decodeInput('DescribeStream', 'json', json({ StreamName: 's', Bogus: { a: 1 }, Limit: null }));
    assert.deepEqual(input, { StreamName: 's' });
  });

  it('keeps a map key named __proto__ as a key', () => {
    const input = decodeInput('AddTagsToStream', 'json', Buffer.from('{"StreamName":"s","Tags":{"__proto__":"x"}}'));
    assert.equal(Object.getPrototypeOf(input.Tags), Object.prototype);
    assert.deepEqual(Object.keys(input.Tags), ['__proto__']);
  });

  it('truncates fractional integers and saturates at the int range', () => {
    assert.equal(decodeInput('ListStreams', 'json', json({ Limit: 10.9 })).Limit, 10);
    const err = (() => {
      try {
        decodeInput('ListStreams', 'json', json({ Limit: 2147483648 }));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    assert.match(err!.message, /Value '2147483647' at 'limit'/);
  });
});

describe('JSON responses', () => {
  const record = {
    SequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    Data: Buffer.from('hi'),
    PartitionKey: 'p',
    ApproximateArrivalTimestamp: new Date(1700000000123),
  };

  it('writes timestamps as fractional epoch seconds and blobs as base64', () => {
    const text = encodeOutput('GetRecords', 'json', { Records: [record], NextShardIterator: 'it', MillisBehindLatest: 0 }).toString();
    assert.equal(
      text,
      '{"MillisBehindLatest":0,"NextShardIterator":"it","Records":[{"ApproximateArrivalTimestamp":1700000000.123,' +
        '"Data":"aGk=","PartitionKey":"p","SequenceNumber":"49590338271490256608559692538361571095921575989136588898"}]}',
    );
    const whole = encodeOutput('DescribeStreamSummary', 'json', {
      StreamDescriptionSummary: {
        StreamName: 's',
        StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
        StreamStatus: 'ACTIVE',
        RetentionPeriodHours: 24,
        StreamCreationTimestamp: new Date(1700000000000),
        EnhancedMonitoring: [],
        OpenShardCount: 1,
      },
    } as OperationShapes['DescribeStreamSummary']['output']).toString();
    assert.match(whole, /"StreamCreationTimestamp":1700000000[,}]/);
  });

  it('omits undefined members and escapes strings', () => {
    const text = encodeOutput('PutRecord', 'json', { ShardId: 'shardId-"0"', SequenceNumber: '1', EncryptionType: undefined }).toString();
    assert.equal(text, '{"SequenceNumber":"1","ShardId":"shardId-\\"0\\""}');
  });

  it('answers operations without output with an empty body', () => {
    assert.equal(encodeOutput('CreateStream', 'json', undefined).length, 0);
  });
});

/** A client whose HTTP handler hands the request to `serve` and returns its answer. */
function sdkClient(serve: (target: string, body: Buffer) => Buffer): KinesisClient {
  return new KinesisClient({
    region: 'us-east-1',
    endpoint: 'http://localhost:1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    requestHandler: {
      handle: async (request: { headers: Record<string, string>; body: Uint8Array }) => {
        const answer = serve(request.headers['x-amz-target']!, Buffer.from(request.body));
        return {
          response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([answer]) },
        };
      },
    } as never,
  });
}

describe('AWS SDK v3 interoperability (JSON)', () => {
  it('decodes what the SDK sends for PutRecords', async () => {
    let decoded: OperationShapes['PutRecords']['input'] | undefined;
    const client = sdkClient((_target, body) => {
      decoded = decodeInput('PutRecords', 'json', body);
      return encodeOutput('PutRecords', 'json', {
        FailedRecordCount: 0,
        Records: [{ ShardId: 'shardId-000000000000', SequenceNumber: '1' }],
      });
    });
    const data = Buffer.from([0, 1, 2, 250, 251, 252]);
    const out = await client.send(new PutRecordsCommand({ StreamName: 's', Records: [{ Data: data, PartitionKey: 'k' }] }));
    assert.ok(decoded!.Records[0]!.Data.equals(data));
    assert.equal(out.FailedRecordCount, 0);
    assert.equal(out.Records![0]!.SequenceNumber, '1');
  });

  it('decodes the SDK timestamp of GetShardIterator AT_TIMESTAMP', async () => {
    let decoded: OperationShapes['GetShardIterator']['input'] | undefined;
    const client = sdkClient((_target, body) => {
      decoded = decodeInput('GetShardIterator', 'json', body);
      return encodeOutput('GetShardIterator', 'json', { ShardIterator: 'it' });
    });
    await client.send(
      new GetShardIteratorCommand({
        StreamName: 's',
        ShardId: 'shardId-0',
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: new Date(1700000000123),
      }),
    );
    assert.equal(decoded!.Timestamp!.getTime(), 1700000000123);
  });

  it('lets the SDK read our GetRecords output', async () => {
    const data = Buffer.from('payload');
    const client = sdkClient(() =>
      encodeOutput('GetRecords', 'json', {
        Records: [{ SequenceNumber: '7', Data: data, PartitionKey: 'p', ApproximateArrivalTimestamp: new Date(1700000000123) }],
        NextShardIterator: 'next',
        MillisBehindLatest: 5,
      }),
    );
    const out = await client.send(new GetRecordsCommand({ ShardIterator: 'it' }));
    assert.equal(Buffer.from(out.Records![0]!.Data!).toString(), 'payload');
    assert.equal(out.Records![0]!.ApproximateArrivalTimestamp!.getTime(), 1700000000123);
    assert.equal(out.MillisBehindLatest, 5);
  });
});
