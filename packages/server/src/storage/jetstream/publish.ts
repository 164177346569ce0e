/**
 * Publishing and reading through a JetStream cluster that may be electing a leader: an operation
 * that times out or finds no responder is tried again until a deadline. A publish is retried
 * with the same message id (Nats-Msg-Id), so a message the old leader stored before it died is
 * answered as a duplicate, with its original sequence, instead of being stored twice.
 */

import { JetStreamApiError, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { ClosedConnectionError, InvalidArgumentError, InvalidSubjectError, PermissionViolationError } from '@nats-io/transport-node';

export interface PublishPolicy {
  /** How long one attempt waits for its acknowledgement. */
  attemptTimeoutMs: number;
  /**
   * How long an operation keeps trying. Must stay well inside the stream's duplicate window
   * (DUPLICATE_WINDOW_MS), or a retry could be stored a second time.
   */
  deadlineMs: number;
  /** Waits between attempts grow from this, doubling, to 1 s. */
  firstBackoffMs: number;
}

/** The JetStream stream's de-duplication window: retries of one message id within it store nothing. */
export const DUPLICATE_WINDOW_MS = 120_000;

export const DEFAULT_PUBLISH_POLICY: PublishPolicy = { attemptTimeoutMs: 5_000, deadlineMs: 30_000, firstBackoffMs: 50 };

export function publishWithRetries(
  js: JetStreamClient,
  subject: string,
  body: Uint8Array,
  msgID: string,
  streamName: string,
  policy: PublishPolicy,
): Promise<PubAck> {
  return withRetries(policy, () => js.publish(subject, body, { msgID, timeout: policy.attemptTimeoutMs, expect: { streamName } }));
}

/** Runs `attempt` until it succeeds, fails for good, or the policy's deadline passes. */
export async function withRetries<T>(policy: PublishPolicy, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + policy.deadlineMs;
  for (let wait = policy.firstBackoffMs; ; wait = Math.min(1_000, wait * 2)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || Date.now() + wait >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * An answer from the stream (an API error: wrong stream, message too large...), a payload over
 * the server's max_payload, a bad subject or a closed connection will not change by retrying;
 * a timeout, no responders (no leader yet) or a connection being re-established may.
 */
function isTransient(error: unknown): boolean {
  return !(
    error instanceof JetStreamApiError ||
    error instanceof InvalidArgumentError ||
    error instanceof InvalidSubjectError ||
    error instanceof PermissionViolationError ||
    error instanceof ClosedConnectionError
  );
}
