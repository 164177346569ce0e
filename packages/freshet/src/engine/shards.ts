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
 * The open shards sorted by starting hash key, with their keys as 16-byte Buffers, so routing a
 * record is a binary search of native memcmp calls.
 */
export class RoutingTable {
  private readonly starts: Buffer[];
  private readonly shards: ShardState[];

  constructor(allShards: readonly ShardState[]) {
    this.shards = allShards
      .filter(isOpen)
      .sort((a, b) => (BigInt(a.startingHashKey) < BigInt(b.startingHashKey) ? -1 : 1));
    this.starts = this.shards.map((shard) => hashKeyToBuffer(BigInt(shard.startingHashKey)));
  }

  /** The open shard whose range holds hashKey (16 bytes, big-endian). */
  route(hashKey: Buffer): ShardState {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (Buffer.compare(this.starts[mid]!, hashKey) <= 0) low = mid;
      else high = mid - 1;
    }
    const shard = this.shards[low];
    if (!shard) throw new Error('routing table has no open shard');
    return shard;
  }
}
