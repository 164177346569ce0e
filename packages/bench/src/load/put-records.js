import http from 'node:http';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { KinesisHttp, errorType } from '../kinesis/http.js';
import { distinctBodyCount, partitionKey, putRecordsBody, recordData } from '../kinesis/records.js';
import { closedLoop } from './closed-loop.js';

const FAILED_RECORD_COUNT = /"FailedRecordCount"\s*:\s*(\d+)/;

/**
 * PutRecords with pre-built, pre-signed bodies over raw HTTP: the client only writes bytes and
 * reads the answer's FailedRecordCount, so nearly all the CPU left goes to the server.
 */
export async function putRecordsRaw({ endpoint, streamName, recordSize, perCall, concurrency, warmupMs, durationMs, maxRecords }) {
  const client = new KinesisHttp(endpoint, { maxSockets: concurrency });
  const requests = Array.from({ length: distinctBodyCount(recordSize, perCall) }, (_, i) =>
    client.prepare('PutRecords', putRecordsBody(streamName, recordSize, perCall, i)),
  );
  let next = 0;
  const call = async () => {
    const { status, body } = await client.send(requests[next++ % requests.length]);
    if (status !== 200) return { records: 0, bytes: 0, failedRecords: perCall, error: errorType(body) };
    const failed = Number(
      FAILED_RECORD_COUNT.exec(body.toString('latin1', 0, Math.min(body.length, 256)))?.[1] ??
        FAILED_RECORD_COUNT.exec(body.toString('latin1'))?.[1] ??
        0,
    );
    return {
      records: perCall - failed,
      bytes: (perCall - failed) * recordSize,
      failedRecords: failed,
      error: failed ? 'PartialFailure' : undefined,
    };
  };
  try {
    const result = await closedLoop({ concurrency, warmupMs, durationMs, maxRecords, call });
    return { ...result, requestBytes: requests[0].body.length };
  } finally {
    client.close();
  }
}

/**
 * The same load through @aws-sdk/client-kinesis v3: what an application sees, client cost included.
 * `transport: 'h2'` keeps the SDK's default for Kinesis, NodeHttp2Handler, which speaks HTTP/2
 * (cleartext h2c against an http:// endpoint); `'http1'` passes a NodeHttpHandler with a
 * keep-alive agent, which servers that only speak HTTP/1.1 (both peers) need.
 */
export async function putRecordsSdk({ endpoint, streamName, recordSize, perCall, concurrency, warmupMs, durationMs, transport }) {
  const client = new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
    // One attempt: a throttle or error must show in the figures, not vanish into retries.
    maxAttempts: 1,
    ...(transport === 'http1'
      ? { requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency }) }) }
      : {}),
  });
  const inputs = Array.from({ length: distinctBodyCount(recordSize, perCall) }, (_, b) => {
    const data = new Uint8Array(recordData(recordSize));
    return {
      StreamName: streamName,
      Records: Array.from({ length: perCall }, (_, i) => ({ Data: data, PartitionKey: partitionKey(b, i) })),
    };
  });
  let next = 0;
  const call = async () => {
    try {
      const { FailedRecordCount: failed = 0 } = await client.send(new PutRecordsCommand(inputs[next++ % inputs.length]));
      return {
        records: perCall - failed,
        bytes: (perCall - failed) * recordSize,
        failedRecords: failed,
        error: failed ? 'PartialFailure' : undefined,
      };
    } catch (error) {
      return { records: 0, bytes: 0, failedRecords: perCall, error: error.code ?? error.name ?? 'Error' };
    }
  };
  try {
    return await closedLoop({ concurrency, warmupMs, durationMs, call });
  } finally {
    client.destroy();
  }
}
