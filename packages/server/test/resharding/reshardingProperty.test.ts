/**
 * Property: random sequences of SplitShard, MergeShards, UpdateShardCount and PutRecords
 * against a real server, some of the reshards interrupted by a clean stop (SIGTERM) or a crash
 * (SIGKILL) while the stream is UPDATING, and restarts of the server between steps.
 *
 * After every step: the open shards' hash key ranges partition 0..2^128-1 exactly, the shard
 * graph keeps its lineage invariants, and the shards are exactly what the step should have made
 * of them. At the end of a run the stream is read parents first (a shard only after all its
 * parents were read to their end): every acknowledged record is read exactly once, at the
 * sequence number and in the shard it was acknowledged with, in per-shard order, and the records
 * of one hash key come back in the order they were written.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
  type KinesisClient,
  type PutRecordsCommandOutput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { kinesisClient, waitForStatus } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  assertLineage,
  assertPartition,
  endOf,
  evenRanges,
  indexOf,
  isClosed,
  listShards,
  MAX_HASH_KEY,
  md5HashKey,
  readByLineage,
  shardId,
  startOf,
} from './lineage.js';

const SHARD_LIMIT = 12;
const UPDATE_MS = 150;
const SERVER_ARGS = ['--update-stream-ms', String(UPDATE_MS), '--shard-limit', String(SHARD_LIMIT)];
const STREAM = 'prop';
const HALF = 1n << 127n;

// ---- commands ---------------------------------------------------------------------------------

const HOT_KEYS = [
  ...new Set(
    [0n, 1n, 2n, HALF - 1n, HALF, HALF + 1n, MAX_HASH_KEY - 1n, MAX_HASH_KEY].concat(
      [2, 3, 4, 5, 6, 7, 8, 12].flatMap((n) => evenRanges(n).flatMap((r) => [r.start, r.end])),
    ),
  ),
];

type KeySpec = { kind: 'hot'; i: number } | { kind: 'random'; key: bigint } | { kind: 'pk'; pk: string };
type Interrupt = 'none' | 'term' | 'kill';
type Reshard =
  | { t: 'split'; pick: number; at: 'random' | 'min' | 'max' | 'tooLow' | 'tooHigh' | 'outside' | 'closed'; key: bigint }
  | { t: 'merge'; pick: number; mode: 'adjacent' | 'inverted' | 'apart' | 'closed' }
  | { t: 'scale'; frac: number; mode: 'inRange' | 'overDouble' | 'underHalf' };
type Command =
  | { t: 'put'; keys: KeySpec[] }
  | { t: 'restart'; how: 'term' | 'kill'; putInFlight: KeySpec[] }
  | { t: 'reshard'; op: Reshard; putsDuring: KeySpec[]; interrupt: Interrupt };

const keySpec: fc.Arbitrary<KeySpec> = fc.oneof(
  fc.record({ kind: fc.constant('hot' as const), i: fc.nat(HOT_KEYS.length - 1) }),
  fc.record({ kind: fc.constant('random' as const), key: fc.bigInt({ min: 0n, max: MAX_HASH_KEY }) }),
  fc.record({ kind: fc.constant('pk' as const), pk: fc.string({ minLength: 1, maxLength: 8 }) }),
);
const keys = fc.array(keySpec, { minLength: 1, maxLength: 12 });
const maybeKeys = fc.oneof(fc.constant<KeySpec[]>([]), keys);
const interrupt: fc.Arbitrary<Interrupt> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('none' as const) },
  { weight: 1, arbitrary: fc.constant('term' as const) },
  { weight: 1, arbitrary: fc.constant('kill' as const) },
);
const reshard: fc.Arbitrary<Reshard> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('split' as const),
      pick: fc.nat(),
      at: fc.oneof(
        { weight: 6, arbitrary: fc.constant('random' as const) },
        { weight: 1, arbitrary: fc.constantFrom('min' as const, 'max' as const) },
        { weight: 1, arbitrary: fc.constantFrom('tooLow' as const, 'tooHigh' as const, 'outside' as const, 'closed' as const) },
      ),
      key: fc.bigInt({ min: 0n, max: MAX_HASH_KEY }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('merge' as const),
      pick: fc.nat(),
      mode: fc.oneof(
        { weight: 5, arbitrary: fc.constant('adjacent' as const) },
        { weight: 1, arbitrary: fc.constantFrom('inverted' as const, 'apart' as const, 'closed' as const) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('scale' as const),
      frac: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      mode: fc.oneof(
        { weight: 5, arbitrary: fc.constant('inRange' as const) },
        { weight: 1, arbitrary: fc.constantFrom('overDouble' as const, 'underHalf' as const) },
      ),
    }),
  },
);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('put' as const), keys }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('restart' as const),
      how: fc.constantFrom('term' as const, 'kill' as const),
      putInFlight: maybeKeys,
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('reshard' as const), op: reshard, putsDuring: maybeKeys, interrupt }) },
);

// ---- the model --------------------------------------------------------------------------------

interface ModelShard {
  index: number;
  start: bigint;
  end: bigint;
  parents: number[];
  closed: boolean;
}

interface Written {
  id: number;
  data: string;
  partitionKey: string;
  hashKey: bigint;
  /** Written with ExplicitHashKey (else routed by the MD5 of its partition key). */
  explicit: boolean;
  /** Acknowledged (then shardId and seq are known), or in flight when the server went down. */
  certain: boolean;
  shardId?: string;
  seq?: string;
}

const toModel = (shard: Shard): ModelShard => ({
  index: indexOf(shard.ShardId!),
  start: startOf(shard),
  end: endOf(shard),
  parents: [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined).map(indexOf),
  closed: isClosed(shard),
});
const byStart = (a: { start: bigint }, b: { start: bigint }) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

/** Totals over the whole property, to prove the interesting cases happened. */
const totals = { runs: 0, steps: 0, records: 0, reshards: 0, refused: 0, killedWhileUpdating: 0, stoppedWhileUpdating: 0, restarts: 0 };

class Run {
  server!: TestServer;
  client!: KinesisClient;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'freshet-reshard-prop-'));
  shards: ModelShard[] = [];
  written: Written[] = [];
  scalingCalls = 0;

  async start(): Promise<void> {
    this.server = await startServer({ dataDir: this.dataDir, args: SERVER_ARGS });
    this.client = kinesisClient(this.server.url);
  }

  async restart(how: 'term' | 'kill'): Promise<void> {
    if (how === 'kill') await this.server.kill();
    else assert.equal(await this.server.stop(), 0, 'a clean stop exits with 0');
    this.client.destroy();
    totals.restarts++;
    await this.start();
  }

  async dispose(): Promise<void> {
    this.client?.destroy();
    await this.server?.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  open(): ModelShard[] {
    return this.shards.filter((shard) => !shard.closed).sort(byStart);
  }

  records(specs: KeySpec[]): Written[] {
    return specs.map((spec) => {
      const id = this.written.length;
      const record: Written = { id, data: `r${id}`, partitionKey: `k${id}`, hashKey: 0n, explicit: true, certain: false };
      if (spec.kind === 'pk') {
        record.partitionKey = spec.pk;
        record.hashKey = md5HashKey(spec.pk);
        record.explicit = false;
      } else {
        record.hashKey = spec.kind === 'hot' ? HOT_KEYS[spec.i]! : spec.key;
      }
      this.written.push(record);
      return record;
    });
  }

  send(batch: Written[]): Promise<PutRecordsCommandOutput> {
    return this.client.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: batch.map((r) => ({
          Data: Buffer.from(r.data),
          PartitionKey: r.partitionKey,
          ...(r.explicit ? { ExplicitHashKey: r.hashKey.toString() } : {}),
        })),
      }),
    );
  }

  acknowledge(batch: Written[], out: PutRecordsCommandOutput): void {
    assert.equal(out.FailedRecordCount, 0);
    out.Records!.forEach((entry, i) => {
      const record = batch[i]!;
      record.certain = true;
      record.shardId = entry.ShardId!;
      record.seq = entry.SequenceNumber!;
    });
    totals.records += batch.length;
  }

  /** Puts records while no reshard is pending: each goes to the open shard that owns its key. */
  async put(specs: KeySpec[]): Promise<void> {
    const batch = this.records(specs);
    this.acknowledge(batch, await this.send(batch));
    const open = this.open();
    for (const record of batch) {
      const owner = open.find((shard) => shard.start <= record.hashKey && record.hashKey <= shard.end)!;
      assert.equal(record.shardId, shardId(owner.index), `${record.data} (key ${record.hashKey}) went to the wrong shard`);
    }
  }

  /** Lists every shard; checks the lineage invariants, the partition, and AT_LATEST against them. */
  async listed(): Promise<ModelShard[]> {
    const all = await listShards(this.client, STREAM);
    assertLineage(all);
    const latest = await listShards(this.client, STREAM, { filter: { Type: 'AT_LATEST' } });
    assertPartition(latest);
    assert.deepEqual(
      latest,
      all.filter((shard) => !isClosed(shard)),
      'AT_LATEST lists exactly the open shards',
    );
    return all.map(toModel);
  }

  async expectUnchanged(): Promise<void> {
    assert.deepEqual(await this.listed(), this.shards, 'the shards changed');
  }
}

// ---- steps ------------------------------------------------------------------------------------

interface Planned {
  send: (client: KinesisClient) => Promise<unknown>;
  /** The error AWS answers with, when the request is to be refused. */
  refusedWith?: string;
  /** The shards expected after the reshard is applied (undefined: checked by `verify`). */
  expected?: (before: ModelShard[]) => ModelShard[];
  verify?: (before: ModelShard[], after: ModelShard[]) => void;
  describe: string;
}

function plan(run: Run, op: Reshard): Planned {
  const open = run.open();
  const next = run.shards.length;
  const closed = run.shards.filter((shard) => shard.closed);
  if (op.t === 'split') {
    let shard = open[op.pick % open.length]!;
    const width = shard.end - shard.start;
    let key: bigint;
    switch (op.at) {
      case 'min':
        key = shard.start + 2n;
        break;
      case 'max':
        key = shard.end - 1n;
        break;
      case 'tooLow':
        key = shard.start + 1n;
        break;
      case 'tooHigh':
        key = shard.end;
        break;
      case 'outside':
        key =
          shard.end < MAX_HASH_KEY
            ? shard.end + 1n + (op.key % (MAX_HASH_KEY - shard.end))
            : shard.start > 0n
              ? op.key % shard.start
              : shard.end;
        break;
      case 'closed':
        if (closed.length > 0) shard = closed[op.pick % closed.length]!;
        key = shard.start + 2n + (width > 2n ? op.key % (width - 2n) : 0n);
        break;
      default:
        key = width > 2n ? shard.start + 2n + (op.key % (width - 2n)) : shard.start + 2n;
    }
    const inRange = shard.start + 1n < key && key < shard.end;
    const send = (client: KinesisClient) =>
      client.send(new SplitShardCommand({ StreamName: STREAM, ShardToSplit: shardId(shard.index), NewStartingHashKey: key.toString() }));
    const describe = `split ${shard.index} [${shard.start}..${shard.end}] at ${key}`;
    if (shard.closed || !inRange) return { send, refusedWith: 'InvalidArgumentException', describe };
    if (open.length + 1 > SHARD_LIMIT) return { send, refusedWith: 'LimitExceededException', describe };
    return {
      send,
      describe,
      expected: (before) => [
        ...before.map((s) => (s.index === shard.index ? { ...s, closed: true } : s)),
        { index: next, start: shard.start, end: key - 1n, parents: [shard.index], closed: false },
        { index: next + 1, start: key, end: shard.end, parents: [shard.index], closed: false },
      ],
    };
  }
  if (op.t === 'merge') {
    const i = open.length > 1 ? op.pick % (open.length - 1) : 0;
    let [a, b] = [open[i]!, open[i + 1] ?? open[i]!];
    if (op.mode === 'inverted') [a, b] = [b, a];
    if (op.mode === 'apart' && open.length >= 3) [a, b] = [open[i % (open.length - 2)]!, open[(i % (open.length - 2)) + 2]!];
    if (op.mode === 'closed' && closed.length > 0) a = closed[op.pick % closed.length]!;
    const send = (client: KinesisClient) =>
      client.send(new MergeShardsCommand({ StreamName: STREAM, ShardToMerge: shardId(a.index), AdjacentShardToMerge: shardId(b.index) }));
    const describe = `merge ${a.index} + ${b.index}`;
    if (a.closed || b.closed || a.end + 1n !== b.start) return { send, refusedWith: 'InvalidArgumentException', describe };
    return {
      send,
      describe,
      expected: (before) => [
        ...before.map((s) => (s.index === a.index || s.index === b.index ? { ...s, closed: true } : s)),
        { index: next, start: a.start, end: b.end, parents: [a.index, b.index], closed: false },
      ],
    };
  }
  const n = open.length;
  const low = Math.ceil(n / 2);
  const high = Math.min(2 * n, SHARD_LIMIT);
  let target = Math.min(high, low + Math.floor(op.frac * (high - low + 1)));
  if (op.mode === 'overDouble') target = 2 * n + 1;
  if (op.mode === 'underHalf') target = low > 1 ? low - 1 : 2 * n + 1;
  const send = (client: KinesisClient) =>
    client.send(new UpdateShardCountCommand({ StreamName: STREAM, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }));
  const describe = `scale ${n} -> ${target}`;
  if (target > SHARD_LIMIT || target > 2 * n || target < low || run.scalingCalls >= 10) {
    return { send, refusedWith: 'LimitExceededException', describe };
  }
  return {
    send,
    describe,
    verify: (before, after) => {
      const even = evenRanges(target);
      const isEven = (s: ModelShard) => even.some((r) => r.start === s.start && r.end === s.end);
      // Shards already on an even range stay open; every other open shard is closed.
      assert.deepEqual(
        after.slice(0, before.length),
        before.map((s) => (!s.closed && !isEven(s) ? { ...s, closed: true } : s)),
        'UpdateShardCount changed the wrong shards',
      );
      assert.deepEqual(
        after
          .filter((s) => !s.closed)
          .sort(byStart)
          .map((s) => [s.start, s.end]),
        even.map((r) => [r.start, r.end]),
        `UpdateShardCount to ${target} did not end on an even split`,
      );
    },
  };
}

async function reshardStep(run: Run, op: Reshard, putsDuring: KeySpec[], interrupt: Interrupt): Promise<void> {
  const planned = plan(run, op);
  const before = run.shards;
  if (planned.refusedWith) {
    await assert.rejects(planned.send(run.client), (err: Error) => {
      assert.equal(err.name, planned.refusedWith, `${planned.describe}: ${err.name}: ${err.message}`);
      return true;
    });
    totals.refused++;
    await run.expectUnchanged();
    return;
  }
  await planned.send(run.client);
  totals.reshards++;
  if (op.t === 'scale') run.scalingCalls++;

  if (putsDuring.length > 0) {
    const batch = run.records(putsDuring);
    run.acknowledge(batch, await run.send(batch));
    const status = (await run.client.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary!.StreamStatus;
    if (status === 'UPDATING') {
      // Still UPDATING after the put returned: it was routed by the shards open before the reshard.
      const open = before.filter((s) => !s.closed);
      for (const record of batch) {
        const owner = open.find((s) => s.start <= record.hashKey && record.hashKey <= s.end)!;
        assert.equal(record.shardId, shardId(owner.index), `${record.data} written while UPDATING went to the wrong shard`);
      }
    }
  }

  if (interrupt !== 'none') {
    const status = (await run.client.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary!.StreamStatus;
    if (status === 'UPDATING') totals[interrupt === 'kill' ? 'killedWhileUpdating' : 'stoppedWhileUpdating']++;
    await run.restart(interrupt);
  }
  await waitForStatus(run.client, STREAM, 'ACTIVE');
  const after = await run.listed();
  if (planned.expected) assert.deepEqual(after, planned.expected(before), `${planned.describe} made the wrong shards`);
  planned.verify?.(before, after);
  run.shards = after;
}

async function restartStep(run: Run, how: 'term' | 'kill', putInFlight: KeySpec[]): Promise<void> {
  let inFlight: Promise<void> | undefined;
  if (putInFlight.length > 0) {
    const batch = run.records(putInFlight);
    inFlight = run.send(batch).then(
      (out) => run.acknowledge(batch, out),
      () => undefined, // Not acknowledged: the records may or may not have been written.
    );
  }
  await run.restart(how);
  await inFlight;
  await run.expectUnchanged();
}

/** Reads the stream parents first and checks it against everything written. */
async function checkRecords(run: Run): Promise<void> {
  const lineage = await readByLineage(run.client, STREAM, { limit: 7 });
  const seen = new Set<number>();
  const lastIdByKey = new Map<bigint, number>();
  for (const record of lineage.records) {
    const id = Number(/^r(\d+)$/.exec(record.data)?.[1] ?? NaN);
    const written = run.written[id];
    assert.ok(written, `a record nobody wrote: ${record.data}`);
    assert.ok(!seen.has(id), `${record.data} read twice`);
    seen.add(id);
    assert.equal(record.partitionKey, written.partitionKey);
    if (written.certain) {
      assert.equal(record.shardId, written.shardId, `${record.data} read from another shard than acknowledged`);
      assert.equal(record.sequenceNumber, written.seq, `${record.data} read at another sequence number than acknowledged`);
    }
    const shard = run.shards.find((s) => shardId(s.index) === record.shardId)!;
    assert.ok(shard.start <= written.hashKey && written.hashKey <= shard.end, `${record.data} is in a shard not owning its key`);
    const range = lineage.shards.find((s) => s.ShardId === record.shardId)!.SequenceNumberRange!;
    assert.ok(BigInt(record.sequenceNumber) >= BigInt(range.StartingSequenceNumber!), `${record.data} is before its shard's start`);
    if (range.EndingSequenceNumber !== undefined) {
      assert.ok(
        BigInt(record.sequenceNumber) <= BigInt(range.EndingSequenceNumber),
        `${record.data} is past its shard's EndingSequenceNumber`,
      );
    }
    // Walking parents first keeps the records of one hash key in the order they were written.
    const previous = lastIdByKey.get(written.hashKey);
    assert.ok(previous === undefined || previous < id, `${record.data} read after r${previous} of the same key`);
    lastIdByKey.set(written.hashKey, id);
  }
  const lost = run.written.filter((w) => w.certain && !seen.has(w.id)).map((w) => w.data);
  assert.deepEqual(lost, [], 'acknowledged records were lost');
}

async function runCommands(commands: Command[]): Promise<void> {
  const run = new Run();
  totals.runs++;
  try {
    await run.start();
    await run.client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
    await waitForStatus(run.client, STREAM, 'ACTIVE');
    run.shards = await run.listed();
    for (const cmd of commands) {
      totals.steps++;
      if (cmd.t === 'put') await run.put(cmd.keys);
      else if (cmd.t === 'restart') await restartStep(run, cmd.how, cmd.putInFlight);
      else await reshardStep(run, cmd.op, cmd.putsDuring, cmd.interrupt);
    }
    // Once more after a crash: nothing read back depends on the process that wrote it.
    await run.restart('kill');
    await run.expectUnchanged();
    await checkRecords(run);
  } finally {
    await run.dispose();
  }
}

// ---- the property -----------------------------------------------------------------------------

describe('resharding, property-based', () => {
  after(() => {
    process.stdout.write(`# resharding property totals: ${JSON.stringify(totals)}\n`);
  });

  it(
    'keeps the key space partitioned and every acknowledged record readable once, in order, across restarts',
    { timeout: 180_000 },
    async () => {
      const split = (at: 'random' | 'min' | 'max', key: bigint): Reshard => ({ t: 'split', pick: 0, at, key });
      const few: KeySpec[] = [
        { kind: 'hot', i: 0 },
        { kind: 'random', key: HALF + 12345n },
        { kind: 'pk', pk: 'a' },
        { kind: 'hot', i: 5 },
      ];
      await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 3, maxLength: 12 }), runCommands), {
        numRuns: 12,
        interruptAfterTimeLimit: 120_000,
        examples: [
          // 2 -> 4 -> 3 shards with writes throughout, a crash while UPDATING and a clean stop while UPDATING.
          [
            [
              { t: 'put', keys: few },
              { t: 'reshard', op: { t: 'scale', frac: 0.99, mode: 'inRange' }, putsDuring: few, interrupt: 'kill' },
              { t: 'put', keys: few },
              { t: 'reshard', op: { t: 'scale', frac: 0.2, mode: 'inRange' }, putsDuring: few, interrupt: 'term' },
              { t: 'put', keys: few },
              { t: 'reshard', op: split('random', 7n ** 40n), putsDuring: few, interrupt: 'kill' },
              { t: 'reshard', op: { t: 'merge', pick: 0, mode: 'adjacent' }, putsDuring: [], interrupt: 'none' },
              { t: 'restart', how: 'kill', putInFlight: few },
              { t: 'put', keys: few },
            ],
          ],
        ],
      });
      assert.ok(totals.killedWhileUpdating >= 1, 'no run killed the server while the stream was UPDATING');
      assert.ok(totals.stoppedWhileUpdating >= 1, 'no run stopped the server while the stream was UPDATING');
    },
  );
});
