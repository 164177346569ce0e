/**
 * Decodes large PutRecords JSON bodies on worker threads.
 *
 * Reading and validating a 500-record body is about a third of what the event loop spends on a
 * PutRecords; on a machine with a core to spare, doing it there lets the event loop route and
 * append the next request meanwhile (docs/ARCHITECTURE.md, "Decoding off the event loop").
 * Everything else, small bodies included, is decoded in line: a round trip to a worker costs
 * more than reading a few records.
 *
 * The workers only ever take the happy path. A body they give back undecoded is decoded again
 * here by decodeInput, which reports AWS's error, so answers do not depend on where a body was
 * read. A worker that dies is not replaced; its requests, and all after, are decoded in line.
 */
import { Worker } from 'node:worker_threads';
import { decodeInput, type WireFormat } from './codec.js';
import type { OperationName, OperationShapes } from '../shapes.generated.js';
import { DECODE_WORKER_DATA, fromTransferable, type DecodeReply, type DecodeRequest } from './putRecordsWorker.js';

/** Bodies smaller than this are decoded in line. */
export const OFF_THREAD_MIN_BODY_BYTES = 64 * 1024;

/**
 * A worker's young generation. What a decode allocates on the heap is small (a record object and
 * a partition key per record; the data goes into one transferred buffer), and V8's default for a
 * worker (3 x 16 MB) kept ~35 MiB of RSS for nothing: under the bench's PutRecords load the
 * server peaked at 200-227 MiB with the default and 190-192 MiB with 8, at the same throughput.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

interface Waiting {
  body: Buffer;
  resolve: (input: OperationShapes['PutRecords']['input']) => void;
  reject: (error: unknown) => void;
}

class DecodeWorker {
  private readonly thread: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  constructor(private readonly onGone: (worker: DecodeWorker, error: unknown) => void) {
    this.thread = new Worker(new URL('./putRecordsWorker.js', import.meta.url), {
      workerData: DECODE_WORKER_DATA,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.thread.unref(); // an idle decoder must not keep the process alive
    this.thread.on('message', (reply: DecodeReply) => this.settle(reply));
    this.thread.on('error', (error) => this.gone(error));
    this.thread.on('exit', (code) => this.gone(new Error(`decode worker exited with code ${code}`)));
  }

  get load(): number {
    return this.waiting.size;
  }

  decode(body: Buffer): Promise<OperationShapes['PutRecords']['input']> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { body, resolve, reject });
      // The body is copied, not transferred: its memory may be shared with the socket's reads.
      const request: DecodeRequest = { id, body };
      this.thread.postMessage(request);
    });
  }

  terminate(): Promise<number> {
    return this.thread.terminate();
  }

  private settle({ id, decoded }: DecodeReply): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    if (decoded) waiting.resolve(fromTransferable(decoded));
    else decodeInLine(waiting);
  }

  /** Whatever the worker still held is decoded in line: no request is lost with a worker. */
  private gone(error: unknown): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    this.onGone(this, error);
    for (const request of waiting) decodeInLine(request);
  }
}

function decodeInLine({ body, resolve, reject }: Waiting): void {
  try {
    resolve(decodeInput('PutRecords', 'json', body));
  } catch (error) {
    reject(error);
  }
}

export class OffThreadDecoder {
  private workers: DecodeWorker[] = [];

  /** `threads` workers (0: everything in line); `onWorkerLost` hears of a worker that died. */
  constructor(
    threads: number,
    private readonly onWorkerLost: (error: unknown) => void = () => {},
  ) {
    for (let i = 0; i < threads; i++) this.workers.push(new DecodeWorker((worker, error) => this.lost(worker, error)));
  }

  /** decodeInput, off the event loop when it is worth it. Throws (or rejects) as decodeInput does. */
  decode<Op extends OperationName>(
    op: Op,
    format: WireFormat,
    body: Buffer,
  ): OperationShapes[Op]['input'] | Promise<OperationShapes[Op]['input']> {
    if (op !== 'PutRecords' || format !== 'json' || body.length < OFF_THREAD_MIN_BODY_BYTES || this.workers.length === 0) {
      return decodeInput(op, format, body);
    }
    return this.leastLoaded().decode(body) as Promise<OperationShapes[Op]['input']>;
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private leastLoaded(): DecodeWorker {
    let best = this.workers[0]!;
    for (const worker of this.workers) if (worker.load < best.load) best = worker;
    return best;
  }

  /** A worker that stopped by itself; close() has already let go of the ones it stops. */
  private lost(worker: DecodeWorker, error: unknown): void {
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    this.workers.splice(index, 1);
    this.onWorkerLost(error);
  }
}
