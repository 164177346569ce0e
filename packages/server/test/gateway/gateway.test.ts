/**
 * The gateway knows no service: two services built on two real models (Firehose's and Kinesis
 * Analytics'), registered side by side, each reached by its own X-Amz-Target prefix, each
 * answering bad input with its own model's rules, through the same ordered steps.
 */
import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AwsError, loadModel } from '@freshet/aws';
import type { RequestContext } from '../../src/core/context.js';
import { createGateway } from '../../src/gateway/gateway.js';
import { createDualProtocolServer, type DualProtocolServer } from '../../src/gateway/listener.js';
import { Router } from '../../src/gateway/router.js';
import { registerService } from '../../src/gateway/registry.js';
import type { Service } from '../../src/gateway/service.js';
import { signedHeaders } from '../helpers/signing.js';

interface Recorded {
  service: string;
  operation: string;
  ctx: RequestContext;
  input: unknown;
}

/** A service whose every handler records its call and answers what `outputs` holds for it. */
function recordingService(
  name: string,
  uid: string,
  calls: Recorded[],
  outputs: Record<string, unknown>,
  extra: Partial<Service> = {},
): Service {
  const handlers = new Proxy(
    {},
    {
      get: (_target, operation: string) => (ctx: RequestContext, input: unknown) => {
        calls.push({ service: name, operation, ctx, input });
        const output = outputs[operation];
        if (output instanceof Error) throw output;
        return output;
      },
    },
  );
  return { name, model: loadModel(uid), handlers, ...extra };
}

const FIREHOSE = 'firehose-2015-08-04';
const ANALYTICS = 'kinesisanalytics-2015-08-14';

describe('the gateway, with two services of two models', () => {
  const calls: Recorded[] = [];
  const internalErrors: unknown[] = [];
  let server: DualProtocolServer;
  let url: string;

  before(async () => {
    const firehose = recordingService('firehose', FIREHOSE, calls, {
      ListDeliveryStreams: { DeliveryStreamNames: ['one', 'two'], HasMoreDeliveryStreams: false },
      DeleteDeliveryStream: new Error('the disk caught fire'),
    });
    const analytics = recordingService(
      'analytics',
      ANALYTICS,
      calls,
      { ListApplications: { ApplicationSummaries: [], HasMoreApplications: false } },
      {
        hooks: {
          admit: (_ctx, operation) => {
            if (operation === 'DeleteApplication') throw new AwsError('LimitExceededException', 'Rate exceeded for DeleteApplication');
          },
        },
      },
    );
    server = createDualProtocolServer(
      createGateway({
        services: [firehose, analytics],
        account: '123456789012',
        maxBodyBytes: 1024,
        onInternalError: (err) => internalErrors.push(err),
      }),
    );
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  /** A signed call (as `headers` sign it if they have an authorization, else signed for us-east-1; `null`: unsigned). */
  async function call(target: string, body: unknown, headers: Record<string, string> | null = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const own = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...headers };
    const signed: Record<string, string> =
      headers === null || headers.authorization ? own : await signedHeaders(url, { headers: own, body: text, service: 'firehose' });
    delete signed.host;
    const res = await fetch(url, { method: 'POST', headers: signed, body: text });
    const answer = await res.text();
    return { status: res.status, headers: res.headers, body: answer ? JSON.parse(answer) : undefined };
  }

  it('routes by X-Amz-Target prefix and encodes the output by the routed model', async () => {
    const firehose = await call('Firehose_20150804.ListDeliveryStreams', { Limit: 5 });
    assert.equal(firehose.status, 200);
    assert.deepEqual(firehose.body, { DeliveryStreamNames: ['one', 'two'], HasMoreDeliveryStreams: false });
    assert.equal(firehose.headers.get('content-type'), 'application/x-amz-json-1.1');
    assert.match(firehose.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
    const analytics = await call('KinesisAnalytics_20150814.ListApplications', {});
    assert.deepEqual(analytics.body, { ApplicationSummaries: [], HasMoreApplications: false });
    assert.deepEqual(
      calls.slice(-2).map((c) => [c.service, c.operation]),
      [
        ['firehose', 'ListDeliveryStreams'],
        ['analytics', 'ListApplications'],
      ],
    );
    assert.deepEqual(calls.at(-2)!.input, { Limit: 5 });
  });

  it('fills the request context from the SigV4 credential scope', async () => {
    const authorization =
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/eu-west-3/firehose/aws4_request, SignedHeaders=host;x-amz-date, Signature=00';
    await call(
      'Firehose_20150804.ListDeliveryStreams',
      {},
      { authorization, 'x-amz-date': '20261202T000000Z', 'user-agent': 'test-agent/1' },
    );
    const { ctx } = calls.at(-1)!;
    assert.equal(ctx.region, 'eu-west-3');
    assert.equal(ctx.account, '123456789012');
    assert.deepEqual(ctx.principal, { accessKeyId: 'AKIDEXAMPLE' });
    assert.match(ctx.requestId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(ctx.sourceIp, '127.0.0.1');
    assert.equal(ctx.secureTransport, false);
    assert.equal(ctx.userAgent, 'test-agent/1');
    const before = calls.length;
    const unsigned = await call('Firehose_20150804.ListDeliveryStreams', {}, null);
    assert.equal(unsigned.status, 403, 'unsigned requests are refused');
    assert.deepEqual(unsigned.body, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    assert.equal(calls.length, before, 'and reach no handler');
  });

  it("validates each input by its own model's rules, naming that model's Java classes", async () => {
    const before = calls.length;
    const bad = await call('Firehose_20150804.CreateDeliveryStream', { DeliveryStreamName: 'a b' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.deepEqual(bad.body, {
      __type: 'ValidationException',
      message:
        "1 validation error detected: Value 'a b' at 'deliveryStreamName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+',
    });
    const analytics = await call('KinesisAnalytics_20150814.DescribeApplication', {});
    assert.equal(analytics.body.__type, 'ValidationException');
    assert.match(analytics.body.message, /at 'applicationName' failed to satisfy constraint: Member must not be null/);
    assert.equal(calls.length, before, 'no handler ran for an invalid input');
  });

  it('answers an operation the routed model lacks, and a prefix no service claims, as AWS does', async () => {
    const missing = await call('Firehose_20150804.ListStreams', {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { __type: 'UnknownOperationException' });
    const unclaimed = await call('Nobody_20990101.ListStreams', {});
    assert.deepEqual(unclaimed.body, { __type: 'UnknownOperationException' });
  });

  it("runs the service's admit hook before the handler", async () => {
    const before = calls.length;
    const refused = await call('KinesisAnalytics_20150814.DeleteApplication', { ApplicationName: 'app', CreateTimestamp: 1 });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { __type: 'LimitExceededException', message: 'Rate exceeded for DeleteApplication' });
    assert.equal(calls.length, before);
  });

  it('answers a failure that is not an AwsError as InternalFailureException, and reports it', async () => {
    const failed = await call('Firehose_20150804.DeleteDeliveryStream', { DeliveryStreamName: 'gone' });
    assert.equal(failed.status, 500);
    assert.deepEqual(failed.body, { __type: 'InternalFailureException', message: 'Internal service failure.' });
    assert.equal((internalErrors.at(-1) as Error).message, 'the disk caught fire');
  });

  it('refuses a body over the limit before routing it', async () => {
    const big = await call('Firehose_20150804.ListDeliveryStreams', JSON.stringify({ ExclusiveStartDeliveryStreamName: 'x'.repeat(2000) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.__type, 'RequestEntityTooLargeException');
  });
});

describe('registering services', () => {
  it('refuses a service without a handler for every operation of its model', () => {
    const model = loadModel(FIREHOSE);
    const handlers = Object.fromEntries(
      Object.keys(model.operations)
        .slice(1)
        .map((op) => [op, () => undefined]),
    );
    assert.throws(() => registerService({ name: 'firehose', model, handlers }), /has no handler for CreateDeliveryStream/);
  });

  it('refuses two services that claim the same target prefix', () => {
    const twice = (name: string) => registerService(recordingService(name, FIREHOSE, [], {}));
    assert.throws(() => new Router([twice('a'), twice('b')]), /both claim Firehose_20150804/);
  });
});
