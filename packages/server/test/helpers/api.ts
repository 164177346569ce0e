/**
 * Small helpers for the client-level API tests: expected AWS errors, streams made ACTIVE, shards
 * read to their end, and the hash-key arithmetic the tests check routing against.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record,
  type CreateStreamCommandInput,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { waitForStatus } from './clients.js';

/** The account a test server runs as (its --account default). */
export const ACCOUNT = '000000000000';

export interface ExpectedError {
  name: string;
  /** The exact message, or a pattern it must match. */
  message?: string | RegExp;
  status?: number;
}

/** Awaits a call that must fail with AWS's error type (err.name) and, if given, message and status. */
export async function rejects(call: Promise<unknown>, expected: ExpectedError): Promise<Error> {
  let failure: unknown;
  try {
    const result = await call;
    assert.fail(`expected ${expected.name}, but the call succeeded with ${JSON.stringify(result)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    failure = err;
  }
  const err = failure as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
  assert.equal(err.name, expected.name, `error type (message: ${err.message})`);
  assert.match(err.$metadata?.requestId ?? '', /^[0-9a-f-]{36}$/, 'the error answer carries x-amzn-RequestId');
  if (typeof expected.message === 'string') assert.equal(err.message, expected.message);
  else if (expected.message) assert.match(err.message, expected.message);
  if (expected.status !== undefined) assert.equal(err.$metadata?.httpStatusCode, expected.status);
  return err;
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createActiveStream(client: KinesisClient, input: CreateStreamCommandInput): Promise<string> {
  await client.send(new CreateStreamCommand(input));
  await waitForStatus(client, input.StreamName!, 'ACTIVE');
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: input.StreamName }));
  return summary.StreamDescriptionSummary!.StreamARN!;
}

/** Every shard of a stream, following NextToken. */
export async function listAllShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let next: string | undefined;
  do {
    const page = await client.send(new ListShardsCommand(next ? { NextToken: next } : { StreamName: streamName }));
    shards.push(...(page.Shards ?? []));
    next = page.NextToken;
  } while (next);
  return shards;
}

/**
 * Reads a shard from an iterator type to its current end: follows NextShardIterator until a
 * call returns no records and MillisBehindLatest is 0.
 */
export async function readShard(
  client: KinesisClient,
  streamName: string,
  shardId: string,
  from:
    | { ShardIteratorType: 'TRIM_HORIZON' | 'LATEST' }
    | { ShardIteratorType: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; StartingSequenceNumber: string }
    | { ShardIteratorType: 'AT_TIMESTAMP'; Timestamp: Date } = { ShardIteratorType: 'TRIM_HORIZON' },
  limit?: number,
): Promise<_Record[]> {
  const started = await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ...from }));
  let iterator = started.ShardIterator;
  const records: _Record[] = [];
  for (let calls = 0; iterator; calls++) {
    assert.ok(calls < 100_000, 'readShard: too many GetRecords calls');
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, ...(limit ? { Limit: limit } : {}) }));
    records.push(...(page.Records ?? []));
    iterator = page.NextShardIterator;
    if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
  }
  return records;
}

export const HASH_SPACE = 1n << 128n;
export const MAX_HASH_KEY = HASH_SPACE - 1n;

/** MD5 of the partition key (UTF-8) read as a big-endian 128-bit unsigned integer, as AWS does. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'));
}

/** The shard whose hash key range holds key. */
export function shardOwning(shards: readonly Shard[], key: bigint): Shard {
  const owner = shards.find(
    (shard) => BigInt(shard.HashKeyRange!.StartingHashKey!) <= key && key <= BigInt(shard.HashKeyRange!.EndingHashKey!),
  );
  assert.ok(owner, `no shard owns hash key ${key}`);
  return owner;
}

/** Sequence numbers are decimal strings that compare as big integers. */
export function assertIncreasing(sequenceNumbers: readonly string[], what: string): void {
  for (let i = 1; i < sequenceNumbers.length; i++) {
    assert.ok(
      BigInt(sequenceNumbers[i]!) > BigInt(sequenceNumbers[i - 1]!),
      `${what}: sequence number ${i} (${sequenceNumbers[i]}) is not above ${sequenceNumbers[i - 1]}`,
    );
  }
}

/** Polls until check() returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function text(data: Uint8Array | undefined): string {
  return Buffer.from(data ?? new Uint8Array()).toString('utf8');
}
