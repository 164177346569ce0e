/**
 * Reusable Buffers of megabytes: GetRecords answers (up to ~15 MB) and group-commit batches.
 *
 * A Buffer of megabytes comes from the C allocator as fresh pages, and the first write to each
 * page takes a page fault: writing a 14 MB answer into new memory cost a drain more than its
 * base64 encoding (profiled: 130,000 faults per million records read, ~10% of the server's CPU).
 * A buffer taken from here is written again once its last reader is done with it: its pages stay
 * mapped.
 *
 * Only the very Buffer objects this pool handed out come back to it (a WeakMap remembers them, so
 * one never given back is simply collected; a second give of the same object, or a give of a
 * slice of it, is ignored), and the caller gives one back only once nothing reads it any more.
 * The free list is bounded in bytes and released once a whole idle period passes without a take,
 * so an idle server keeps none of it.
 */
export interface BufferPoolOptions {
  /** Smaller requests get a plain Buffer.allocUnsafe: Node's allocator serves them well. */
  minBytes?: number;
  /** The most bytes kept on the free list. */
  maxFreeBytes?: number;
  /** The free list is released when a period this long passes without a take. */
  idleMs?: number;
}

const MIB = 2 ** 20;
/** A free buffer serves a request at most this many times smaller than itself. */
const MAX_FIT_RATIO = 2;

export class BufferPool {
  private readonly minBytes: number;
  private readonly maxFreeBytes: number;
  private readonly idleMs: number;
  private free: ArrayBuffer[] = [];
  private freeBytes = 0;
  private readonly issued = new WeakMap<Buffer, ArrayBuffer>();
  private idleTimer: NodeJS.Timeout | undefined;
  private usedSinceTimer = false;

  constructor(options: BufferPoolOptions = {}) {
    this.minBytes = options.minBytes ?? MIB;
    this.maxFreeBytes = options.maxFreeBytes ?? 64 * MIB;
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** A Buffer of exactly `size` bytes, with unspecified content. */
  take(size: number): Buffer {
    if (size < this.minBytes) return Buffer.allocUnsafe(size);
    this.usedSinceTimer = true;
    const memory = this.bestFit(size) ?? new ArrayBuffer(Math.ceil(size / MIB) * MIB);
    const buffer = Buffer.from(memory, 0, size);
    this.issued.set(buffer, memory);
    return buffer;
  }

  /** Takes back a Buffer `take` returned, once nothing reads it; anything else is ignored. */
  give(buffer: Buffer): void {
    const memory = this.issued.get(buffer);
    if (!memory) return;
    this.issued.delete(buffer);
    if (this.freeBytes + memory.byteLength > this.maxFreeBytes) return;
    this.free.push(memory);
    this.freeBytes += memory.byteLength;
    this.armIdleTimer();
  }

  /** Bytes on the free list (for tests and metrics). */
  get retainedBytes(): number {
    return this.freeBytes;
  }

  /** The smallest free buffer that holds `size`, unless even that one is much bigger. */
  private bestFit(size: number): ArrayBuffer | undefined {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0 || this.free[best]!.byteLength > MAX_FIT_RATIO * Math.max(size, MIB)) return undefined;
    const [memory] = this.free.splice(best, 1);
    this.freeBytes -= memory!.byteLength;
    return memory;
  }

  private armIdleTimer(): void {
    if (this.idleTimer) return;
    this.usedSinceTimer = false;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.usedSinceTimer) return this.armIdleTimer();
      this.free = [];
      this.freeBytes = 0;
    }, this.idleMs);
    this.idleTimer.unref();
  }
}
