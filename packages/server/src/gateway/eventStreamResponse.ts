/**
 * Writes a streaming operation's events (Kinesis SubscribeToShard) as an
 * `application/vnd.amazon.eventstream` response:
 * 200, the initial-response event, then each event the source produces, until it ends
 * (cleanly, or with an exception event) or the client goes away. Over HTTP/2 (SDK v3) the events
 * are DATA frames of the request's stream; over HTTP/1.1 (boto3) chunks of a chunked response.
 *
 * Backpressure: an event is written only when the previous one was taken. `res.write` answering
 * false (HTTP/2 flow-control window exhausted, or the socket's buffer full) makes the sink's
 * promise wait for 'drain', so the subscription reads nothing more meanwhile. 'close' (client
 * gone, or stream reset) cancels the subscription and releases a writer waiting for 'drain'.
 */
import {
  EVENT_STREAM_CONTENT_TYPE,
  exceptionMessage,
  initialResponseMessage,
  type AwsError,
  type EventSource,
  type WireFormat,
} from '@freshet/aws';
import type { AnyResponse } from './listener.js';

export function serveEventStream<E>(
  res: AnyResponse,
  format: WireFormat,
  subscription: EventSource<E>,
  encodeEvent: (event: E) => Buffer,
  onInternalError: (err: unknown) => void,
): void {
  let closed = res.destroyed;
  let resumeWriter: (() => void) | undefined;
  const resume = () => {
    const resolve = resumeWriter;
    resumeWriter = undefined;
    resolve?.();
  };
  res.on('drain', resume);
  res.once('close', () => {
    closed = true;
    subscription.cancel();
    resume();
  });
  if (closed) {
    subscription.cancel();
    return;
  }

  res.statusCode = 200;
  res.setHeader('Content-Type', EVENT_STREAM_CONTENT_TYPE);
  write(initialResponseMessage(format));

  function write(message: Buffer): boolean {
    if (closed || res.writableEnded) return true;
    // Both response types take a Buffer; their write signatures differ only in overloads.
    return (res as { write(chunk: Buffer): boolean }).write(message);
  }

  void subscription.run({
    event(event) {
      if (write(encodeEvent(event)) || closed) return;
      return new Promise<void>((resolve) => {
        resumeWriter = resolve;
      });
    },
    fail(err: AwsError, cause?: unknown) {
      if (cause !== undefined) onInternalError(cause);
      if (!closed && !res.writableEnded) res.end(exceptionMessage(format, err));
    },
    end() {
      if (!closed && !res.writableEnded) res.end();
    },
  });
}
