/**
 * One port, four protocols: services built on the Firehose (awsJson 1.1), Video Streams (restJson1,
 * its control and archived-media APIs sharing the signing name `kinesisvideo`) and CloudWatch
 * (awsQuery) models, registered in one gateway and called over real HTTP by the AWS SDK v3's own
 * clients, which sign with their service's name and read our answers with their own parsers.
 */
import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { loadModel } from '@freshet/aws';
import type { RequestContext } from '../../src/core/context.js';
import { createGateway } from '../../src/gateway/gateway.js';
import { createDualProtocolServer, type DualProtocolServer } from '../../src/gateway/listener.js';
import type { Service } from '../../src/gateway/service.js';
import { TEST_CREDENTIALS } from '../helpers/clients.js';
import { formOnlySignature } from '../helpers/signing.js';

interface Recorded {
  service: string;
  operation: string;
  ctx: RequestContext;
  input: unknown;
}

function recordingService(name: string, uid: string, calls: Recorded[], outputs: Record<string, unknown>): Service {
  const handlers = new Proxy(
    {},
    {
      get: (_target, operation: string) => (ctx: RequestContext, input: unknown) => {
        calls.push({ service: name, operation, ctx, input });
        return outputs[operation];
      },
    },
  );
  return { name, model: loadModel(uid), handlers };
}

/** A media payload that sends one chunk and then breaks, as a read from a failing disk would. */
async function* breakingPayload(): AsyncGenerator<Uint8Array> {
  yield Buffer.from('first chunk');
  throw new Error('the media source broke');
}

describe('the gateway, serving four protocols on one port', () => {
  const calls: Recorded[] = [];
  const internalErrors: unknown[] = [];
  let server: DualProtocolServer;
  let url: string;
  const created = new Date('2026-12-01T10:00:00.000Z');

  before(async () => {
    const services = [
      recordingService('firehose', 'firehose-2015-08-04', calls, {}),
      recordingService('video', 'kinesisvideo-2017-09-30', calls, {
        DescribeStream: { StreamInfo: { StreamName: 'cam-1', Status: 'ACTIVE', CreationTime: created, DataRetentionInHours: 24 } },
      }),
      recordingService('video-archived-media', 'kinesis-video-archived-media-2017-09-30', calls, { ListFragments: { Fragments: [] } }),
      recordingService('video-media', 'kinesis-video-media-2017-09-30', calls, {
        GetMedia: { ContentType: 'video/webm', Payload: breakingPayload() },
      }),
      recordingService('cloudwatch', 'cloudwatch-2010-08-01', calls, {
        ListMetrics: { Metrics: [{ Namespace: 'App', MetricName: 'Latency', Dimensions: [] }] },
      }),
    ];
    server = createDualProtocolServer(
      createGateway({ services, account: '123456789012', maxBodyBytes: 1 << 20, onInternalError: (err) => internalErrors.push(err) }),
    );
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('serves Video Streams (restJson1) to its own SDK client, routed by the credential scope', async () => {
    const video = new KinesisVideoClient({ endpoint: url, region: 'ap-south-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    try {
      const { StreamInfo } = await video.send(new DescribeStreamCommand({ StreamName: 'cam-1' }));
      assert.equal(StreamInfo?.StreamName, 'cam-1');
      assert.equal(StreamInfo?.CreationTime?.getTime(), created.getTime());
      const call = calls.at(-1)!;
      assert.deepEqual([call.service, call.operation, call.input], ['video', 'DescribeStream', { StreamName: 'cam-1' }]);
      assert.equal(call.ctx.region, 'ap-south-1');
      await assert.rejects(
        video.send(new DescribeStreamCommand({ StreamName: 'a'.repeat(300) })),
        (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.name, 'ValidationException');
          assert.match(err.message, /at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 256/);
          return true;
        },
      );
    } finally {
      video.destroy();
    }
  });

  it('tells apart two APIs that sign with one name by their paths', async () => {
    const authorization = `AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00`;
    const res = await fetch(`${url}/listFragments`, {
      method: 'POST',
      headers: { authorization, 'x-amz-date': '20261202T000000Z', 'content-type': 'application/json' },
      body: JSON.stringify({ StreamName: 'cam-1' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { Fragments: [] });
    assert.deepEqual([calls.at(-1)!.service, calls.at(-1)!.operation], ['video-archived-media', 'ListFragments']);
  });

  it('routes an unsigned REST request by its path, and refuses it in that API protocol', async () => {
    const before = calls.length;
    const res = await fetch(`${url}/describeStream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"StreamName":"cam-1"}',
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.__type, undefined, 'restJson1 errors carry no __type');
    assert.equal(calls.length, before, 'no handler ran');
  });

  it('reads the credential scope of a presigned URL from its query', async () => {
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDPRESIGNED/20261202/eu-north-1/kinesisvideo/aws4_request',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Date': '20261202T000000Z',
      'X-Amz-Signature': '00',
    });
    const res = await fetch(`${url}/describeStream?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"StreamName":"cam-1"}',
    });
    assert.equal(res.status, 200);
    const call = calls.at(-1)!;
    assert.deepEqual([call.service, call.operation, call.ctx.region], ['video', 'DescribeStream', 'eu-north-1']);
    assert.deepEqual(call.ctx.principal, { accessKeyId: 'AKIDPRESIGNED' });
  });

  it('serves CloudWatch (awsQuery) to its own SDK client, the answer carrying the request id', async () => {
    const cloudwatch = new CloudWatchClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
      protocol: AwsQueryProtocol as never,
    });
    try {
      const answer = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'App' }));
      assert.deepEqual(answer.Metrics, [{ Namespace: 'App', MetricName: 'Latency', Dimensions: [] }]);
      const call = calls.at(-1)!;
      assert.deepEqual([call.service, call.operation, call.input], ['cloudwatch', 'ListMetrics', { Namespace: 'App' }]);
      assert.equal(answer.$metadata.requestId, call.ctx.requestId);
    } finally {
      cloudwatch.destroy();
    }
  });

  // The time limit only keeps a regression (a response never ended) from hanging the suite.
  it('resets a streamed answer that fails midway, and reports the failure', { timeout: 30_000 }, async () => {
    const authorization = `AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00`;
    const getMedia = async () => {
      const res = await fetch(`${url}/getMedia`, {
        method: 'POST',
        headers: { authorization, 'x-amz-date': '20261202T000000Z', 'content-type': 'application/json' },
        body: JSON.stringify({ StreamName: 'cam-1', StartSelector: { StartSelectorType: 'NOW' } }),
      });
      return res.arrayBuffer();
    };
    // Headers and the first chunk may or may not reach the client before the reset; a clean end never does.
    await assert.rejects(getMedia());
    assert.equal((internalErrors.at(-1) as Error).message, 'the media source broke');
    assert.equal(calls.at(-1)!.operation, 'GetMedia');
    const after = await fetch(`${url}/describeStream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...formOnlySignature('us-east-1', 'kinesisvideo') },
      body: '{"StreamName":"cam-1"}',
    });
    assert.equal(after.status, 200, 'the node still serves');
  });

  it('refuses a body over the limit in the protocol of the service it was for', async () => {
    const authorization = `AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00`;
    const res = await fetch(`${url}/describeStream`, {
      method: 'POST',
      headers: { authorization, 'x-amz-date': '20261202T000000Z', 'content-type': 'application/json' },
      body: JSON.stringify({ StreamName: 'x'.repeat(2 << 20) }),
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.__type, undefined, 'restJson1 errors carry no __type');
    assert.equal(body.message, 'Request entity too large');
  });
});
