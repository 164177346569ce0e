/**
 * The audit log: a scripted session through SDK v3 (create, put, get, a refused call, delete)
 * gives its lines in order with CloudTrail's fields; the file is rotated by size and keeps the
 * configured number of old files; a full queue drops and counts lines instead of making a call
 * wait (a writer that never finishes); every queued line is written before close resolves.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import type { Logger } from '../../src/core/logger.js';
import { AuditLog, RotatingFileSink, type AuditSink } from '../../src/security/audit/index.js';
import { rejects } from '../helpers/api.js';
import { TEST_CREDENTIALS } from '../helpers/clients.js';
import { startNode } from '../helpers/fixture.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'freshet-audit-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function readLines(file: string): Array<Record<string, any>> {
  const text = readFileSync(file, 'utf8');
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, any>);
}

/** A logger that keeps its error-level calls. */
function recordingLogger(): { logger: Logger; errors: unknown[][] } {
  const errors: unknown[][] = [];
  const ignore = () => {};
  const logger = { error: (...args: unknown[]) => errors.push(args), warn: ignore, info: ignore, debug: ignore } as unknown as Logger;
  return { logger, errors };
}

describe('the audit log of a session', () => {
  it('has one line per call, in order, with the caller, the operation, the stream and the outcome', async () => {
    const file = join(dir, 'session.log');
    const node = await startNode({ clock: 'manual', auditLog: { file } });
    const stream = 'audited';
    const arn = `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`;
    try {
      await node.kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      await node.waitForStream(stream);
      const { ShardId } = await node.kinesis.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: 'pk-secret', Data: Buffer.from('payload-secret') }),
      );
      const { ShardIterator } = await node.kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      await node.kinesis.send(new GetRecordsCommand({ ShardIterator }));
      await rejects(node.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'absent' })), { name: 'ResourceNotFoundException' });
      await node.kinesis.send(new DeleteStreamCommand({ StreamName: stream }));
    } finally {
      await node.dispose(); // close() writes every queued line
    }
    const lines = readLines(file);
    assert.deepEqual(
      lines.map((l) => l.eventName),
      ['CreateStream', 'PutRecord', 'GetShardIterator', 'GetRecords', 'DescribeStreamSummary', 'DeleteStream'],
    );
    const eventTime = new Date(node.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const line of lines) {
      assert.equal(line.eventVersion, '1.09');
      assert.equal(line.eventSource, 'kinesis.amazonaws.com');
      assert.equal(line.eventType, 'AwsApiCall');
      assert.equal(line.awsRegion, 'us-east-1');
      assert.equal(line.recipientAccountId, '000000000000');
      assert.equal(line.sourceIPAddress, '127.0.0.1');
      assert.match(line.userAgent, /^aws-sdk-js\//);
      assert.match(line.requestID, /^[0-9a-f-]{36}$/);
      assert.match(line.eventID, /^[0-9a-f-]{36}$/);
      assert.equal(line.eventTime, eventTime, 'the node clock, to the second');
      // Without --auth only the access key is known.
      assert.deepEqual(line.userIdentity, { type: 'Unknown', accessKeyId: TEST_CREDENTIALS.accessKeyId });
    }
    const byName = new Map(lines.map((l) => [l.eventName as string, l]));
    const create = byName.get('CreateStream')!;
    assert.deepEqual(create.requestParameters, { streamName: stream, shardCount: 1 });
    assert.deepEqual(create.resources, [{ accountId: '000000000000', type: 'AWS::Kinesis::Stream', ARN: arn }]);
    assert.equal(create.managementEvent, true);
    assert.equal(create.eventCategory, 'Management');
    assert.equal(create.readOnly, false);
    assert.equal(create.errorCode, undefined);
    const put = byName.get('PutRecord')!;
    assert.equal(put.managementEvent, false, 'PutRecord is a data event');
    assert.equal(put.eventCategory, 'Data');
    assert.deepEqual(put.requestParameters, { streamName: stream });
    assert.equal(byName.get('GetRecords')!.eventCategory, 'Data');
    assert.equal(byName.get('GetRecords')!.readOnly, true);
    assert.equal(byName.get('GetShardIterator')!.requestParameters.shardIteratorType, 'TRIM_HORIZON');
    const refused = byName.get('DescribeStreamSummary')!;
    assert.equal(refused.errorCode, 'ResourceNotFoundException');
    assert.equal(refused.errorMessage, 'Stream absent under account 000000000000 not found.');
    // Record data, partition keys and iterators never reach the log.
    const text = readFileSync(file, 'utf8');
    for (const secret of ['payload-secret', Buffer.from('payload-secret').toString('base64'), 'pk-secret', 'shardIterator"']) {
      assert.ok(!text.includes(secret), `the log does not hold ${secret}`);
    }
  });
});

describe('the audit log file', () => {
  it('is rotated by size: FILE -> FILE.1 -> FILE.2, keeping --audit-log-keep files, no file past the limit', async () => {
    const file = join(dir, 'rotated.log');
    const sink = await RotatingFileSink.open({ file, maxBytes: 100, keep: 2 });
    const line = (i: number) => `${JSON.stringify({ n: i, pad: 'x'.repeat(20) })}\n`; // 37 or 38 bytes
    const written = Array.from({ length: 20 }, (_, i) => line(i));
    await sink.write(written.slice(0, 7));
    for (const one of written.slice(7)) await sink.write([one]);
    await sink.close();
    assert.ok(!existsSync(`${file}.3`), 'only two rotated files are kept');
    const kept = [`${file}.2`, `${file}.1`, file].map((path) => {
      assert.ok(statSync(path).size <= 100, `${path} is within the limit`);
      return readFileSync(path, 'utf8');
    });
    // The newest lines, in order, across the oldest kept file to the current one.
    const all = kept.join('');
    assert.ok(written.join('').endsWith(all), 'the kept files hold the last lines in order');
    assert.equal(all.split('\n').length - 1, 6, 'two lines a file');
  });

  it('drops and counts lines when the queue is full instead of making calls wait, and logs that once', async () => {
    let release!: () => void;
    const received: string[] = [];
    const stuck: AuditSink = {
      write: (lines) => {
        received.push(...lines);
        return new Promise((resolve) => (release = resolve));
      },
      close: () => Promise.resolve(),
    };
    const { logger, errors } = recordingLogger();
    const audit = new AuditLog({ sink: stuck, logger, now: () => 0, maxQueuedLines: 3 });
    audit.append('first'); // taken by the writer, which then never finishes
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(received, ['first\n']);
    for (let i = 0; i < 10; i++) audit.append(`line ${i}`); // returns at once, writer stuck or not
    assert.equal(audit.dropped, 7, 'three queued, seven dropped');
    assert.equal(errors.length, 1, 'one error for the drops in 10 s');
    assert.match(String(errors[0]![1]), /dropped/);
    // Once the writer is free the queued lines go out, and close() waits for them.
    const closing = audit.close();
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await closing;
    assert.deepEqual(received, ['first\n', 'line 0\n', 'line 1\n', 'line 2\n']);
  });

  it('writes every queued line before close resolves', async () => {
    const file = join(dir, 'flushed.log');
    const sink = await RotatingFileSink.open({ file, maxBytes: 1 << 20, keep: 1 });
    const slow: AuditSink = {
      write: async (lines) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await sink.write(lines);
      },
      close: () => sink.close(),
    };
    const audit = new AuditLog({ sink: slow, logger: recordingLogger().logger, now: () => 0 });
    for (let i = 0; i < 100; i++) {
      audit.append(JSON.stringify({ i }));
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await audit.close();
    assert.deepEqual(
      readLines(file).map((l) => l.i),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });
});
