/**
 * restJson1 against the real AWS SDK v3 clients of Kinesis Video Streams and Lambda: their
 * serializers build the requests we decode, their deserializers read the answers we encode.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
} from '@aws-sdk/client-kinesis-video';
import { InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AwsError, loadModel, restJsonCodec, type HttpRequestParts } from '../src/index.js';
import { loopHandler, testCredentials, type Served } from './helpers/sdkLoop.js';

const video = loadModel('kinesisvideo-2017-09-30');
const lambda = loadModel('lambda-2015-03-31');

function videoClient(handle: (op: string, input: any) => unknown, served: Served = {}) {
  return new KinesisVideoClient({
    region: 'us-east-1',
    endpoint: 'http://localhost:4567',
    credentials: testCredentials,
    maxAttempts: 1,
    requestHandler: loopHandler(video, restJsonCodec, handle, served),
  });
}

function lambdaClient(handle: (op: string, input: any) => unknown, served: Served = {}) {
  return new LambdaClient({
    region: 'us-east-1',
    endpoint: 'http://localhost:4567',
    credentials: testCredentials,
    maxAttempts: 1,
    requestHandler: loopHandler(lambda, restJsonCodec, handle, served),
  });
}

function request(method: string, path: string, body = '', headers: Record<string, string> = {}, query = ''): HttpRequestParts {
  return { method, path, query: new URLSearchParams(query), headers, body: Buffer.from(body) };
}

describe('restJson1: Kinesis Video Streams through the SDK', () => {
  it('CreateStream: the SDK body becomes the typed input; our answer becomes its output', async () => {
    const served: Served = {};
    const client = videoClient(() => ({ StreamARN: 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1' }), served);
    const out = await client.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24, Tags: { team: 'video' } }));
    assert.equal(served.operation, 'CreateStream');
    assert.deepEqual(served.input, { StreamName: 'cam', DataRetentionInHours: 24, Tags: { team: 'video' } });
    assert.equal(out.StreamARN, 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1');
  });

  it('DescribeStream: timestamps in the JSON body arrive as Dates on both sides', async () => {
    const created = new Date('2024-05-06T07:08:09.123Z');
    const client = videoClient(() => ({
      StreamInfo: { StreamName: 'cam', Status: 'ACTIVE', CreationTime: created, DataRetentionInHours: 2 },
    }));
    const out = await client.send(new DescribeStreamCommand({ StreamName: 'cam' }));
    assert.equal(out.StreamInfo?.CreationTime?.getTime(), created.getTime());
    assert.equal(out.StreamInfo?.Status, 'ACTIVE');
  });

  it('GetDataEndpoint: an enum member and a string answer', async () => {
    const served: Served = {};
    const client = videoClient(() => ({ DataEndpoint: 'http://localhost:4567' }), served);
    const out = await client.send(new GetDataEndpointCommand({ StreamName: 'cam', APIName: 'GET_MEDIA' }));
    assert.deepEqual(served.input, { StreamName: 'cam', APIName: 'GET_MEDIA' });
    assert.equal(out.DataEndpoint, 'http://localhost:4567');
  });

  it('a model violation reaches the SDK as a ValidationException with its Coral text', async () => {
    const client = videoClient(() => assert.fail('the handler must not run'));
    await assert.rejects(client.send(new GetDataEndpointCommand({ StreamName: 'bad name!', APIName: 'GET_MEDIA' })), (err: any) => {
      assert.equal(err.name, 'ValidationException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(
        err.message,
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
      );
      return true;
    });
  });

  it("a handler's modelled error keeps its code and status (ResourceNotFoundException, 404)", async () => {
    const client = videoClient(() => {
      throw new AwsError('ResourceNotFoundException', 'The requested stream is not found or not active.', 404);
    });
    await assert.rejects(client.send(new ListStreamsCommand({})), (err: any) => {
      assert.equal(err.name, 'ResourceNotFoundException');
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal(err.message, 'The requested stream is not found or not active.');
      return true;
    });
  });
});

describe('restJson1: Lambda through the SDK (labels, query, headers, blob payloads, status codes)', () => {
  it('Invoke: the function name from the path label, the qualifier from the query, headers and the payload', async () => {
    const served: Served = {};
    const client = lambdaClient(
      (_op, input) => ({
        StatusCode: 202,
        FunctionError: 'Unhandled',
        Payload: Buffer.from(`{"echo":${Buffer.from(input.Payload).toString()}}`),
        ExecutedVersion: '7',
      }),
      served,
    );
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'my-function',
        Qualifier: 'prod',
        InvocationType: 'Event',
        LogType: 'Tail',
        Payload: Buffer.from('{"a":1}'),
      }),
    );
    assert.equal(served.operation, 'Invoke');
    assert.equal(served.request?.path, '/2015-03-31/functions/my-function/invocations');
    const input = served.input as Record<string, unknown>;
    assert.equal(input.FunctionName, 'my-function');
    assert.equal(input.Qualifier, 'prod');
    assert.equal(input.InvocationType, 'Event');
    assert.equal(input.LogType, 'Tail');
    assert.equal(Buffer.from(input.Payload as Uint8Array).toString(), '{"a":1}');
    assert.equal(out.StatusCode, 202);
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(out.ExecutedVersion, '7');
    assert.equal(Buffer.from(out.Payload!).toString(), '{"echo":{"a":1}}');
  });

  it('a function ARN with colons survives the path label', async () => {
    const served: Served = {};
    const client = lambdaClient(() => ({ StatusCode: 200 }), served);
    await client.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:f' }));
    assert.equal((served.input as any).FunctionName, 'arn:aws:lambda:us-east-1:123456789012:function:f');
  });

  it('ListFunctions: query members with integers, and a literal query part in requestUri', async () => {
    const served: Served = {};
    const client = lambdaClient(
      () => ({ Functions: [{ FunctionName: 'f', LastModified: '2024-01-01T00:00:00.000+0000', MemorySize: 128 }] }),
      served,
    );
    const out = await client.send(new ListFunctionsCommand({ MaxItems: 5, Marker: 'm' }));
    assert.equal(served.operation, 'ListFunctions');
    assert.deepEqual(served.input, { MaxItems: 5, Marker: 'm' });
    assert.equal(out.Functions?.[0]?.MemorySize, 128);
  });
});

describe('restJson1: decoding by hand', () => {
  it('a label that is not a number where the model wants one is refused, not passed on', () => {
    const op = restJsonCodec.operationOf(lambda, request('GET', '/2018-10-31/layers/my-layer/versions/abc'));
    assert.equal(op, 'GetLayerVersion');
    assert.throws(
      () => restJsonCodec.decodeInput(lambda, op!, request('GET', '/2018-10-31/layers/my-layer/versions/abc')),
      (err: any) => err.code === 'SerializationException' && err.status === 400,
    );
  });

  it('a request no template fits names no operation', () => {
    assert.equal(restJsonCodec.operationOf(video, request('GET', '/createStream')), undefined);
    assert.equal(restJsonCodec.operationOf(video, request('POST', '/noSuchThing')), undefined);
  });

  it('an unparseable JSON body is a SerializationException', () => {
    assert.throws(
      () => restJsonCodec.decodeInput(video, 'CreateStream', request('POST', '/createStream', '{not json')),
      (err: any) => err.code === 'SerializationException',
    );
  });

  it('errors carry x-amzn-ErrorType, the request id and {"message"}', () => {
    const answer = restJsonCodec.encodeError(video, new AwsError('ClientLimitExceededException', 'Slow down.', 400), 'rid-1');
    assert.equal(answer.status, 400);
    assert.equal(answer.headers['x-amzn-errortype'], 'ClientLimitExceededException');
    assert.equal(answer.headers['x-amzn-requestid'], 'rid-1');
    assert.deepEqual(JSON.parse(String(answer.body)), { message: 'Slow down.' });
  });
});
