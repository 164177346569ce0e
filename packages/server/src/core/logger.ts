/**
 * The node's logger: pino, JSON lines on stderr. Every part of Freshet logs through the Logger it
 * is handed (never console or process.emitWarning), so an embedder can route or silence it.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Level from FRESHET_LOG_LEVEL (default info). */
export function createLogger(level = process.env.FRESHET_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level }, pino.destination(2));
}

/** A logger that writes nothing, for embedders and tests that want silence. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
