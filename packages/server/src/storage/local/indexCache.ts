/**
 * A byte-bounded LRU of sealed segment indexes, shared by every log of a store, so the memory
 * spent on indexes stays bounded however large the logs grow. Evicting a segment only drops its
 * `index`; the next read of it loads the index file again.
 */

import { assert } from './errors.js';
import type { Segment } from './segment.js';
import type { SegmentIndex } from './shardIndex.js';

export class IndexCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<Segment, number>();
  private bytes = 0;

  constructor(readonly budgetBytes: number) {
    assert(budgetBytes > 0, 'index cache budget is positive');
  }

  get usedBytes(): number {
    return this.bytes;
  }

  add(segment: Segment, index: SegmentIndex): void {
    assert(segment.sealed, 'only sealed segments are cached');
    this.remove(segment);
    const size = index.memoryBytes;
    segment.index = index;
    this.entries.set(segment, size);
    this.bytes += size;
    this.evictOver(segment);
  }

  touch(segment: Segment): void {
    const size = this.entries.get(segment);
    if (size === undefined) return;
    this.entries.delete(segment);
    this.entries.set(segment, size);
  }

  remove(segment: Segment): void {
    const size = this.entries.get(segment);
    if (size === undefined) return;
    this.entries.delete(segment);
    this.bytes -= size;
    segment.index = undefined;
  }

  /** Evicts least recently used indexes until within budget, keeping `keep` (just added). */
  private evictOver(keep: Segment): void {
    for (const [segment] of this.entries) {
      if (this.bytes <= this.budgetBytes) return;
      if (segment !== keep) this.remove(segment);
    }
  }
}
