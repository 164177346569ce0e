/**
 * Connections and memory under hostile or broken clients, over raw sockets and node:http2 as an
 * attacker would speak: a connection that never speaks, stops mid-headers or mid-body, or idles is
 * closed after its configured deadline; connections over the cap are refused at once; request
 * bodies in flight stay within the body budget (503 ServiceUnavailable past it, in the service's
 * protocol); HTTP/2 advertises a stream limit and ends a rapid-reset session; a first TCP segment
 * of `P` alone waits for the bytes that tell HTTP/1.1 from HTTP/2. Deadlines are configured short
 * (300 ms) and each test waits for the close or answer it expects, with a generous guard that only
 * keeps a broken server from hanging the test.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { connect as connectHttp2, constants as http2Constants, type ClientHttp2Session } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { createActiveStream, eventually } from '../helpers/api.js';
import { uniqueName } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { formOnlySignature } from '../helpers/signing.js';

const SHORT_MS = 300;
/** How long a test waits for what a 300 ms deadline should bring: only a broken server takes this long. */
const GUARD_MS = 10_000;
const MIB = 1024 * 1024;
const JSON_TYPE = 'application/x-amz-json-1.1';

/** Resolves with `promise`, or fails the test if it takes longer than GUARD_MS. */
async function within<T>(promise: Promise<T>, what: string, ms = GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** A raw TCP connection to the node that records what it receives and when it closes. */
class RawConnection {
  readonly socket: Socket;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;
  private chunks: Buffer[] = [];
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = connectTcp({ port, host: '127.0.0.1', noDelay: true });
    this.socket.on('error', () => {});
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.socket.once('close', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  get received(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until what was received contains `text` (or the connection closes without it). */
  async receive(text: string, what: string): Promise<string> {
    await within(
      (async () => {
        while (!this.received.includes(text) && !this.socket.destroyed) await new Promise<void>((resolve) => this.waiters.push(resolve));
      })(),
      what,
    );
    assert.ok(this.received.includes(text), `${what}: got ${JSON.stringify(this.received.slice(0, 200))} before the close`);
    return this.received;
  }
}

/** The head of a Kinesis awsJson request over HTTP/1.1, body not included. */
function requestHead(operation: string, headers: Record<string, string | number>): string {
  const lines = [`POST / HTTP/1.1`, 'Host: localhost', `X-Amz-Target: Kinesis_20131202.${operation}`, `Content-Type: ${JSON_TYPE}`];
  for (const [name, value] of Object.entries({ ...formOnlySignature(), ...headers })) lines.push(`${name}: ${value}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

function listStreamsRequest(): string {
  return requestHead('ListStreams', { 'Content-Length': 2 }) + '{}';
}

/** The first response of an HTTP/1.1 exchange: status, headers, and its body by Content-Length. */
function parseResponse(raw: string): { status: number; headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end > 0, `a complete response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const length = Number(headers.get('content-length') ?? 0);
  return { status: Number(statusLine!.split(' ')[1]), headers, body: raw.slice(end + 4, end + 4 + length) };
}

describe('connection deadlines', () => {
  let node: TestNode;
  nodePerSuite(
    () => startNode({ connections: { headersTimeoutMs: SHORT_MS, bodyTimeoutMs: SHORT_MS, idleTimeoutMs: SHORT_MS } }),
    (started) => (node = started),
  );

  it('closes a connection that never sends a byte', async () => {
    const connection = new RawConnection(node.port);
    await within(connection.closed, 'a silent connection closed');
    assert.equal(connection.received, '', 'nothing is written to a client that said nothing');
  });

  it('answers 408 to a client that stops in the middle of its headers, and closes', async () => {
    const connection = new RawConnection(node.port);
    connection.write('POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Tar');
    await within(connection.closed, 'a connection stopped mid-headers closed');
    assert.match(connection.received, /^HTTP\/1\.1 408 /);
  });

  it('closes a request whose body stops coming, and one whose body trickles', async () => {
    const stalled = new RawConnection(node.port);
    stalled.write(requestHead('PutRecord', { 'Content-Length': 1000 }) + '{"StreamName":');
    await within(stalled.closed, 'a connection stopped mid-body closed');

    // A byte every 20 ms: the deadline is for the whole body, so steady progress does not extend it.
    const trickling = new RawConnection(node.port);
    trickling.write(requestHead('PutRecord', { 'Content-Length': 100_000 }));
    let sent = 0;
    const drip = setInterval(() => {
      if (trickling.socket.destroyed) return;
      trickling.write(' ');
      sent++;
    }, 20);
    try {
      await within(trickling.closed, 'a trickling body closed');
    } finally {
      clearInterval(drip);
    }
    assert.ok(sent < 100_000, 'closed before its body was all sent');
  });

  it('closes a keep-alive connection idle after its answer, and answers the requests before', async () => {
    const connection = new RawConnection(node.port);
    connection.write(listStreamsRequest());
    await connection.receive('"StreamNames"', 'the ListStreams answer');
    assert.equal(parseResponse(connection.received).status, 200);
    await within(connection.closed, 'an idle keep-alive connection closed');
  });

  it('closes an HTTP/2 connection with no stream open, after its last stream', async () => {
    const session = connectHttp2(node.url);
    session.on('error', () => {});
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    const answer = await within(http2Call(session, 'ListStreams', '{}'), 'an HTTP/2 ListStreams');
    assert.equal(answer.status, 200);
    await within(closed, 'an idle HTTP/2 session closed');
  });

  it('ends an HTTP/2 request whose body stops coming, with 408', async () => {
    const session = connectHttp2(node.url);
    session.on('error', () => {});
    try {
      const stream = session.request(
        {
          ':method': 'POST',
          ':path': '/',
          'x-amz-target': 'Kinesis_20131202.PutRecord',
          'content-type': JSON_TYPE,
          'content-length': '1000',
        },
        { endStream: false },
      );
      stream.on('error', () => {});
      stream.write('{"StreamName":');
      const status = new Promise<number>((resolve) => stream.once('response', (headers) => resolve(Number(headers[':status']))));
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      assert.equal(await within(status, 'the answer to a stalled HTTP/2 body'), 408);
      await within(closed, 'the stalled stream closed');
    } finally {
      session.destroy();
    }
  });

  it("takes a first segment of 'P' alone for the start of an HTTP/1.1 request", async () => {
    const connection = new RawConnection(node.port);
    await connection.connected;
    connection.write('P');
    // Long enough for the server to read the lone byte (on a main that decided on it, it did).
    await new Promise((resolve) => setTimeout(resolve, 100));
    connection.write(listStreamsRequest().slice(1).replace('POST', 'OST'));
    const raw = await connection.receive('\r\n\r\n', 'an HTTP/1.1 answer');
    assert.match(raw, /^HTTP\/1\.1 /);
    connection.socket.destroy();
  });

  it("still takes 'P' then the rest of the HTTP/2 preface for HTTP/2", async () => {
    const connection = new RawConnection(node.port);
    await connection.connected;
    connection.write('P');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const emptySettings = Buffer.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0]);
    connection.write(Buffer.concat([Buffer.from('RI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), emptySettings]));
    await within(
      (async () => {
        while (connection.received.length < 9 && !connection.socket.destroyed) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      'the server preface',
    );
    assert.equal(connection.received.charCodeAt(3), 0x04, 'the server answers with its SETTINGS frame');
    connection.socket.destroy();
  });
});

describe('the connection cap', () => {
  const CAP = 20;
  let node: TestNode;
  nodePerSuite(
    () => startNode({ connections: { maxConnections: CAP } }),
    (started) => (node = started),
  );

  it('closes connections over the cap at once, and accepts again once some are gone', async () => {
    const held = Array.from({ length: CAP }, () => new RawConnection(node.port));
    await Promise.all(held.map((c) => c.connected));
    // Each held connection proves it is accepted: it gets an answer (and stays open, keep-alive).
    for (const c of held) c.write(listStreamsRequest());
    await Promise.all(held.map((c) => c.receive('"StreamNames"', 'an answer on a held connection')));

    const extra = Array.from({ length: 5 }, () => new RawConnection(node.port));
    for (const c of extra) c.write(listStreamsRequest());
    await within(Promise.all(extra.map((c) => c.closed)), 'connections over the cap closed');
    for (const c of extra) assert.equal(c.received, '', 'a refused connection gets no answer');

    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    // The server sees the closes a moment after the client: a new connection is accepted then.
    const names = await eventually(async () => {
      try {
        return (await node.kinesis.send(new ListStreamsCommand({}))).StreamNames;
      } catch {
        return undefined;
      }
    }, 'a call accepted once the held connections are gone');
    assert.ok(Array.isArray(names));
  });
});

describe('the body budget', () => {
  const BUDGET = 2 * MIB;
  let node: TestNode;
  nodePerSuite(
    () => startNode({ connections: { bodyBudgetBytes: BUDGET } }),
    (started) => (node = started),
  );

  it('answers 503 ServiceUnavailable, in awsJson, to a body that does not fit beside the ones in flight', async () => {
    // Two bodies of 1.5 MiB started and stalled: only one fits in 2 MiB, and the other is refused
    // (whichever reaches the server second).
    const declared = 1.5 * MIB;
    const first = new RawConnection(node.port);
    const second = new RawConnection(node.port);
    for (const c of [first, second]) c.write(requestHead('PutRecord', { 'Content-Length': declared }) + '{"StreamName":"s",');
    const answered = await within(
      Promise.race([first, second].map((c) => c.receive('\r\n\r\n', 'an answer').then(() => c))),
      'one of two bodies over the budget refused',
    );
    const waiting = answered === first ? second : first;
    await answered.receive('}', 'the whole error body');
    const answer = parseResponse(answered.received);
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.get('x-amzn-errortype'), 'ServiceUnavailable');
    assert.equal(answer.headers.get('content-type'), JSON_TYPE);
    assert.deepEqual(JSON.parse(answer.body), {
      __type: 'ServiceUnavailable',
      message: 'The request has failed due to a temporary failure of the server.',
    });
    assert.equal(waiting.received, '', 'the body that fits is still being read');

    // Once the stalled body's client goes away, its share is back: a 1.4 MB record goes in.
    waiting.socket.destroy();
    const streamName = uniqueName('budget');
    await createActiveStream(node.kinesis, { StreamName: streamName, ShardCount: 1 });
    const put = await eventually(async () => {
      try {
        return await node.kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'k', Data: Buffer.alloc(MIB - 1, 7) }));
      } catch (err) {
        if ((err as { name?: string }).name === 'ServiceUnavailable') return undefined;
        throw err;
      }
    }, 'the budget given back');
    assert.ok(put.SequenceNumber);
    first.socket.destroy();
    second.socket.destroy();
  });

  it('counts a chunked body as it arrives, and refuses it once it passes the budget', async () => {
    const connection = new RawConnection(node.port);
    connection.write(requestHead('PutRecord', { 'Transfer-Encoding': 'chunked' }));
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let sent = 0;
    // Sends until the answer comes (it must come once 2 MiB have arrived), up to 4 MiB.
    while (sent < 2 * BUDGET && connection.received === '') {
      connection.write(`${chunk.length.toString(16)}\r\n`);
      connection.write(chunk);
      connection.write('\r\n');
      sent += chunk.length;
      await new Promise((resolve) => connection.socket.write('', resolve));
    }
    await connection.receive('}', 'the answer to a chunked body over the budget');
    assert.equal(parseResponse(connection.received).status, 503);
    connection.socket.destroy();
  });
});

describe('HTTP/2 abuse', () => {
  let node: TestNode;
  nodePerSuite(
    () => startNode({ connections: { maxConcurrentStreams: 8 } }),
    (started) => (node = started),
  );

  it('advertises SETTINGS_MAX_CONCURRENT_STREAMS', async () => {
    const session = connectHttp2(node.url);
    session.on('error', () => {});
    try {
      const settings = await within(
        new Promise<{ maxConcurrentStreams?: number }>((resolve) => session.once('remoteSettings', resolve)),
        'SETTINGS',
      );
      assert.equal(settings.maxConcurrentStreams, 8);
    } finally {
      session.destroy();
    }
  });

  it('serves an SDK v3 burst of 200 calls on one connection with 8 streams at a time', async () => {
    const streamName = uniqueName('burst');
    await createActiveStream(node.kinesis, { StreamName: streamName, ShardCount: 1 });
    const results = await within(
      Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          node.kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: `k${i}`, Data: Buffer.from(`record ${i}`) })),
        ),
      ),
      'a burst of 200 PutRecord',
      25_000,
    );
    assert.equal(new Set(results.map((r) => r.SequenceNumber)).size, 200);
  });

  it('refuses streams over the limit to a client that ignores it, then ends its session with ENHANCE_YOUR_CALM', async () => {
    // Raw frames: node:http2's own client would queue its streams past the limit.
    const frame = (type: number, flags: number, streamId: number, payload = Buffer.alloc(0)) => {
      const head = Buffer.alloc(9);
      head.writeUIntBE(payload.length, 0, 3);
      head[3] = type;
      head[4] = flags;
      head.writeUInt32BE(streamId, 5);
      return Buffer.concat([head, payload]);
    };
    const [DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY] = [0x0, 0x1, 0x3, 0x4, 0x7];
    const [END_STREAM, END_HEADERS] = [0x1, 0x4];
    // HPACK: :method POST, :path /, :scheme http (static table), :authority localhost.
    const requestHeaders = Buffer.concat([Buffer.from([0x83, 0x84, 0x86, 0x41, 9]), Buffer.from('localhost')]);
    const connection = new RawConnection(node.port);
    connection.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(SETTINGS, 0, 0)]));
    // 8 streams held open (no END_STREAM), then 292 more, each refused.
    const opened = 300;
    const burst = Array.from({ length: opened }, (_, i) => frame(HEADERS, END_HEADERS, 1 + 2 * i, requestHeaders));
    connection.write(Buffer.concat(burst));
    /** The server's frames so far (a server sends no preface: its first frame is its SETTINGS). */
    const parse = () => {
      const found: Array<{ type: number; flags: number; code: number }> = [];
      const bytes = Buffer.from(connection.received, 'latin1');
      for (let at = 0; at + 9 <= bytes.length;) {
        const length = bytes.readUIntBE(at, 3);
        if (at + 9 + length > bytes.length) break;
        const type = bytes[at + 3]!;
        const payload = bytes.subarray(at + 9, at + 9 + length);
        found.push({
          type,
          flags: bytes[at + 4]!,
          code: type === RST_STREAM ? payload.readUInt32BE(0) : type === GOAWAY ? payload.readUInt32BE(4) : 0,
        });
        at += 9 + length;
      }
      return found;
    };
    const REFUSED_STREAM = http2Constants.NGHTTP2_REFUSED_STREAM;
    await eventually(
      async () => (parse().filter((f) => f.type === RST_STREAM && f.code === REFUSED_STREAM).length === opened - 8 ? true : undefined),
      'the streams over the limit refused',
    );
    // The 8 held streams end (their answers free their slots); the next stream accepted shows
    // the 292 refused, and the session is ended.
    connection.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => frame(DATA, END_STREAM, 1 + 2 * i))));
    const answered = () => parse().filter((f) => (f.type === DATA || f.type === HEADERS) && f.flags & END_STREAM).length;
    await eventually(async () => (answered() === 8 ? true : undefined), 'the 8 held streams answered');
    connection.write(frame(HEADERS, END_HEADERS | END_STREAM, 1 + 2 * opened, requestHeaders));
    await within(connection.closed, 'the session ended');
    const goaway = parse().find((f) => f.type === GOAWAY);
    assert.equal(goaway?.code, http2Constants.NGHTTP2_ENHANCE_YOUR_CALM);
  });

  it('ends a session that opens and resets streams without end (rapid reset), and serves the next one', async () => {
    const session = connectHttp2(node.url);
    session.on('error', () => {});
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
    await within(new Promise((resolve) => session.once('remoteSettings', resolve)), 'SETTINGS');
    let opened = 0;
    const MAX_TRIES = 5_000;
    let gone = false;
    void goaway.then(() => (gone = true));
    while (opened < MAX_TRIES && !gone && !session.destroyed) {
      const stream = session.request(
        { ':method': 'POST', ':path': '/', 'x-amz-target': 'Kinesis_20131202.ListStreams' },
        { endStream: false },
      );
      stream.on('error', () => {});
      stream.close(http2Constants.NGHTTP2_CANCEL);
      if (++opened % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const code = await within(goaway, `GOAWAY after ${opened} resets`);
    assert.notEqual(code, http2Constants.NGHTTP2_NO_ERROR, 'the GOAWAY says the session misbehaved');
    assert.ok(opened < MAX_TRIES, `ended after ${opened} resets`);
    session.destroy();
    assert.ok(Array.isArray((await node.kinesis.send(new ListStreamsCommand({}))).StreamNames), 'other clients are served');
  });
});

describe('closing the node', () => {
  it('ends connections in every state and leaves no timer behind: the process exits by itself', { timeout: 30_000 }, async () => {
    // A child process starts a node with the default (long) deadlines, opens a connection in each
    // state, closes the node and returns: it must exit without process.exit, long before any
    // 30-65 s deadline would have fired had a timer been left referenced.
    const nodeModule = fileURLToPath(new URL('../../src/node.js', import.meta.url));
    const loggerModule = fileURLToPath(new URL('../../src/core/logger.js', import.meta.url));
    const script = `
      import { connect } from 'node:net';
      import { connect as h2 } from 'node:http2';
      import { mkdtempSync, rmSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const { startFreshet } = await import(${JSON.stringify(nodeModule)});
      const dataDir = mkdtempSync(join(tmpdir(), 'freshet-close-'));
      const { silentLogger } = await import(${JSON.stringify(loggerModule)});
      const node = await startFreshet({ port: 0, dataDir, logger: silentLogger() });
      const open = (text) => new Promise((resolve) => { const s = connect(node.port, '127.0.0.1', () => { if (text) s.write(text); resolve(s); }); s.on('error', () => {}); });
      const sockets = [await open(''), await open('POST / HTTP/1.1\\r\\nHost: x\\r\\n'), await open('P'),
        await open('POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\n{')];
      const session = h2(node.url); session.on('error', () => {});
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await node.close();
      for (const s of sockets) s.destroy();
      session.destroy();
      rmSync(dataDir, { recursive: true, force: true });
      process.stdout.write('closed\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await within(
      new Promise<number | null>((resolve) => child.once('exit', resolve)),
      'the process exiting by itself',
      20_000,
    ).finally(() => child.kill('SIGKILL'));
    assert.equal(out, 'closed\n');
    assert.equal(code, 0);
  });
});

/** One awsJson call over an HTTP/2 session: status and body. */
function http2Call(session: ClientHttp2Session, operation: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/',
      'x-amz-target': `Kinesis_20131202.${operation}`,
      'content-type': JSON_TYPE,
      ...formOnlySignature(),
    });
    let status = 0;
    let text = '';
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve({ status, body: text }));
    stream.on('error', reject);
    stream.end(body);
  });
}
