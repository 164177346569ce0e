/** Small concurrency helpers: a mutex and a FIFO queue with O(1) take from the head. */

import { assert } from './errors.js';

/** Serializes async critical sections (flushes, rolls, trims, close) of one log. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves to a release function once every earlier holder has released. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

/** FIFO of items; take(n) from the head is amortized O(n), not O(queue length). */
export class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  at(i: number): T {
    assert(i >= 0 && i < this.length, 'queue index in range');
    return this.items[this.head + i]!;
  }

  take(n: number): T[] {
    assert(n >= 0 && n <= this.length, 'take at most the queue length');
    const taken = this.items.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return taken;
  }
}

/** Resolves on the check phase of the event loop: after the I/O callbacks of this turn ran. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
