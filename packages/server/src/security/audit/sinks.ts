/**
 * Where audit lines are written: a file rotated by size (FILE, then FILE.1 ... FILE.N, the
 * highest the oldest, as logrotate numbers them), or stdout (`--audit-log -`).
 */
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import type { AuditSink } from './auditLog.js';

/** An audit log file that cannot be opened: the start stops with this one line. */
export class AuditLogError extends Error {
  override name = 'AuditLogError';
}

export interface RotatingFileOptions {
  file: string;
  /** A file is rotated before a line would take it past this size (a longer line gets a file of its own). */
  maxBytes: number;
  /** Rotated files kept beside the current one (FILE.1 ... FILE.keep); 0 keeps none. */
  keep: number;
}

export class RotatingFileSink implements AuditSink {
  private handle: FileHandle | undefined;
  private size = 0;

  private constructor(private readonly options: RotatingFileOptions) {}

  /** Opens (or creates) the file to append to, so that a path that cannot be written stops the start. */
  static async open(options: RotatingFileOptions): Promise<RotatingFileSink> {
    const sink = new RotatingFileSink(options);
    try {
      await sink.openCurrent();
    } catch (err) {
      throw new AuditLogError(`--audit-log ${options.file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    return sink;
  }

  async write(lines: readonly string[]): Promise<void> {
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.size + chunkBytes + bytes > this.options.maxBytes && this.size + chunkBytes > 0) {
        await this.append(chunk, chunkBytes);
        await this.rotate();
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    await this.append(chunk, chunkBytes);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private async append(chunk: readonly string[], bytes: number): Promise<void> {
    if (chunk.length === 0) return;
    await this.handle!.write(chunk.join(''));
    this.size += bytes;
  }

  private async openCurrent(): Promise<void> {
    this.handle = await open(this.options.file, 'a', 0o640);
    this.size = (await stat(this.options.file)).size;
  }

  private async rotate(): Promise<void> {
    const { file, keep } = this.options;
    await this.handle!.close();
    this.handle = undefined;
    if (keep === 0) {
      await rm(file, { force: true });
    } else {
      for (let n = keep - 1; n >= 1; n--) await renameIfPresent(`${file}.${n}`, `${file}.${n + 1}`);
      await rename(file, `${file}.1`);
    }
    await this.openCurrent();
  }
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** `--audit-log -`: lines on stdout, after the "listening on" line that scripts read first. */
export const stdoutSink: AuditSink = {
  write: (lines) => new Promise((resolve, reject) => process.stdout.write(lines.join(''), (err) => (err ? reject(err) : resolve()))),
  close: () => Promise.resolve(),
};
