import http from 'node:http';
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
 * A minimal Kinesis client over raw node:http with keep-alive: `prepare` builds and signs a request
 * once, `send` resends it as bytes. This keeps the client's own cost out of the server's figures.
 */
export class KinesisHttp {
  constructor(endpoint, { maxSockets = 64 } = {}) {
    const url = new URL(endpoint);
    this.hostname = url.hostname;
    this.port = Number(url.port);
    this.host = url.host;
    // FIFO reuse keeps every pooled connection busy: with LIFO (Node's default) some sit idle past
    // the server's keep-alive timeout (5 s in Node) and a request sent as the server closes one
    // fails with ECONNRESET, which is the client's doing, not the server's.
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
  }

  /** A signed request ready to send any number of times. `input` is an object or a pre-serialized Buffer. */
  prepare(operation, input) {
    const body = Buffer.isBuffer(input) ? input : Buffer.from(JSON.stringify(input));
    return { body, headers: signedJsonHeaders({ host: this.host, operation, body }) };
  }

  /** Sends a prepared request; resolves with the status and the whole response body. */
  send({ headers, body }) {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { hostname: this.hostname, port: this.port, method: 'POST', path: '/', agent: this.agent, headers },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** One call with a JSON answer; throws KinesisError on an error answer. */
  async call(operation, input) {
    const { status, body } = await this.send(this.prepare(operation, input));
    if (status !== 200) {
      let message = body.toString();
      try {
        message = JSON.parse(message).message ?? JSON.parse(message).Message ?? message;
      } catch {}
      throw new KinesisError(errorType(body), message, status);
    }
    return body.length ? JSON.parse(body) : {};
  }

  close() {
    this.agent.destroy();
  }
}
