/**
 * awsQuery against the real AWS SDK v3 CloudWatch client, switched to its awsQuery protocol: its
 * serializer builds the forms we decode, its XML deserializer reads the answers we encode. Python's
 * xml.etree reads our XML as a second, unrelated reader.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { AwsError, loadModel, queryCodec, type HttpRequestParts } from '../src/index.js';
import { loopHandler, testCredentials, type Served } from './helpers/sdkLoop.js';

const cloudwatch = loadModel('cloudwatch-2010-08-01');

function client(handle: (op: string, input: any) => unknown, served: Served = {}) {
  return new CloudWatchClient({
    region: 'us-east-1',
    endpoint: 'http://localhost:4567',
    credentials: testCredentials,
    maxAttempts: 1,
    protocol: AwsQueryProtocol as any,
    requestHandler: loopHandler(cloudwatch, queryCodec, handle, served),
  });
}

function form(body: string): HttpRequestParts {
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(body),
  };
}

describe('awsQuery: CloudWatch through the SDK', () => {
  it('PutMetricData: lists of structures, nested lists, numbers and timestamps come out of the form', async () => {
    const served: Served = {};
    const at = new Date('2024-03-04T05:06:07.089Z');
    await client(() => undefined, served).send(
      new PutMetricDataCommand({
        Namespace: 'App/Orders',
        MetricData: [
          {
            MetricName: 'Latency',
            Value: 12.5,
            Unit: 'Milliseconds',
            Timestamp: at,
            Dimensions: [
              { Name: 'Stage', Value: 'prod' },
              { Name: 'Host', Value: 'a b&c' },
            ],
          },
          { MetricName: 'Count', Values: [1, 2, 3], Counts: [4, 5, 6], StorageResolution: 1 },
        ],
      }),
    );
    assert.equal(served.operation, 'PutMetricData');
    assert.match(served.request!.body.toString(), /MetricData\.member\.1\.Dimensions\.member\.2\.Value=a%20b%26c/);
    assert.deepEqual(served.input, {
      Namespace: 'App/Orders',
      MetricData: [
        {
          MetricName: 'Latency',
          Value: 12.5,
          Unit: 'Milliseconds',
          Timestamp: at,
          Dimensions: [
            { Name: 'Stage', Value: 'prod' },
            { Name: 'Host', Value: 'a b&c' },
          ],
        },
        { MetricName: 'Count', Values: [1, 2, 3], Counts: [4, 5, 6], StorageResolution: 1 },
      ],
    });
  });

  it('GetMetricStatistics: the result inside its resultWrapper reaches the SDK', async () => {
    const served: Served = {};
    const start = new Date('2024-01-01T00:00:00Z');
    const out = await client(
      () => ({
        Label: 'Latency',
        Datapoints: [
          { Timestamp: start, Average: 10.25, Maximum: 20, Unit: 'Milliseconds' },
          {
            Timestamp: new Date(start.getTime() + 60_000),
            Average: 11,
            SampleCount: 3,
            Unit: 'Milliseconds',
            ExtendedStatistics: { p99: 19.5 },
          },
        ],
      }),
      served,
    ).send(
      new GetMetricStatisticsCommand({
        Namespace: 'App',
        MetricName: 'Latency',
        StartTime: start,
        EndTime: new Date(start.getTime() + 3_600_000),
        Period: 60,
        Statistics: ['Average', 'Maximum'],
      }),
    );
    assert.deepEqual((served.input as any).Statistics, ['Average', 'Maximum']);
    assert.equal((served.input as any).Period, 60);
    assert.equal(out.Label, 'Latency');
    assert.equal(out.Datapoints?.length, 2);
    assert.equal(out.Datapoints?.[0]?.Timestamp?.getTime(), start.getTime());
    assert.equal(out.Datapoints?.[0]?.Average, 10.25);
    assert.equal(out.Datapoints?.[1]?.SampleCount, 3);
    assert.deepEqual(out.Datapoints?.[1]?.ExtendedStatistics, { p99: 19.5 });
  });

  it('ListMetrics: a missing required nested member is a MissingParameter naming its form key', async () => {
    await assert.rejects(
      client(() => assert.fail('not reached')).send(new ListMetricsCommand({ Dimensions: [{ Value: 'x' } as any] })),
      (err: any) => {
        // The model's MissingRequiredParameterException travels as code MissingParameter: the SDK
        // names the error after the shape only if our code is the one the model gives it.
        assert.equal(err.name, 'MissingRequiredParameterException');
        assert.equal(err.$metadata.httpStatusCode, 400);
        assert.equal(err.message, 'The parameter Dimensions.member.1.Name is required.');
        return true;
      },
    );
  });

  it('a handler error reaches the SDK with its code, status and message', async () => {
    await assert.rejects(
      client(() => {
        throw new AwsError('ResourceNotFound', 'Alarm nope does not exist', 404);
      }).send(new ListMetricsCommand({})),
      (err: any) => {
        assert.equal(err.name, 'ResourceNotFound');
        assert.equal(err.$metadata.httpStatusCode, 404);
        assert.equal(err.message, 'Alarm nope does not exist');
        return true;
      },
    );
  });
});

describe('awsQuery: forms by hand', () => {
  it('the Action names the operation, in a body or a GET query', () => {
    assert.equal(queryCodec.operationOf(cloudwatch, form('Action=ListMetrics&Version=2010-08-01')), 'ListMetrics');
    const get: HttpRequestParts = {
      method: 'GET',
      path: '/',
      query: new URLSearchParams('Action=ListDashboards&Version=2010-08-01'),
      headers: {},
      body: Buffer.alloc(0),
    };
    assert.equal(queryCodec.operationOf(cloudwatch, get), 'ListDashboards');
    assert.equal(queryCodec.operationOf(cloudwatch, form('Action=toString')), undefined);
  });

  it('items are read in numeric order, not text order', () => {
    const input = queryCodec.decodeInput(
      cloudwatch,
      'DeleteAlarms',
      form('Action=DeleteAlarms&AlarmNames.member.10=j&AlarmNames.member.2=b&AlarmNames.member.1=a'),
    ) as any;
    assert.deepEqual(input.AlarmNames, ['a', 'b', 'j']);
  });

  it('a top-level missing member: "The parameter MetricName is required."', () => {
    assert.throws(
      () =>
        queryCodec.decodeInput(
          cloudwatch,
          'GetMetricStatistics',
          form('Action=GetMetricStatistics&Namespace=A&StartTime=2024-01-01T00:00:00Z&EndTime=2024-01-02T00:00:00Z&Period=60'),
        ),
      (err: any) => err.code === 'MissingParameter' && err.message === 'The parameter MetricName is required.' && err.status === 400,
    );
  });

  it('a value outside its enum is a ValidationError in Coral words', () => {
    assert.throws(
      () => queryCodec.decodeInput(cloudwatch, 'SetAlarmState', form('Action=SetAlarmState&AlarmName=abc&StateValue=mno&StateReason=xyz')),
      (err: any) => {
        assert.equal(err.code, 'ValidationError');
        assert.equal(
          err.message,
          "1 validation error detected: Value 'mno' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]",
        );
        return true;
      },
    );
  });

  it('a number that is not one is an InvalidParameterValue naming the key', () => {
    assert.throws(
      () =>
        queryCodec.decodeInput(
          cloudwatch,
          'PutMetricData',
          form('Action=PutMetricData&Namespace=A&MetricData.member.1.MetricName=m&MetricData.member.1.Value=abc'),
        ),
      (err: any) =>
        err.code === 'InvalidParameterValue' && err.message.includes('MetricData.member.1.Value') && err.message.includes("'abc'"),
    );
  });

  it('an answer and an error parse in python as the documented XML', () => {
    const answer = queryCodec.encodeOutput(
      cloudwatch,
      'ListMetrics',
      { Metrics: [{ Namespace: 'A<&>', MetricName: 'm', Dimensions: [{ Name: 'n', Value: 'v' }] }], NextToken: 't' },
      'rid-9',
    );
    const error = queryCodec.encodeError(cloudwatch, new AwsError('InvalidParameterValue', 'bad "value" <here>'), 'rid-10');
    const script = `
import sys, xml.etree.ElementTree as ET
ns = {'cw': 'http://monitoring.amazonaws.com/doc/2010-08-01/'}
root = ET.fromstring(sys.argv[1])
assert root.tag == '{http://monitoring.amazonaws.com/doc/2010-08-01/}ListMetricsResponse', root.tag
m = root.find('cw:ListMetricsResult/cw:Metrics/cw:member', ns)
print(m.find('cw:Namespace', ns).text)
print(m.find('cw:Dimensions/cw:member/cw:Value', ns).text)
print(root.find('cw:ListMetricsResult/cw:NextToken', ns).text)
print(root.find('cw:ResponseMetadata/cw:RequestId', ns).text)
err = ET.fromstring(sys.argv[2])
print(err.find('cw:Error/cw:Type', ns).text, err.find('cw:Error/cw:Code', ns).text, err.find('cw:Error/cw:Message', ns).text, err.find('cw:RequestId', ns).text)
`;
    const printed = execFileSync('python3', ['-c', script, String(answer.body), String(error.body)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    assert.deepEqual(printed, ['A<&>', 'v', 't', 'rid-9', 'Sender InvalidParameterValue bad "value" <here> rid-10']);
  });
});
