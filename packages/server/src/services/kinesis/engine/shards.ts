/**
 * Shards: their ids, their stored form, and the routing table that maps a hash key to the open
 * shard that owns it.
 */
import { hashKeyToBuffer } from './hashKeys.js';
import { encodeSequenceNumber, MAX_CURSOR } from './sequenceNumbers.js';

/** A shard as stored in the stream's metadata. Hash keys are decimal strings, as on the wire. */
export interface ShardState {
  index: number;
  parentIndex?: number;
  adjacentParentIndex?: number;
  startingHashKey: string;
  endingHashKey: string;
  createdMs: number;
  /**
   * The creation time its sequence numbers carry, epoch seconds: fixed when the shard is created
   * and stored, so its numbers are the same after a restart. A child's is later than its parents'
   * (`childSequenceSeconds`). States stored before it existed use createdMs.
   */
  sequenceSeconds?: number;
  /** Set once the shard is closed by a reshard. */
  closedMs?: number;
}

/** The largest shard number AWS resolves: a ShardId's number must fit in 31 bits. */
const MAX_SHARD_INDEX = 0x7fffffff;

/** `shardId-000000000007`: AWS pads the number to 12 digits. */
export function shardIdOf(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/**
 * A ShardId names a shard by its number, whatever comes before it: AWS reads the digits after the
 * first `-` (or the whole id if there is none), so `shardId-1`, `shardId-000000000001`, `abc-1`,
 * `-1` and `1` are the same shard (kinesalite's getShardIterator, recorded against AWS).
 * Undefined when that part is not all digits or does not fit in 31 bits (`shardId-1e3`, `shardId-x`).
 */
export function shardIndexOf(shardId: string): number | undefined {
  const dash = shardId.indexOf('-');
  const digits = (dash >= 0 && shardId.slice(dash + 1).split('-')[0]) || shardId;
  if (!/^\d+$/.test(digits)) return undefined;
  const index = Number(digits);
  return index <= MAX_SHARD_INDEX ? index : undefined;
}

export function sequenceSecondsOf(shard: ShardState): number {
  return shard.sequenceSeconds ?? Math.floor(shard.createdMs / 1000);
}

/**
 * A child shard's creation time in its sequence numbers: now, but at least a second after every
 * parent's, so that its numbers are above all of theirs (as big integers) even when a reshard
 * follows the parents' creation within the same second. AWS's numbers order the same way.
 */
export function childSequenceSeconds(nowMs: number, parents: readonly ShardState[]): number {
  return Math.max(Math.floor(nowMs / 1000), ...parents.map((parent) => sequenceSecondsOf(parent) + 1));
}

/** The shard's first possible number: cursor 0, stamped with the shard's creation time (as AWS's are). */
export function startingSequenceNumberOf(shard: ShardState): string {
  const seconds = sequenceSecondsOf(shard);
  return encodeSequenceNumber(shard.index, seconds, 0n, seconds * 1000);
}

/** A closed shard's last possible number: the largest sequence index, stamped with the closing time. */
export function endingSequenceNumberOf(shard: ShardState): string | undefined {
  if (shard.closedMs === undefined) return undefined;
  return encodeSequenceNumber(shard.index, sequenceSecondsOf(shard), MAX_CURSOR, shard.closedMs);
}

export function isOpen(shard: ShardState): boolean {
  return shard.closedMs === undefined;
}

/**
 * The open shards sorted by starting hash key, so routing a record is a binary search. Each step
 * compares the keys' top 48 bits as numbers and calls the native memcmp of the whole 16-byte keys
 * only on a tie: with hundreds of shards the eight or so Buffer.compare calls per record showed
 * in PutRecords profiles.
 */
export class RoutingTable {
  private readonly starts: Buffer[];
  /** The top 48 bits of each start, a number: exact, and ordered as the keys are. */
  private readonly startTops: number[];
  private readonly shards: ShardState[];

  constructor(allShards: readonly ShardState[]) {
    this.shards = allShards.filter(isOpen).sort((a, b) => (BigInt(a.startingHashKey) < BigInt(b.startingHashKey) ? -1 : 1));
    this.starts = this.shards.map((shard) => hashKeyToBuffer(BigInt(shard.startingHashKey)));
    this.startTops = this.starts.map(topBits);
  }

  /** The open shard whose range holds hashKey (16 bytes, big-endian). */
  route(hashKey: Buffer): ShardState {
    const keyTop = topBits(hashKey);
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      const startTop = this.startTops[mid]!;
      if (startTop < keyTop || (startTop === keyTop && Buffer.compare(this.starts[mid]!, hashKey) <= 0)) low = mid;
      else high = mid - 1;
    }
    const shard = this.shards[low];
    if (!shard) throw new Error('routing table has no open shard');
    return shard;
  }
}

function topBits(key: Buffer): number {
  return key.readUIntBE(0, 6);
}
