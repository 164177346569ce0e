/**
 * Time, injected. Everything in Freshet that reads the time or waits for it (stream and consumer
 * transitions, retention, autoscaling, subscriptions, throughput token buckets) goes through the
 * Clock it is handed, so a test can hold time still and move it on explicitly instead of sleeping.
 *
 * `systemClock` is Date.now and the host's timers, unchanged. `ManualClock` stands still until
 * `advance(ms)` moves it, firing the timers that fall due on the way, in order.
 */

/** A pending timer, as `setTimeout`/`setInterval` hand it out. Node's Timeout is one. */
export interface Timer {
  /** Lets the process exit while the timer is pending (a no-op on a manual clock). */
  unref(): unknown;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once, `ms` from now. */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Calls `callback` every `ms` from now on. */
  setInterval(callback: () => void, ms: number): Timer;
  /** Cancels a timer of either kind; undefined is ignored. */
  clearTimeout(timer: Timer | undefined): void;
}

/** The host's clock: Date.now and Node's timers, with no indirection beyond the call. */
export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

class ManualTimer implements Timer {
  constructor(
    readonly id: number,
    public dueMs: number,
    readonly callback: () => void,
    /** The period of an interval; undefined for a one-shot timer. */
    readonly everyMs: number | undefined,
  ) {}

  unref(): this {
    return this;
  }
}

/**
 * A clock that moves only when told to. `advance` fires due timers one at a time in due order
 * (ties in the order they were set), with the clock reading each timer's due time as it fires,
 * and lets the promise jobs and I/O callbacks a timer started run before the next one fires.
 * A timer set for 0 ms (or less) is already due: it fires on the next turn of the event loop
 * without an advance, as it would on the system clock, so a zero transition delay stays instant.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private nextId = 0;
  private readonly timers = new Map<number, ManualTimer>();
  private advancing: Promise<void> = Promise.resolve();
  private flushing = false;

  /** Starts at `startMs` (default: the real time now, so timestamps still look current). */
  constructor(startMs: number = Date.now()) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer instanceof ManualTimer) this.timers.delete(timer.id);
  }

  /** Timers set and not yet fired or cleared (intervals count until cleared). */
  get pending(): number {
    return this.timers.size;
  }

  /** When the next timer falls due, or undefined if none is pending. */
  nextDueMs(): number | undefined {
    return this.next(Infinity)?.dueMs;
  }

  /**
   * Moves the clock `ms` on, firing every timer that falls due by then, including timers those
   * timers set. Calls made while one advance is running queue behind it.
   */
  advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    const run = this.advancing.then(() => this.advanceTo(this.nowMs + ms));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  /** Moves the clock to the next pending timer's due time and fires it (and any due with it). */
  async advanceToNext(): Promise<void> {
    const due = this.nextDueMs();
    if (due !== undefined) await this.advance(Math.max(0, due - this.nowMs));
  }

  private async advanceTo(targetMs: number): Promise<void> {
    for (let timer = this.next(targetMs); timer; timer = this.next(targetMs)) {
      this.nowMs = Math.max(this.nowMs, timer.dueMs);
      if (timer.everyMs === undefined) this.timers.delete(timer.id);
      else timer.dueMs += timer.everyMs;
      timer.callback();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
    await settle();
  }

  private add(callback: () => void, ms: number, everyMs: number | undefined): ManualTimer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer = new ManualTimer(this.nextId++, this.nowMs + delay, callback, everyMs);
    this.timers.set(timer.id, timer);
    if (delay === 0 && !this.flushing) {
      this.flushing = true;
      setImmediate(() => this.fireDue());
    }
    return timer;
  }

  /** Fires the timers due now (set for 0 ms), without moving the clock. */
  private fireDue(): void {
    this.flushing = false;
    const limitMs = this.nowMs;
    for (let timer = this.next(limitMs); timer; timer = this.next(limitMs)) {
      if (timer.everyMs === undefined) this.timers.delete(timer.id);
      else timer.dueMs += timer.everyMs;
      timer.callback();
    }
  }

  /** The earliest timer due by `limitMs` (ties: the one set first). */
  private next(limitMs: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.dueMs > limitMs) continue;
      if (!best || timer.dueMs < best.dueMs || (timer.dueMs === best.dueMs && timer.id < best.id)) best = timer;
    }
    return best;
  }
}

/** One turn of the event loop: pending promise jobs and ready I/O callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
