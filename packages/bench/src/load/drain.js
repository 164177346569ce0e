import { KinesisHttp } from '../kinesis/http.js';
import { listShardIds } from '../kinesis/streams.js';
import { LatencySamples } from '../util/stats.js';

/**
 * How the drain client reads a GetRecords answer, each with its label in reports.
 * - `scan` finds the records and the fields it needs in the bytes, without building them as
 *   objects: like the pre-built PutRecords bodies, it keeps the client's own cost from hiding the
 *   server's (JSON.parse of a 14 MB answer costs this client more than most servers take to
 *   write it).
 * - `parse` reads the answer with JSON.parse, as a consumer would.
 */
export const DRAIN_READERS = { scan: 'byte scan', parse: 'JSON.parse' };

/**
 * Reads a stream from TRIM_HORIZON to its end with GetRecords (Limit 10,000), all shards at once,
 * one reader per shard as a consumer would. A shard is drained when a call returns no records and
 * MillisBehindLatest is 0 (or absent); the whole drain stops at `expectedRecords` or `timeCapMs`.
 * `recordSize` (the size the records were written with) gives the data bytes of a scanned answer.
 */
export async function drain({ endpoint, streamName, expectedRecords, timeCapMs, reader = 'parse', recordSize }) {
  if (!Object.hasOwn(DRAIN_READERS, reader)) throw new Error(`unknown drain reader ${reader}`);
  const client = new KinesisHttp(endpoint, { maxSockets: 64 });
  const shardIds = await listShardIds(client, streamName);
  const callLatency = new LatencySamples();
  const totals = { records: 0, bytes: 0, calls: 0, emptyCalls: 0 };
  const start = performance.now();
  const deadline = start + timeCapMs;
  let finishedAt = start;

  async function readShard(shardId) {
    let { ShardIterator: iterator } = await client.call('GetShardIterator', {
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    while (iterator && totals.records < expectedRecords && performance.now() < deadline) {
      const sentAt = performance.now();
      const answer = await getRecords(client, iterator, reader, recordSize);
      finishedAt = performance.now();
      callLatency.add(finishedAt - sentAt);
      totals.calls++;
      totals.records += answer.count;
      totals.bytes += answer.bytes;
      if (answer.count === 0) {
        totals.emptyCalls++;
        if (!answer.millisBehindLatest) return;
      }
      iterator = answer.nextIterator;
    }
  }

  try {
    await Promise.all(shardIds.map(readShard));
  } finally {
    client.close();
  }
  const elapsedMs = Math.max(1, finishedAt - start);
  return {
    ...totals,
    reader,
    shards: shardIds.length,
    elapsedMs,
    timedOut: totals.records < expectedRecords && performance.now() >= deadline,
    recordsPerSecond: (totals.records * 1000) / elapsedMs,
    bytesPerSecond: (totals.bytes * 1000) / elapsedMs,
    callLatencyMs: callLatency.summary(),
  };
}

/** One GetRecords call: {count, bytes, nextIterator, millisBehindLatest}. */
async function getRecords(client, iterator, reader, recordSize) {
  if (reader === 'parse') {
    const answer = await client.call('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
    let bytes = 0;
    for (const record of answer.Records) bytes += Math.floor((record.Data.length * 3) / 4);
    return { count: answer.Records.length, bytes, nextIterator: answer.NextShardIterator, millisBehindLatest: answer.MillisBehindLatest };
  }
  const body = await client.callForBytes('GetRecords', { ShardIterator: iterator, Limit: 10_000 });
  const count = countKeys(body, SEQUENCE_NUMBER_KEY);
  return {
    count,
    bytes: count * recordSize,
    nextIterator: stringField(body, NEXT_ITERATOR_KEY),
    millisBehindLatest: numberField(body, MILLIS_BEHIND_KEY),
  };
}

// A quote inside a JSON string is always escaped, so `"Key"` followed by a colon can only be an
// object key: these byte searches cannot be fooled by record data or partition keys.
const SEQUENCE_NUMBER_KEY = Buffer.from('"SequenceNumber"');
const NEXT_ITERATOR_KEY = Buffer.from('"NextShardIterator"');
const MILLIS_BEHIND_KEY = Buffer.from('"MillisBehindLatest"');

/** How many times `key` appears in `body` (every record has one SequenceNumber key). */
function countKeys(body, key) {
  let count = 0;
  for (let at = body.indexOf(key); at >= 0; at = body.indexOf(key, at + key.length)) count++;
  return count;
}

/** The raw text after `"Key"` and its colon, up to the next `,` or `}`. Searched from the end:
 * top-level fields written after the records are found at once, and any other place still works. */
function rawField(body, key) {
  const at = body.lastIndexOf(key);
  if (at < 0) return undefined;
  let i = at + key.length;
  while (body[i] === 0x20 || body[i] === 0x3a) i++; // spaces and the colon
  let end = i;
  if (body[i] === 0x22)
    end = body.indexOf(0x22, i + 1) + 1; // a string: iterators hold no quote
  else while (end < body.length && body[end] !== 0x2c && body[end] !== 0x7d) end++;
  return body.toString('latin1', i, end).trim();
}

function stringField(body, key) {
  const raw = rawField(body, key);
  return raw && raw !== 'null' ? JSON.parse(raw) : undefined;
}

function numberField(body, key) {
  const raw = rawField(body, key);
  return raw === undefined ? undefined : Number(raw);
}
