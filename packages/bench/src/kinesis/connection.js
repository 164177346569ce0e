import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** A response head larger than this is a broken server, not a slow one. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * One keep-alive HTTP/1.1 connection that sends pre-serialized requests (request line, headers and
 * body in one Buffer) and reads each answer with the least parsing that is still correct: the
 * status line, Content-Length or chunked framing, and `Connection: close`. node:http's client
 * costs 0.3-0.6 ms of CPU a call on this machine, more than the servers it measures take to answer
 * a PutRecord, so the bench's own client would otherwise be most of what it reports.
 * One request at a time per connection (no pipelining, as SDK clients do).
 */
export class Connection {
  constructor({ host, port }, onIdle, onClose) {
    this.onIdle = onIdle;
    this.onClose = onClose;
    this.current = null;
    this.closed = false;
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk) => this.read(chunk));
    this.socket.on('error', (error) => this.close(error));
    this.socket.on('close', () => this.close(new Error('connection closed by the server')));
  }

  get busy() {
    return this.current !== null;
  }

  /** Sends one request; `done(error, {status, body})` is called once. */
  send(bytes, done) {
    this.current = { done, head: [], headBytes: 0, status: 0, remaining: -1, chunked: null, body: [], keepAlive: true };
    this.socket.write(bytes);
  }

  read(chunk) {
    const response = this.current;
    if (!response) return this.close(new Error('data from the server with no request outstanding'));
    if (response.status === 0) {
      chunk = this.readHead(response, chunk);
      if (chunk === null) return;
    }
    if (response.chunked) this.readChunked(response, chunk);
    else {
      if (chunk.length > 0) response.body.push(chunk);
      response.remaining -= chunk.length;
      if (response.remaining < 0) return this.close(new Error('more bytes than Content-Length'));
    }
    if (response.remaining === 0) this.finish(response);
  }

  /** Collects the head; returns the bytes after it, or null while the head is incomplete. */
  readHead(response, chunk) {
    response.head.push(chunk);
    response.headBytes += chunk.length;
    const head = response.head.length === 1 ? chunk : Buffer.concat(response.head);
    const end = head.indexOf(HEADER_END);
    if (end < 0) {
      if (response.headBytes > MAX_HEAD_BYTES) this.close(new Error('response head too large'));
      else response.head = [head];
      return null;
    }
    const lines = head.toString('latin1', 0, end).split('\r\n');
    response.status = Number(lines[0].slice(9, 12));
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i]
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === 'content-length') response.remaining = Number(value);
      else if (name === 'transfer-encoding' && value.includes('chunked'))
        response.chunked = { pending: Buffer.alloc(0), dataLeft: 0, skipCrlf: false, last: false };
      else if (name === 'connection' && value === 'close') response.keepAlive = false;
    }
    if (!response.chunked && response.remaining < 0) response.remaining = 0; // no body framing: empty
    return head.subarray(end + HEADER_END.length);
  }

  /** Chunked framing: sizes in hex, each chunk followed by CRLF, a 0 chunk (and trailers) at the end. */
  readChunked(response, chunk) {
    const state = response.chunked;
    let bytes = state.pending.length ? Buffer.concat([state.pending, chunk]) : chunk;
    for (;;) {
      if (state.dataLeft > 0) {
        const take = Math.min(state.dataLeft, bytes.length);
        response.body.push(bytes.subarray(0, take));
        state.dataLeft -= take;
        bytes = bytes.subarray(take);
        if (state.dataLeft > 0) break;
        state.skipCrlf = true;
      }
      if (state.skipCrlf) {
        if (bytes.length < 2) break;
        bytes = bytes.subarray(2);
        state.skipCrlf = false;
      }
      const lineEnd = bytes.indexOf(CRLF);
      if (lineEnd < 0) break;
      if (state.last) {
        // Trailers: lines until an empty one.
        bytes = bytes.subarray(lineEnd + 2);
        if (lineEnd === 0) {
          response.remaining = 0;
          return;
        }
        continue;
      }
      const size = parseInt(bytes.toString('latin1', 0, lineEnd), 16);
      bytes = bytes.subarray(lineEnd + 2);
      if (size === 0) state.last = true;
      else state.dataLeft = size;
    }
    state.pending = Buffer.from(bytes);
  }

  finish(response) {
    this.current = null;
    const body = response.body.length === 1 ? response.body[0] : Buffer.concat(response.body);
    if (!response.keepAlive) this.close(null);
    else this.onIdle(this);
    response.done(null, { status: response.status, body });
  }

  close(error) {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const response = this.current;
    this.current = null;
    this.onClose(this);
    if (response && error) response.done(error);
  }
}

/**
 * Up to `maxConnections` Connections to one endpoint; a request waits (FIFO) when all are busy.
 * Idle connections are reused in FIFO order, so none sits idle long enough for the server's
 * keep-alive timeout to close it under a request.
 */
export class ConnectionPool {
  constructor(endpoint, maxConnections) {
    const url = new URL(endpoint);
    this.address = { host: url.hostname, port: Number(url.port) };
    this.maxConnections = maxConnections;
    this.all = new Set();
    this.idle = [];
    this.waiting = [];
  }

  /** Resolves with {status, body} for a pre-serialized request. */
  request(bytes) {
    return new Promise((resolve, reject) => {
      const done = (error, response) => (error ? reject(error) : resolve(response));
      const connection = this.take();
      if (connection) connection.send(bytes, done);
      else this.waiting.push({ bytes, done });
    });
  }

  take() {
    while (this.idle.length) {
      const connection = this.idle.shift();
      if (!connection.closed) return connection;
    }
    if (this.all.size >= this.maxConnections) return null;
    const connection = new Connection(
      this.address,
      (c) => this.released(c),
      (c) => this.closed(c),
    );
    this.all.add(connection);
    return connection;
  }

  released(connection) {
    const next = this.waiting.shift();
    if (next) connection.send(next.bytes, next.done);
    else this.idle.push(connection);
  }

  closed(connection) {
    this.all.delete(connection);
    const next = this.waiting.shift();
    if (!next) return;
    const replacement = this.take();
    if (replacement) replacement.send(next.bytes, next.done);
    else this.waiting.unshift(next);
  }

  destroy() {
    for (const connection of this.all) connection.close(new Error('client closed'));
    for (const { done } of this.waiting.splice(0)) done(new Error('client closed'));
  }
}
