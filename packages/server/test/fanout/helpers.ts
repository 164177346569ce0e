/**
 * Helpers for the enhanced fan-out tests: servers with instant consumer transitions, consumers
 * made ACTIVE, subscriptions read through SDK v3 until a condition, a raw HTTP/2 subscriber
 * (which can stall, pause or vanish at will), and the server's memory as the kernel sees it.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import {
  DescribeStreamConsumerCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type _Record,
  type KinesisClient,
  type StartingPosition,
  type SubscribeToShardEvent,
} from '@aws-sdk/client-kinesis';
import { EventStreamDecoder, type DecodedMessage } from '@freshet/aws';
import type { ManualClock } from '../../src/core/clock.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { formOnlySignature } from '../helpers/signing.js';

/** A server whose consumers become ACTIVE (and go away) at once, with extra CLI arguments. */
export function startFanoutServer(args: string[] = [], dataDir?: string): Promise<TestServer> {
  const defaults = ['--register-consumer-ms', '0', '--deregister-consumer-ms', '0'];
  const given = new Set(args.filter((arg) => arg.startsWith('--')));
  const extra: string[] = [];
  for (let i = 0; i < defaults.length; i += 2) if (!given.has(defaults[i]!)) extra.push(defaults[i]!, defaults[i + 1]!);
  return startServer({ args: [...args, ...extra], ...(dataDir ? { dataDir } : {}) });
}

/**
 * Registers a consumer and waits until it is ACTIVE; returns its ARN. On a manual clock, time is
 * moved on 100 ms at a time while the consumer is CREATING, instead of waiting for it.
 */
export async function activeConsumer(client: KinesisClient, streamArn: string, name: string, clock?: ManualClock): Promise<string> {
  const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }));
  const arn = Consumer!.ConsumerARN!;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { ConsumerDescription } = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }));
    if (ConsumerDescription!.ConsumerStatus === 'ACTIVE') return arn;
    assert.ok(Date.now() < deadline, `consumer ${name} did not become ACTIVE`);
    await (clock ? clock.advance(100) : sleep(10));
  }
}

/** Writes `count` records to a stream, `batch` per PutRecords; data is `prefix-i`. */
export async function putNumbered(
  client: KinesisClient,
  streamName: string,
  count: number,
  options: { prefix?: string; batch?: number; partitionKey?: (i: number) => string; explicitHashKey?: string; pad?: number } = {},
): Promise<void> {
  const batch = options.batch ?? 500;
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    const Records = [];
    for (let i = start; i < end; i++) {
      const text = `${options.prefix ?? 'r'}-${i}`;
      Records.push({
        PartitionKey: options.partitionKey?.(i) ?? 'key',
        Data: Buffer.from(options.pad ? text.padEnd(options.pad, '.') : text),
        ...(options.explicitHashKey ? { ExplicitHashKey: options.explicitHashKey } : {}),
      });
    }
    const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records }));
    assert.equal(out.FailedRecordCount, 0);
  }
}

export interface Collected {
  events: SubscribeToShardEvent[];
  records: _Record[];
  /** The server ended the stream (rather than the test stopping it). */
  endedByServer: boolean;
  /** An error event, or a failure of the call itself. */
  error?: Error & { $metadata?: { httpStatusCode?: number } };
}

/**
 * Subscribes through SDK v3 and collects events until `until(collected)` holds (then aborts the
 * call, which closes the HTTP/2 stream), the server ends the stream, or the time is up.
 */
export async function collect(
  client: KinesisClient,
  input: { ConsumerARN: string; ShardId: string; StartingPosition: StartingPosition },
  options: {
    until?: (c: Collected) => boolean;
    timeoutMs?: number;
    onEvent?: (event: SubscribeToShardEvent) => Promise<void> | void;
    /** Stops collecting (as `until` would) when it fires. */
    stop?: AbortSignal;
  } = {},
): Promise<Collected> {
  const collected: Collected = { events: [], records: [], endedByServer: false };
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 15_000);
  options.stop?.addEventListener('abort', () => abort.abort(), { once: true });
  try {
    const out = await subscribeRetryingInUse(client, input, abort.signal);
    let stopped = false;
    for await (const event of out.EventStream!) {
      const e = event.SubscribeToShardEvent;
      assert.ok(e, `unexpected event ${JSON.stringify(Object.keys(event))}`);
      collected.events.push(e);
      collected.records.push(...(e.Records ?? []));
      await options.onEvent?.(e);
      if (options.until?.(collected)) {
        stopped = true;
        break;
      }
    }
    if (!stopped && !abort.signal.aborted) collected.endedByServer = true;
  } catch (err) {
    if (!abort.signal.aborted) collected.error = err as Collected['error'];
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return collected;
}

/**
 * A subscription aborted by the client is released when the server sees the stream reset, which
 * can be a moment after the abort: like real clients (KCL), retry ResourceInUseException briefly.
 */
async function subscribeRetryingInUse(
  client: KinesisClient,
  input: { ConsumerARN: string; ShardId: string; StartingPosition: StartingPosition },
  signal: AbortSignal,
) {
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      return await client.send(new SubscribeToShardCommand(input), { abortSignal: signal });
    } catch (err) {
      if ((err as Error).name !== 'ResourceInUseException' || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

export const dataOf = (records: readonly _Record[]) => records.map((r) => Buffer.from(r.Data ?? []).toString('utf8'));

export function numbered(count: number, prefix = 'r', from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${from + i}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RawEvent {
  Records: Array<{ Data: string; SequenceNumber: string; PartitionKey: string }>;
  ContinuationSequenceNumber?: string;
  MillisBehindLatest: number;
  ChildShards?: unknown[];
}

/** A SubscribeToShard over a raw HTTP/2 stream: the test decides when (and whether) to read. */
export class RawSubscription {
  readonly session: ClientHttp2Session;
  readonly stream: ClientHttp2Stream;
  readonly messages: DecodedMessage[] = [];
  readonly decoder = new EventStreamDecoder();
  status: number | undefined;
  headers: Record<string, unknown> = {};
  bytes = 0;
  ended = false;
  /** The body of a response other than 200. */
  errorBody = Buffer.alloc(0);
  private readonly parsed: RawEvent[] = [];
  private readonly data: string[] = [];
  private waiters: Array<() => void> = [];

  constructor(url: string, input: object, contentType = 'application/x-amz-json-1.1', body?: Buffer) {
    this.session = connect(url);
    this.session.on('error', () => {});
    this.stream = this.session.request({
      ':method': 'POST',
      ':path': '/',
      'content-type': contentType,
      'x-amz-target': 'Kinesis_20131202.SubscribeToShard',
      ...formOnlySignature(),
    });
    this.stream.on('error', () => {});
    this.stream.on('response', (headers) => {
      this.status = Number(headers[':status']);
      this.headers = headers;
      this.notify();
    });
    this.stream.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (this.status !== 200) {
        this.errorBody = Buffer.concat([this.errorBody, chunk]);
        return this.notify();
      }
      for (const message of this.decoder.push(chunk)) {
        const isEvent = message.headers[':event-type'] === 'SubscribeToShardEvent';
        if (isEvent && message.headers[':content-type'] === 'application/json') {
          const event = JSON.parse(message.payload.toString('utf8')) as RawEvent;
          this.parsed.push(event);
          for (const record of event.Records) this.data.push(Buffer.from(record.Data, 'base64').toString('utf8'));
          // Big payloads are not kept twice.
          this.messages.push({ headers: message.headers, payload: Buffer.alloc(0) });
        } else {
          this.messages.push(message);
        }
      }
      this.notify();
    });
    this.stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    this.stream.on('close', () => {
      this.ended = true;
      this.notify();
    });
    this.stream.end(body ?? Buffer.from(JSON.stringify(input)));
  }

  /** Events of type SubscribeToShardEvent with JSON payloads, parsed as they arrive. */
  events(): RawEvent[] {
    return this.parsed;
  }

  /** The data of every record received so far, as UTF-8. */
  records(): string[] {
    return this.data;
  }

  async waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.stream.close();
    this.session.destroy();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Resident memory of a process in bytes (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  assert.ok(match, 'VmRSS in /proc/<pid>/status');
  return Number(match[1]) * 1024;
}
