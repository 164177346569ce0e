/**
 * One port for HTTP/1.1 and HTTP/2. AWS SDK v3's Kinesis client speaks HTTP/2 with prior
 * knowledge (h2c) to an http:// endpoint, while the aws CLI, boto3 and browsers speak HTTP/1.1:
 * each connection's first bytes tell which. An HTTP/2 connection opens with the client preface
 * `PRI * HTTP/2.0`; no HTTP/1 method starts with `PRI `. With TLS, each connection is wrapped in a
 * TLSSocket here and ALPN (h2, http/1.1) tells instead, once the handshake is done: the same two
 * servers then take the decrypted socket, so every limit below holds for HTTPS as for HTTP.
 *
 * The listener also bounds what a connection may hold: a deadline for the first request's headers
 * (from accept, so it covers a client that never speaks), one for each request's body, one for an
 * idle connection, a cap on open connections and on an HTTP/2 connection's concurrent streams.
 * The HTTP/1 and HTTP/2 servers never listen themselves (sockets are handed to them), so Node's
 * own headersTimeout and requestTimeout, which it checks only for connections of a listening
 * server, do not apply: these deadlines are the only ones.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  constants as http2Constants,
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';

const HTTP2_PREFACE_START = Buffer.from('PRI ');
const HTTP2_WINDOW_BYTES = 16 * 1024 * 1024;
const HTTP2_CONNECTION_WINDOW_BYTES = 64 * 1024 * 1024;
/** On close, an idle HTTP/1.1 connection is ended after this long: a request may be on its way. */
const IDLE_GRACE_MS = 200;
/** Connections refused at the cap are reported at most this often, with their count. */
const REFUSED_REPORT_EVERY_MS = 10_000;
/** What an HTTP/1.1 client that stalled in its headers is told before the connection closes (as Node does). */
const HEADERS_TIMED_OUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
/** Offered by ALPN, in our order of preference: SDK v3 needs HTTP/2 for SubscribeToShard. */
const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;
export type Handler = (req: AnyRequest, res: AnyResponse) => void;

/** What a connection may hold, and for how long. A timeout of 0 turns that deadline off. */
export interface ConnectionLimits {
  /** From accept until the first request's headers are in (HTTP/2: until its first stream opens). */
  headersTimeoutMs: number;
  /** From a request's headers until its body is in, whatever its pace. */
  bodyTimeoutMs: number;
  /**
   * A connection with nothing in flight is closed after this long: HTTP/1.1 with no response
   * pending (the next request's headers must be in by then), HTTP/2 with no stream open.
   */
  idleTimeoutMs: number;
  /** Open connections; one more is closed as soon as it is accepted. */
  maxConnections: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised to HTTP/2 clients. */
  maxConcurrentStreams: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 60_000,
  idleTimeoutMs: 65_000,
  maxConnections: 1_000,
  maxConcurrentStreams: 100,
};

/** A certificate chain and its private key, PEM. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ListenerOptions extends Partial<ConnectionLimits> {
  /** Told how many connections were refused at the cap: on the first, then at most every 10 s. */
  onConnectionsRefused?: (count: number) => void;
  /** Serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with these instead of plain HTTP. */
  tls?: TlsCredentials;
}

export interface DualProtocolServer {
  server: Server;
  /** Serves new connections with another certificate (connections already open keep theirs). */
  setTlsCredentials(credentials: TlsCredentials): void;
  /** Stops accepting connections, closes idle ones, and resolves once every connection is gone. */
  close(): Promise<void>;
}

/** One accepted connection, from its first byte to its close. */
interface Connection {
  readonly socket: Socket;
  /** Undecided until its first bytes are in (TLS: until its handshake is done). */
  protocol: 'http1' | 'http2' | undefined;
  /** HTTP/1.1: the responses in flight, in order. */
  readonly responses: Set<ServerResponse>;
  /** The connection's pending deadline: its headers, or the end of its idleness. */
  deadline: NodeJS.Timeout | undefined;
}

export function createDualProtocolServer(handler: Handler, options: ListenerOptions = {}): DualProtocolServer {
  const { onConnectionsRefused, tls, ...given } = options;
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...definedOnly(given) };
  // keepAliveTimeout is enforced here (an absolute deadline, not Node's inactivity timer, which
  // a client trickling its next request's headers would keep resetting); given to Node as well so
  // that answers say `Keep-Alive: timeout=...` and clients stop reusing a connection about to close.
  const http1 = createHttp1Server({ keepAliveTimeout: limits.idleTimeoutMs, requestTimeout: 0 }, handler);
  // HTTP/2's default flow-control window is 64 KiB per stream and per connection: a 700 KB
  // PutRecords body would cross it in a dozen WINDOW_UPDATE round trips. Open both wide (the
  // body size limit and the body budget still bound what requests may send). Node leaves
  // SETTINGS_MAX_CONCURRENT_STREAMS unlimited; a client opening streams beyond the limit gets
  // them refused, and Node ends a session that keeps trying (maxSessionRejectedStreams, 100).
  const http2 = createHttp2Server(
    { settings: { initialWindowSize: HTTP2_WINDOW_BYTES, maxConcurrentStreams: limits.maxConcurrentStreams }, maxSessionMemory: 64 },
    handler,
  );
  // A client may open up to 100 streams before it has our SETTINGS (nghttp2 clients assume 100,
  // RFC 9113 recommends no fewer): those refusals are honest. Past them, as many again as Node
  // allows rejected streams (maxSessionRejectedStreams) before the session is ended.
  const refusedStreamsAllowed = 100 + Math.max(0, 100 - limits.maxConcurrentStreams);
  const connections = new Map<Socket, Connection>();
  const sessions = new Set<Http2Session>();
  let closing = false;
  // Made once per certificate, not per connection: a context holds the parsed key and chain.
  let secureContext: SecureContext | undefined = tls && createSecureContext(tls);

  const expireAfter = (connection: Connection, ms: number, onExpiry: () => void): void => {
    clearDeadline(connection);
    if (ms > 0) connection.deadline = setTimeout(onExpiry, ms).unref();
  };

  /** The connection handed to the HTTP/2 server, while it makes the session (synchronously). */
  let handingOver: Connection | undefined;
  http2.on('session', (session) => {
    const connection = handingOver;
    session.setLocalWindowSize(HTTP2_CONNECTION_WINDOW_BYTES);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (!connection) return;
    let openStreams = 0;
    let lastStreamId = -1;
    let refusedStreams = 0;
    session.on('stream', (stream) => {
      // nghttp2 refuses a stream over SETTINGS_MAX_CONCURRENT_STREAMS without a word to Node, and
      // Node's maxSessionRejectedStreams does not count it: a client ignoring the limit would be
      // refused forever. Client stream ids go up by 2, so the ids skipped are the streams refused.
      const id = stream.id ?? lastStreamId + 2;
      refusedStreams += (id - lastStreamId) / 2 - 1;
      lastStreamId = id;
      // As Node ends a session over maxSessionRejectedStreams: GOAWAY ENHANCE_YOUR_CALM.
      // (With no error, destroy() would send NO_ERROR whatever code it is given.)
      if (refusedStreams > refusedStreamsAllowed) {
        return session.destroy(new Error(`${refusedStreams} streams refused`), http2Constants.NGHTTP2_ENHANCE_YOUR_CALM);
      }
      openStreams++;
      clearDeadline(connection);
      stream.once('close', () => {
        if (--openStreams > 0 || session.closed || session.destroyed) return;
        expireAfter(connection, limits.idleTimeoutMs, () => session.close());
      });
    });
  });
  http2.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    watchBody(req, res, () => {
      if (!res.headersSent) {
        res.statusCode = 408;
        res.end();
      }
      // After a complete answer, NO_ERROR tells the client to stop sending (RFC 9113, 8.1).
      req.stream.close(http2Constants.NGHTTP2_NO_ERROR);
    });
  });

  http1.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const connection = connections.get(req.socket);
    if (!connection) return;
    clearDeadline(connection);
    connection.responses.add(res);
    if (closing) res.shouldKeepAlive = false;
    watchBody(req, res, () => {
      if (res.headersSent) return req.socket.destroy();
      res.shouldKeepAlive = false;
      res.statusCode = 408;
      res.end(() => req.socket.destroy());
    });
    res.once('close', () => {
      connection.responses.delete(res);
      if (connection.responses.size > 0) return;
      // Node closes the connection after a `Connection: close` answer by itself.
      if (closing) req.socket.end();
      else expireAfter(connection, limits.idleTimeoutMs, () => req.socket.destroy());
    });
  });

  /** Requests still receiving their body, each with what ends it: close() ends them early. */
  const bodiesPending = new Set<() => void>();

  /** Ends a request whose body has not arrived in time, unless it arrives or is answered first. */
  function watchBody(req: AnyRequest, res: AnyResponse, onExpiry: () => void): void {
    if (req.complete) return;
    const timer = limits.bodyTimeoutMs > 0 ? setTimeout(expire, limits.bodyTimeoutMs).unref() : undefined;
    function expire(): void {
      stop();
      onExpiry();
    }
    function stop(): void {
      clearTimeout(timer);
      bodiesPending.delete(expire);
    }
    bodiesPending.add(expire);
    req.once('end', stop);
    req.once('error', stop);
    res.once('close', stop);
  }

  const server = createNetServer((accepted) => {
    // The HTTP servers see the decrypted socket: it is the one the connection is known by.
    const socket = secureContext ? new TLSSocket(accepted, { isServer: true, secureContext, ALPNProtocols: ALPN_PROTOCOLS }) : accepted;
    const connection: Connection = { socket, protocol: undefined, responses: new Set(), deadline: undefined };
    connections.set(socket, connection);
    socket.once('close', () => {
      clearDeadline(connection);
      connections.delete(socket);
    });
    // Until the HTTP server that takes the socket listens for its errors: a client resetting the
    // connection before its first bytes (or failing its handshake) would otherwise be an uncaught error.
    socket.on('error', ignoreUnroutedError);
    if (socket !== accepted) accepted.on('error', ignoreUnroutedError);
    // From accept, so a TLS handshake that never completes is held to the headers deadline too.
    expireAfter(connection, limits.headersTimeoutMs, () => {
      // An HTTP/1.1 client that sent part of its headers is told why, as Node tells it; one that
      // sent nothing (or is HTTP/2, whose client waits for SETTINGS) is just closed.
      if (connection.protocol === 'http1' && socket.bytesRead > 0 && connection.responses.size === 0) {
        socket.end(HEADERS_TIMED_OUT, () => socket.destroy());
      } else {
        socket.destroy();
      }
    });
    if (socket instanceof TLSSocket) socket.once('secure', () => secured(connection, socket));
    else route(connection, EMPTY);
  });
  server.maxConnections = limits.maxConnections;
  let refused = 0;
  let lastReportMs = -Infinity;
  // Over the cap, Node closes the connection as soon as it is accepted: an answer would first need
  // the client's bytes (HTTP/1.1 or HTTP/2?), which is what the cap is there not to wait for.
  server.on('drop', () => {
    refused++;
    const now = Date.now();
    if (now - lastReportMs < REFUSED_REPORT_EVERY_MS) return;
    lastReportMs = now;
    onConnectionsRefused?.(refused);
    refused = 0;
  });

  /** Reads the connection's first bytes until they tell its protocol, then hands it over. */
  function route(connection: Connection, seen: Buffer): void {
    const { socket } = connection;
    const chunk: Buffer | null = socket.read();
    if (chunk === null) {
      // Nothing buffered yet (or closed): wait for the next bytes, under the headers deadline.
      if (!socket.destroyed) socket.once('readable', () => route(connection, seen));
      return;
    }
    const head = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const compared = Math.min(head.length, HTTP2_PREFACE_START.length);
    const mayBeHttp2 = head.subarray(0, compared).equals(HTTP2_PREFACE_START.subarray(0, compared));
    if (mayBeHttp2 && head.length < HTTP2_PREFACE_START.length) {
      // `P` or `PR` may still be `PUT ` or `PROPFIND`: only the fourth byte tells.
      socket.once('readable', () => route(connection, head));
      return;
    }
    socket.unshift(head);
    handOver(connection, mayBeHttp2 ? 'http2' : 'http1');
  }

  /**
   * A TLS connection whose handshake is done: ALPN tells its protocol. A client that offered no
   * ALPN is read by its first bytes, as over plain HTTP: RFC 9113 3.2 wants ALPN for HTTP/2 over
   * TLS, but the AWS SDK for Java v2 (Netty, its default ProtocolNegotiation.ASSUME_PROTOCOL) sends
   * the HTTP/2 preface straight after the handshake, and AWS's endpoints take it.
   */
  function secured(connection: Connection, socket: TLSSocket): void {
    // What tls.Server does on 'secure' for the sockets it makes: until it is false, an HTTP/2
    // session waits for a 'secureConnect' that a server-side socket never emits.
    (socket as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
    if (socket.alpnProtocol) handOver(connection, socket.alpnProtocol === 'h2' ? 'http2' : 'http1');
    else route(connection, EMPTY);
  }

  /** Gives the connection to the server of its protocol (ALPN's, or its first bytes'). */
  function handOver(connection: Connection, protocol: 'http1' | 'http2'): void {
    const { socket } = connection;
    // Node's HTTP/2 server refuses a TLS socket that negotiated no ALPN (it would be HTTP/1.1):
    // this one sent the HTTP/2 preface, which is as good as having negotiated h2.
    if (protocol === 'http2' && socket instanceof TLSSocket && !socket.alpnProtocol) socket.alpnProtocol = 'h2';
    socket.off('error', ignoreUnroutedError);
    connection.protocol = protocol;
    if (protocol === 'http1') return void http1.emit('connection', socket);
    handingOver = connection;
    try {
      http2.emit('connection', socket);
    } finally {
      handingOver = undefined;
    }
  }

  return {
    server,
    setTlsCredentials: (credentials) => {
      if (!secureContext) throw new Error('this listener serves plain HTTP: it was started without TLS credentials');
      secureContext = createSecureContext(credentials);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        closing = true;
        // Responses not started yet say `Connection: close`, and Node closes the connection after.
        for (const connection of connections.values()) {
          for (const res of connection.responses) if (!res.headersSent) res.shouldKeepAlive = false;
        }
        setTimeout(() => {
          for (const connection of connections.values()) {
            if (connection.protocol !== 'http2' && connection.responses.size === 0) connection.socket.destroy();
          }
          // A request whose body is still on its way has reached no handler: nothing is lost by
          // ending it now rather than waiting out its deadline.
          for (const expire of bodiesPending) expire();
        }, IDLE_GRACE_MS).unref();
        for (const session of sessions) session.close();
        // Connections still busy finish their requests; the HTTP/1 server closes them after.
        setTimeout(() => {
          for (const socket of connections.keys()) socket.destroy();
        }, 5_000).unref();
        http1.close();
      }),
  };
}

function clearDeadline(connection: Connection): void {
  if (connection.deadline === undefined) return;
  clearTimeout(connection.deadline);
  connection.deadline = undefined;
}

/** A reset or broken connection before routing: its 'close' follows and cleans up. */
function ignoreUnroutedError(): void {}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const EMPTY = Buffer.alloc(0);
