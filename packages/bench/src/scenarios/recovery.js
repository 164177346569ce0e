import { execFileSync } from 'node:child_process';
import { KinesisHttp } from '../kinesis/http.js';
import { createActiveStream, listShardIds } from '../kinesis/streams.js';
import { fmt, sleep } from '../util/format.js';
import { jobTimeout } from './session.js';

/**
 * Scenario 5d (opt-in: --recovery): fill a durable target with `recoveryGb` of log, kill -9 it in
 * the middle of a PutRecords load, restart it on the same data directory and time how long until
 * it answers ListStreams and then a GetRecords from TRIM_HORIZON. Only for targets that keep data
 * on disk: the in-memory peers have nothing to recover.
 */
export const recovery = {
  id: 'recovery',
  title: 'Recovery after kill -9 under load',
  durableOnly: true,
  columns: [
    { key: 'target', label: 'target' },
    { key: 'logBytes', label: 'log GB', format: (b) => (b / 1e9).toFixed(1) },
    { key: 'fillRecordsPerSecond', label: 'fill records/s', format: fmt.int },
    { key: 'listStreamsMs', label: 'to ListStreams ms', format: fmt.ms },
    { key: 'firstReadMs', label: 'to first GetRecords ms', format: fmt.ms },
  ],
  async run(ctx, target) {
    const { sizes } = ctx;
    const targetBytes = sizes.recoveryGb * 1e9;
    const streamName = `bench-recovery-${process.pid}`;
    const load = { streamName, recordSize: 1024, perCall: 500, concurrency: 8, warmupMs: 0 };
    target.keepData = true;
    try {
      await target.start();
      const admin = new KinesisHttp(target.endpoint, { maxSockets: 1 });
      await createActiveStream(admin, streamName, 4);
      admin.close();
      const fillCapSeconds = Math.max(60, sizes.recoveryGb * 120);
      const fill = await ctx.runJob(
        'putRecordsRaw',
        { ...load, endpoint: target.endpoint, durationMs: fillCapSeconds * 1000, maxRecords: Math.ceil(targetBytes / 1024) },
        jobTimeout(fillCapSeconds),
      );
      // Kill -9 while a load is running, so that the log's tail is likely mid-write.
      const underLoad = ctx
        .runJob('putRecordsRaw', { ...load, endpoint: target.endpoint, durationMs: 10_000 }, jobTimeout(10))
        .catch(() => null);
      await sleep(2_000);
      await target.kill9();
      await underLoad;
      const logBytes = directoryBytes(target.dataDir);
      const listStreamsMs = await target.start();
      const firstReadMs = listStreamsMs + (await timeFirstRead(target.endpoint, streamName));
      return [
        {
          target: target.name,
          logBytes,
          fillRecordsPerSecond: (fill.acknowledgedTotal * 1000) / fill.elapsedMs,
          listStreamsMs,
          firstReadMs,
          fill,
        },
      ];
    } finally {
      target.keepData = false;
      await target.stop();
    }
  },
};

async function timeFirstRead(endpoint, streamName) {
  const client = new KinesisHttp(endpoint, { maxSockets: 1 });
  const start = performance.now();
  try {
    const [shardId] = await listShardIds(client, streamName);
    const { ShardIterator } = await client.call('GetShardIterator', {
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    const { Records } = await client.call('GetRecords', { ShardIterator, Limit: 1 });
    if (Records.length !== 1) throw new Error('first GetRecords after recovery returned no record');
    return performance.now() - start;
  } finally {
    client.close();
  }
}

function directoryBytes(dir) {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}
