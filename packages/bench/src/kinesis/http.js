import { ConnectionPool } from './connection.js';
import { signedJsonHeaders } from './sigv4.js';

/** An error answered by the server, with AWS's error type (`__type` without its namespace). */
export class KinesisError extends Error {
  constructor(type, message, status) {
    super(`${type}: ${message}`);
    this.type = type;
    this.status = status;
  }
}

/** The AWS error type of a non-200 answer, without parsing more than needed. */
export function errorType(body) {
  const match = /"__type"\s*:\s*"([^"]*)"/.exec(body.toString('utf8', 0, Math.min(body.length, 512)));
  return match ? match[1].split('#').pop() : 'UnknownError';
}

/**
 * A minimal Kinesis client over keep-alive HTTP/1.1 connections: `prepare` builds and signs a
 * request once, as the bytes that go on the wire; `send` writes them again. This keeps the
 * client's own cost out of the server's figures (see connection.js).
 */
export class KinesisHttp {
  constructor(endpoint, { maxSockets = 64 } = {}) {
    this.host = new URL(endpoint).host;
    this.pool = new ConnectionPool(endpoint, maxSockets);
  }

  /** A signed request ready to send any number of times. `input` is an object or a pre-serialized Buffer. */
  prepare(operation, input) {
    const body = Buffer.isBuffer(input) ? input : Buffer.from(JSON.stringify(input));
    const headers = signedJsonHeaders({ host: this.host, operation, body });
    const head = Object.entries({ Host: this.host, ...headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    return { body, bytes: Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\n${head}\r\n`, 'latin1'), body]) };
  }

  /** Sends a prepared request; resolves with the status and the whole response body. */
  send(prepared) {
    return this.pool.request(prepared.bytes);
  }

  /** One call with a JSON answer; throws KinesisError on an error answer. */
  async call(operation, input) {
    const body = await this.callForBytes(operation, input);
    return body.length ? JSON.parse(body) : {};
  }

  /** One call, its answer's body left as bytes; throws KinesisError on an error answer. */
  async callForBytes(operation, input) {
    const { status, body } = await this.send(this.prepare(operation, input));
    if (status !== 200) {
      let message = body.toString();
      try {
        message = JSON.parse(message).message ?? JSON.parse(message).Message ?? message;
      } catch {}
      throw new KinesisError(errorType(body), message, status);
    }
    return body;
  }

  close() {
    this.pool.destroy();
  }
}
