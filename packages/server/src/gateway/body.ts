/**
 * Reading a request body under a size limit. With a declared length the body's Buffer is
 * allocated with its first bytes and each chunk copied in as it arrives, so the chunks are garbage
 * at once rather than all held until a final join (not on the headers alone: a request that sends
 * nothing costs nothing).
 */
import type { AnyRequest } from './listener.js';

/** Collects the body; calls back with undefined (and stops reading) once it exceeds the limit. */
export function readBody(req: AnyRequest, limit: number, done: (body: Buffer | undefined) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return done(undefined);
  }
  const body = new BodyBuffer(Number.isSafeInteger(declared) && declared > 0 ? declared : 0);
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (body.length + chunk.length > limit) {
      finished = true;
      done(undefined);
      return;
    }
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
