/**
 * Shards: their ids, their stored form, and the routing table that maps a hash key to the open
 * shard that owns it.
 */
import { hashKeyToBuffer } from './hashKeys.js';
import { encodeSequenceNumber } from './sequenceNumbers.js';

/** A shard as stored in the stream's metadata. Hash keys are decimal strings, as on the wire. */
export interface ShardState {
  index: number;
  parentIndex?: number;
  adjacentParentIndex?: number;
  startingHashKey: string;
  endingHashKey: string;
  createdMs: number;
  /** Set once the shard is closed by a reshard. */
  closedMs?: number;
  endingSequenceNumber?: string;
}

const SHARD_ID_PATTERN = /^(?:shardId-)?(\d{1,20})$/;

/** `shardId-000000000007`: AWS pads the number to 12 digits. */
export function shardIdOf(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/**
 * A ShardId names a shard by its number: `shardId-1`, `shardId-000000000001` and `1` are the same
 * shard. Undefined when the id holds no number.
 */
export function shardIndexOf(shardId: string): number | undefined {
  const match = SHARD_ID_PATTERN.exec(shardId);
  if (!match) return undefined;
  const index = Number(match[1]);
  return Number.isSafeInteger(index) && index <= 0x7fffffff ? index : undefined;
}

export function startingSequenceNumberOf(shard: ShardState): string {
  return encodeSequenceNumber(shard.index, 0n);
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
