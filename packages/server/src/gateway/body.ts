/**
 * Reading a request body under a size limit and a memory budget. With a declared length the
 * body's Buffer is allocated with its first bytes and each chunk copied in as it arrives, so the
 * chunks are garbage at once rather than all held until a final join (not on the headers alone: a
 * request that sends nothing costs nothing). The budget counts what is allocated, when it is: the
 * declared length with the first chunk, every chunk of a body of unknown length (chunked, or
 * HTTP/2 without content-length), and whatever arrives beyond a declared length.
 */
import type { AnyRequest } from './listener.js';

/** The bytes of request bodies held across all connections, up to a limit. */
export class BodyBudget {
  private inFlight = 0;

  constructor(readonly limitBytes: number) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** A request's share of the budget: empty until its body arrives, given back once by release(). */
  share(): BodyShare {
    return new BodyShare(this);
  }

  /** @internal for BodyShare */
  take(bytes: number): boolean {
    if (this.inFlight + bytes > this.limitBytes) return false;
    this.inFlight += bytes;
    return true;
  }

  /** @internal for BodyShare */
  giveBack(bytes: number): void {
    this.inFlight -= bytes;
  }
}

export class BodyShare {
  private taken = 0;
  private released = false;

  constructor(private readonly budget: BodyBudget) {}

  get bytes(): number {
    return this.taken;
  }

  /** Takes `bytes` more of the budget; false (taking nothing) if it has not that much left. */
  take(bytes: number): boolean {
    if (this.released || !this.budget.take(bytes)) return false;
    this.taken += bytes;
    return true;
  }

  /** Gives the share back: once the answer is written, or the body dropped. Later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.giveBack(this.taken);
    this.taken = 0;
  }
}

/** The body, or why there is none: over the size limit, or over what the budget has left. */
export type BodyOutcome = Buffer | 'too-large' | 'over-budget';

/** Collects the body; calls back once, and without a body stops keeping what arrives (it is read and dropped). */
export function readBody(req: AnyRequest, limit: number, share: BodyShare, done: (outcome: BodyOutcome) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return done('too-large');
  }
  const expected = Number.isSafeInteger(declared) && declared > 0 ? declared : 0;
  const body = new BodyBuffer(expected);
  let finished = false;
  const giveUp = (outcome: 'too-large' | 'over-budget') => {
    finished = true;
    share.release();
    done(outcome);
  };
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (body.length + chunk.length > limit) return giveUp('too-large');
    const allocated = Math.max(expected, body.length + chunk.length);
    if (allocated > share.bytes && !share.take(allocated - share.bytes)) return giveUp('over-budget');
    body.add(chunk);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(body.finish());
  });
  req.on('error', () => {
    finished = true;
  });
}

/** A request body as it arrives: copied into one Buffer of the declared size, chunks otherwise. */
class BodyBuffer {
  private whole: Buffer | undefined;
  private chunks: Buffer[] = [];
  length = 0;

  constructor(private readonly declaredBytes: number) {}

  add(chunk: Buffer): void {
    if (this.whole === undefined && this.length === 0 && this.declaredBytes > 0) this.whole = Buffer.allocUnsafe(this.declaredBytes);
    if (this.whole && this.chunks.length === 0 && this.length + chunk.length <= this.whole.length) {
      chunk.copy(this.whole, this.length);
    } else {
      this.spill(chunk);
    }
    this.length += chunk.length;
  }

  finish(): Buffer {
    if (this.whole && this.chunks.length === 0) return this.length === this.whole.length ? this.whole : this.whole.subarray(0, this.length);
    if (this.chunks.length === 0) return Buffer.alloc(0);
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
  }

  /** More bytes than declared (or none declared): keep chunks, after what was copied so far. */
  private spill(chunk: Buffer): void {
    if (this.whole && this.chunks.length === 0 && this.length > 0) this.chunks.push(this.whole.subarray(0, this.length));
    this.chunks.push(chunk);
  }
}
