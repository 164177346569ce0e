/**
 * The audit log: one JSON line per API call (event.ts), written off the request path. A call's
 * line is queued in memory when its answer is done and a background writer appends what has
 * queued to the sink (a file rotated by size, or stdout). The queue is bounded: when the writer
 * cannot keep up, lines are dropped and counted, never waited for, and the drops are logged at
 * error level at most once per 10 s. close() writes every queued line before it resolves.
 */
import type { Logger } from '../../core/logger.js';
import { auditEvent, callStart, type AuditedCall } from './event.js';

/** Where lines go. write() gets whole lines (each ending in a newline), in order, one batch at a time. */
export interface AuditSink {
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface AuditLogSettings {
  sink: AuditSink;
  logger: Logger;
  /** The node's clock, for eventTime. */
  now: () => number;
  /** Lines held while the writer is busy; more are dropped (default 8,192: ~8-25 MB). */
  maxQueuedLines?: number;
}

const DEFAULT_MAX_QUEUED_LINES = 8_192;
const REPORT_EVERY_MS = 10_000;

export class AuditLog {
  private readonly sink: AuditSink;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly maxQueuedLines: number;
  private queue: string[] = [];
  /** The batch being written, until the sink has it. */
  private writing: Promise<void> | undefined;
  private droppedTotal = 0;
  private droppedUnreported = 0;
  private lastReportMs = -Infinity;
  private closed = false;

  constructor(settings: AuditLogSettings) {
    this.sink = settings.sink;
    this.logger = settings.logger;
    this.now = settings.now;
    this.maxQueuedLines = settings.maxQueuedLines ?? DEFAULT_MAX_QUEUED_LINES;
  }

  /** Lines dropped so far because the queue was full. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Follows a call to its answer and queues its line then; eventTime is now, when it started. */
  follow(call: AuditedCall): void {
    const start = callStart(call, this.now());
    call.res.once('close', () => this.append(JSON.stringify(auditEvent(call, start))));
  }

  /** Queues a line (without its newline); drops it if the queue is full. Never waits. */
  append(line: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueuedLines) return this.drop();
    this.queue.push(`${line}\n`);
    this.writing ??= this.writeQueued();
  }

  /** Writes every queued line, then closes the sink. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await this.writing;
    this.reportDrops(true);
    await this.sink.close();
  }

  /** The background writer: takes what has queued, writes it, and again until nothing is left. */
  private async writeQueued(): Promise<void> {
    // Let the event loop's other answers of this turn queue theirs: one write for all of them.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.sink.write(batch);
      } catch (err) {
        this.logger.error({ err, lines: batch.length }, 'audit log: lines could not be written and are lost');
      }
    }
    this.writing = undefined;
  }

  private drop(): void {
    this.droppedTotal++;
    this.droppedUnreported++;
    this.reportDrops(false);
  }

  private reportDrops(final: boolean): void {
    if (this.droppedUnreported === 0) return;
    const now = Date.now();
    if (!final && now - this.lastReportMs < REPORT_EVERY_MS) return;
    this.lastReportMs = now;
    this.logger.error(
      { dropped: this.droppedUnreported, droppedTotal: this.droppedTotal, maxQueuedLines: this.maxQueuedLines },
      'audit log: lines dropped, the writer cannot keep up',
    );
    this.droppedUnreported = 0;
  }
}
