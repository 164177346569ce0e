/**
 * A lease with expiry, on any MetadataStore: how "exactly one node runs each timer" (stream state
 * transitions, retention, auto-scaling) holds in a cluster. It needs nothing but compare-and-set,
 * so it runs on the JetStream KV store and on the local one alike (a single node always wins its
 * own leases), and it needs no per-message TTL, which nats-server 2.9 lacks.
 *
 * The entry `leases/<name>` holds `{ holder, expiresAtMs }`. A node takes the lease when it is
 * absent, expired by its own clock, or already its own, by a compare-and-set on the revision it
 * read: of nodes racing for it, exactly one wins. The holder renews well before expiry (call
 * `tryAcquire` every ttl/3, say); a holder that stops (killed, partitioned) loses it ttl later.
 *
 * Clocks: the expiry is the holder's wall time plus ttl, judged by the other nodes' wall clocks,
 * while the holder trusts its lease only until `heldUntil`, ttl minus `safetyMarginMs` after it
 * read the time before writing. Two nodes never both believe they hold it as long as their clocks
 * differ by less than the margin (NTP keeps hosts within milliseconds; the default margin is a
 * fifth of the ttl). The revision of the winning write is a fencing token: work done under the
 * lease can be made conditional on it.
 */

import type { MetadataStore } from './types.js';
import { RevisionMismatchError } from './types.js';

export interface LeaseOptions {
  /** How long a lease lasts without renewal. */
  ttlMs: number;
  /** How much sooner than its expiry the holder stops trusting it (default ttl / 5). */
  safetyMarginMs?: number;
  /** Epoch milliseconds (injectable: tests use ManualClock.now). */
  now: () => number;
}

interface LeaseValue {
  holder: string;
  expiresAtMs: number;
}

export class Lease {
  private heldUntilMs = 0;
  private revision = 0;
  private readonly key: string;
  private readonly marginMs: number;

  constructor(
    private readonly meta: MetadataStore,
    readonly name: string,
    /** This node's identity, unique in the cluster (e.g. host, pid and a random suffix). */
    readonly holder: string,
    private readonly options: LeaseOptions,
  ) {
    if (!(options.ttlMs > 0)) throw new RangeError('a lease needs a positive ttl');
    this.key = `leases/${name}`;
    this.marginMs = options.safetyMarginMs ?? options.ttlMs / 5;
    if (!(this.marginMs >= 0 && this.marginMs < options.ttlMs)) throw new RangeError('the safety margin must be below the ttl');
  }

  /**
   * Takes the lease, or renews it if this node holds it. Resolves true if this node holds it now
   * (until `heldUntilMs`), false if another node does (or won the race for it).
   */
  async tryAcquire(): Promise<boolean> {
    const current = await this.meta.get<LeaseValue>(this.key);
    const startedMs = this.options.now();
    const mine = current?.value.holder === this.holder;
    if (current && !mine && startedMs < current.value.expiresAtMs) return this.lost();
    const value: LeaseValue = { holder: this.holder, expiresAtMs: startedMs + this.options.ttlMs };
    try {
      this.revision = await this.meta.put(this.key, value, current?.revision ?? 0);
    } catch (error) {
      if (error instanceof RevisionMismatchError) return this.lost();
      throw error;
    }
    this.heldUntilMs = startedMs + this.options.ttlMs - this.marginMs;
    return true;
  }

  /** Whether this node may act as the holder now, by its own clock. */
  isHeld(): boolean {
    return this.options.now() < this.heldUntilMs;
  }

  /** Until when (epoch ms, this node's clock) this node may act as the holder; 0 when it does not hold it. */
  get heldUntil(): number {
    return this.heldUntilMs;
  }

  /** The revision of this node's last successful acquire or renewal: a fencing token. */
  get fencingToken(): number {
    return this.revision;
  }

  /** Gives the lease up at once (a clean shutdown), so another node need not wait for the expiry. */
  async release(): Promise<void> {
    if (!this.isHeld()) return;
    this.heldUntilMs = 0;
    try {
      await this.meta.delete(this.key, this.revision);
    } catch (error) {
      if (!(error instanceof RevisionMismatchError)) throw error; // already taken over: nothing to give up
    }
  }

  private lost(): false {
    this.heldUntilMs = 0;
    return false;
  }
}
