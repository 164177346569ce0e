/**
 * One port for HTTP/1.1 and HTTP/2 without TLS. AWS SDK v3's Kinesis client speaks HTTP/2 with
 * prior knowledge (h2c) to an http:// endpoint, while the aws CLI, boto3 and browsers speak
 * HTTP/1.1: each connection's first bytes tell which. An HTTP/2 connection opens with the client
 * preface `PRI * HTTP/2.0`; no HTTP/1 method starts with `PRI `.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';

const HTTP2_PREFACE_START = Buffer.from('PRI ');
const HTTP2_WINDOW_BYTES = 16 * 1024 * 1024;
const HTTP2_CONNECTION_WINDOW_BYTES = 64 * 1024 * 1024;
/** On close, an idle HTTP/1.1 connection is ended after this long: a request may be on its way. */
const IDLE_GRACE_MS = 200;

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;
export type Handler = (req: AnyRequest, res: AnyResponse) => void;

export interface DualProtocolServer {
  server: Server;
  /** Stops accepting connections, closes idle ones, and resolves once every connection is gone. */
  close(): Promise<void>;
}

export function createDualProtocolServer(handler: Handler): DualProtocolServer {
  const http1 = createHttp1Server({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handler);
  // HTTP/2's default flow-control window is 64 KiB per stream and per connection: a 700 KB
  // PutRecords body would cross it in a dozen WINDOW_UPDATE round trips. Open both wide (the
  // body size limit still bounds what one request may send).
  const http2 = createHttp2Server({ settings: { initialWindowSize: HTTP2_WINDOW_BYTES }, maxSessionMemory: 64 }, handler);
  const sessions = new Set<Http2Session>();
  http2.on('session', (session) => {
    session.setLocalWindowSize(HTTP2_CONNECTION_WINDOW_BYTES);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  // The HTTP/1 server never listens itself, so Node does not track its connections and its
  // closeIdleConnections() finds none: keep each connection's responses in flight here, so that
  // close() ends idle keep-alive connections and busy ones right after their last response.
  const http1Responses = new Map<Socket, Set<ServerResponse>>();
  let closing = false;
  http1.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const responses = http1Responses.get(req.socket);
    if (!responses) return;
    responses.add(res);
    if (closing) res.shouldKeepAlive = false;
    res.once('close', () => {
      responses.delete(res);
      if (closing && responses.size === 0) req.socket.end();
    });
  });
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('readable', () => route(socket));
  });

  function route(socket: Socket): void {
    const head: Buffer | null = socket.read();
    if (head === null) {
      // Closed before sending anything (or nothing buffered yet): wait for the next bytes.
      if (!socket.destroyed) socket.once('readable', () => route(socket));
      return;
    }
    socket.unshift(head);
    const prefixLength = Math.min(head.length, HTTP2_PREFACE_START.length);
    const isHttp2 = head.subarray(0, prefixLength).equals(HTTP2_PREFACE_START.subarray(0, prefixLength));
    if (!isHttp2) {
      http1Responses.set(socket, new Set());
      socket.once('close', () => http1Responses.delete(socket));
    }
    (isHttp2 ? http2 : http1).emit('connection', socket);
  }

  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        closing = true;
        // Responses not started yet say `Connection: close`, and Node closes the connection after.
        for (const responses of http1Responses.values()) {
          for (const res of responses) if (!res.headersSent) res.shouldKeepAlive = false;
        }
        setTimeout(() => {
          for (const [socket, responses] of http1Responses) if (responses.size === 0) socket.destroy();
        }, IDLE_GRACE_MS).unref();
        for (const session of sessions) session.close();
        // Connections still busy finish their requests; the HTTP/1 server closes them after.
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 5_000).unref();
        http1.close();
      }),
  };
}
