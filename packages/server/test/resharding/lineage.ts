/**
 * Shared checks for the resharding tests: listing every shard, the hash-key partition of the
 * open shards, the lineage invariants of the shard graph, and reading a stream back the way KCL
 * does (a shard only after all its parents have been read to their end).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type ChildShard,
  type KinesisClient,
  type Shard,
  type ShardFilter,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';

export const HASH_SPACE = 1n << 128n;
export const MAX_HASH_KEY = HASH_SPACE - 1n;

/** The hash key AWS derives from a partition key: MD5 of its UTF-8 bytes, big-endian. */
export function md5HashKey(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** AWS's even split of the key space into n shards: floor(2^128 / n) keys each, the last the rest. */
export function evenRanges(n: number): Array<{ start: bigint; end: bigint }> {
  const width = HASH_SPACE / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    start: width * BigInt(i),
    end: i === n - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n,
  }));
}

export const indexOf = (shardId: string): number => Number(/(\d+)$/.exec(shardId)![1]);
export const shardId = (index: number): string => `shardId-${String(index).padStart(12, '0')}`;
export const startOf = (shard: Shard): bigint => BigInt(shard.HashKeyRange!.StartingHashKey!);
export const endOf = (shard: Shard): bigint => BigInt(shard.HashKeyRange!.EndingHashKey!);
export const isClosed = (shard: Shard): boolean => shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
export const parentsOf = (shard: { ParentShardId?: string; AdjacentParentShardId?: string }): string[] =>
  [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined);

/** Every shard ListShards returns for a filter, following NextToken. */
export async function listShards(
  client: KinesisClient,
  streamName: string,
  options: { filter?: ShardFilter; pageSize?: number } = {},
): Promise<Shard[]> {
  const shards: Shard[] = [];
  let out = await client.send(
    new ListShardsCommand({
      StreamName: streamName,
      ...(options.filter ? { ShardFilter: options.filter } : {}),
      ...(options.pageSize ? { MaxResults: options.pageSize } : {}),
    }),
  );
  shards.push(...(out.Shards ?? []));
  while (out.NextToken) {
    out = await client.send(
      new ListShardsCommand({ NextToken: out.NextToken, ...(options.pageSize ? { MaxResults: options.pageSize } : {}) }),
    );
    shards.push(...(out.Shards ?? []));
  }
  return shards;
}

/** The given (open) shards' hash key ranges cover 0..2^128-1 exactly: no gap, no overlap. */
export function assertPartition(open: Shard[], context = ''): void {
  const sorted = [...open].sort((a, b) => (startOf(a) < startOf(b) ? -1 : 1));
  assert.ok(sorted.length > 0, `no open shard ${context}`);
  let expected = 0n;
  for (const shard of sorted) {
    assert.equal(startOf(shard), expected, `open shards leave a gap or overlap at ${expected} ${context}`);
    assert.ok(endOf(shard) >= startOf(shard), `${shard.ShardId} has an empty range ${context}`);
    expected = endOf(shard) + 1n;
  }
  assert.equal(expected, HASH_SPACE, `open shards end at ${expected - 1n}, not 2^128-1 ${context}`);
}

/**
 * The invariants of a stream's whole shard graph (every shard, as ListShards without a filter
 * returns it while nothing has passed retention):
 * - shard ids are 0..n-1 (AWS's numbering continues across reshards), listed in id order;
 * - a child's id is larger than its parents';
 * - a split child (one parent) lies inside its parent, and the parent's two children partition it;
 * - a merge child (two parents) is exactly the union of two adjacent parents;
 * - a shard is closed (EndingSequenceNumber set) exactly when it has children;
 * - the open shards partition the key space.
 */
export function assertLineage(all: Shard[], context = ''): void {
  assert.deepEqual(
    all.map((shard) => shard.ShardId),
    all.map((_, i) => shardId(i)),
    `shard ids are not 0..${all.length - 1} in order ${context}`,
  );
  const byId = new Map(all.map((shard) => [shard.ShardId!, shard]));
  const children = new Map<string, Shard[]>();
  for (const shard of all) {
    for (const parent of parentsOf(shard)) {
      assert.ok(byId.has(parent), `${shard.ShardId}'s parent ${parent} is not listed ${context}`);
      assert.ok(indexOf(parent) < indexOf(shard.ShardId!), `${shard.ShardId} is older than its parent ${parent} ${context}`);
      children.set(parent, [...(children.get(parent) ?? []), shard]);
    }
    if (shard.AdjacentParentShardId !== undefined) {
      assert.ok(shard.ParentShardId !== undefined, `${shard.ShardId} has an adjacent parent but no parent ${context}`);
      const [a, b] = [byId.get(shard.ParentShardId)!, byId.get(shard.AdjacentParentShardId)!].sort((x, y) =>
        startOf(x) < startOf(y) ? -1 : 1,
      );
      assert.equal(endOf(a!) + 1n, startOf(b!), `${shard.ShardId}'s parents are not adjacent ${context}`);
      assert.equal(startOf(shard), startOf(a!), `${shard.ShardId} does not start where its parents do ${context}`);
      assert.equal(endOf(shard), endOf(b!), `${shard.ShardId} does not end where its parents do ${context}`);
    }
  }
  for (const shard of all) {
    const kids = children.get(shard.ShardId!) ?? [];
    assert.equal(isClosed(shard), kids.length > 0, `${shard.ShardId}: closed=${isClosed(shard)} with ${kids.length} children ${context}`);
    const splitKids = kids.filter((kid) => kid.AdjacentParentShardId === undefined);
    if (splitKids.length > 0) {
      assert.equal(kids.length, 2, `${shard.ShardId} was split into ${kids.length} shards ${context}`);
      assert.equal(splitKids.length, 2, `${shard.ShardId} was both split and merged ${context}`);
      const [low, high] = splitKids.sort((x, y) => (startOf(x) < startOf(y) ? -1 : 1));
      assert.equal(startOf(low!), startOf(shard), `${shard.ShardId}'s low child starts elsewhere ${context}`);
      assert.equal(endOf(low!) + 1n, startOf(high!), `${shard.ShardId}'s children do not touch ${context}`);
      assert.equal(endOf(high!), endOf(shard), `${shard.ShardId}'s high child ends elsewhere ${context}`);
      assert.ok(indexOf(low!.ShardId!) < indexOf(high!.ShardId!), `${shard.ShardId}'s low child has the larger id ${context}`);
    } else if (kids.length > 0) {
      assert.equal(kids.length, 1, `${shard.ShardId} was merged into ${kids.length} shards ${context}`);
    }
    if (isClosed(shard)) {
      assert.ok(
        BigInt(shard.SequenceNumberRange!.EndingSequenceNumber!) >= BigInt(shard.SequenceNumberRange!.StartingSequenceNumber!),
        `${shard.ShardId}'s EndingSequenceNumber is below its StartingSequenceNumber ${context}`,
      );
    }
  }
  assertPartition(
    all.filter((shard) => !isClosed(shard)),
    context,
  );
}

export interface ReadRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: string;
}

export interface ShardRead {
  shardId: string;
  records: ReadRecord[];
  /** Present once the shard was read to its end (closed shards only). */
  childShards?: ChildShard[];
  calls: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads one shard from an iterator type: a closed shard to its end (the response without a
 * NextShardIterator, which must carry ChildShards), an open one until a GetRecords returns no
 * record. Checks that sequence numbers strictly increase and that ChildShards appears only on
 * the final response.
 */
export async function drainShard(
  client: KinesisClient,
  streamName: string,
  id: string,
  options: { closed: boolean; limit?: number; type?: ShardIteratorType; startingSequenceNumber?: string },
): Promise<ShardRead> {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: id,
      ShardIteratorType: options.type ?? 'TRIM_HORIZON',
      ...(options.startingSequenceNumber ? { StartingSequenceNumber: options.startingSequenceNumber } : {}),
    }),
  );
  let iterator = ShardIterator;
  const read: ShardRead = { shardId: id, records: [], calls: 0 };
  let last = -1n;
  while (iterator) {
    assert.ok(read.calls < 5000, `${id}: no end after ${read.calls} GetRecords calls`);
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, ...(options.limit ? { Limit: options.limit } : {}) }));
    read.calls++;
    for (const record of out.Records ?? []) {
      const sequence = BigInt(record.SequenceNumber!);
      assert.ok(sequence > last, `${id}: sequence number ${sequence} after ${last}`);
      last = sequence;
      read.records.push({
        shardId: id,
        sequenceNumber: record.SequenceNumber!,
        partitionKey: record.PartitionKey!,
        data: Buffer.from(record.Data!).toString('utf8'),
      });
    }
    if (out.NextShardIterator === undefined) {
      assert.ok(options.closed, `${id}: an open shard's GetRecords ended without a NextShardIterator`);
      assert.ok(out.ChildShards && out.ChildShards.length > 0, `${id}: the end of a closed shard came without ChildShards`);
      read.childShards = out.ChildShards;
      return read;
    }
    assert.equal(out.ChildShards, undefined, `${id}: ChildShards before the end of the shard`);
    iterator = out.NextShardIterator;
    if ((out.Records ?? []).length === 0) {
      if (!options.closed) return read;
      await sleep(5); // A closed shard with appends still in flight: they become readable shortly.
    }
  }
  return read;
}

export interface LineageRead {
  shards: Shard[];
  /** The shards in the order they were read. */
  order: string[];
  reads: Map<string, ShardRead>;
  /** Every record, in the order read. */
  records: ReadRecord[];
}

/**
 * Reads a whole stream parents first: a shard is read only once every parent it has (that is
 * still listed) has been read to its end. A closed shard's ChildShards must name exactly the
 * children the listing shows, with their parents and hash key ranges.
 */
export async function readByLineage(client: KinesisClient, streamName: string, options: { limit?: number } = {}): Promise<LineageRead> {
  const shards = await listShards(client, streamName);
  const listed = new Map(shards.map((shard) => [shard.ShardId!, shard]));
  const done = new Set<string>();
  const order: string[] = [];
  const reads = new Map<string, ShardRead>();
  const records: ReadRecord[] = [];
  const pending = [...shards];
  while (pending.length > 0) {
    const next = pending.findIndex((shard) => parentsOf(shard).every((parent) => done.has(parent) || !listed.has(parent)));
    assert.ok(next >= 0, `no shard is ready to read among ${pending.map((shard) => shard.ShardId).join(', ')}`);
    const [shard] = pending.splice(next, 1) as [Shard];
    const read = await drainShard(client, streamName, shard.ShardId!, { closed: isClosed(shard), ...options });
    if (read.childShards) {
      const expected = shards
        .filter((child) => parentsOf(child).includes(shard.ShardId!))
        .map((child) => ({ id: child.ShardId!, parents: parentsOf(child).sort(), range: child.HashKeyRange }));
      const actual = read.childShards
        .map((child) => ({ id: child.ShardId!, parents: [...(child.ParentShards ?? [])].sort(), range: child.HashKeyRange }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.deepEqual(actual, expected, `${shard.ShardId}'s ChildShards differ from the listing`);
    }
    done.add(shard.ShardId!);
    order.push(shard.ShardId!);
    reads.set(shard.ShardId!, read);
    records.push(...read.records);
  }
  return { shards, order, reads, records };
}

/** One line per shard and a total: the table the resharding runs print. */
export function countTable(lineage: LineageRead, written?: Map<string, number>): string {
  const rows = lineage.order.map((id) => {
    const shard = lineage.shards.find((s) => s.ShardId === id)!;
    const parents =
      parentsOf(shard)
        .map((p) => String(indexOf(p)))
        .join('+') || '-';
    const state = isClosed(shard) ? 'closed' : 'open';
    const read = lineage.reads.get(id)!.records.length;
    return [id, parents, state, String(written?.get(id) ?? ''), String(read)];
  });
  const total = rows.reduce((n, row) => n + Number(row[4]), 0);
  const writtenTotal = written ? [...written.values()].reduce((n, v) => n + v, 0) : undefined;
  const header = ['shard', 'parents', 'state', written ? 'written' : '', 'read'];
  const all = [header, ...rows, ['total', '', '', writtenTotal === undefined ? '' : String(writtenTotal), String(total)]];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  return all
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
