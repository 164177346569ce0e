/**
 * HTTPS: `--tls auto` (a certificate made once and kept for restarts) and `--tls-cert`/`--tls-key`
 * (read again by reloadTls, as on SIGHUP), reached by every client the way users configure them:
 * SDK v3 over HTTP/1.1 (an https.Agent trusting the CA) and over HTTP/2 (NodeHttp2Handler,
 * SubscribeToShard included), the aws CLI with --ca-bundle and --no-verify-ssl, boto3 with
 * verify=; ALPN offers h2 and http/1.1. The listener's protections hold for TLS connections: a
 * silent connection, a handshake that never completes and a connection that never sends a
 * request are closed at the headers deadline, and connections over the cap are refused.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { Agent } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { selfSigned } from '../../src/security/tls/index.js';
import { activeConsumer } from '../fanout/helpers.js';
import { createActiveStream, text } from '../helpers/api.js';
import { awsEnv, TEST_CREDENTIALS, uniqueName } from '../helpers/clients.js';
import { startNode, type TestNode } from '../helpers/fixture.js';
import { startServer } from '../helpers/server.js';
import { signedHeaders } from '../helpers/signing.js';

const run = promisify(execFile);
const SHORT_MS = 300;
/** Only a broken server takes this long to do what a 300 ms deadline asks. */
const GUARD_MS = 10_000;
const README = readFileSync(new URL('../../../../../README.md', import.meta.url), 'utf8');

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${GUARD_MS} ms`)), GUARD_MS);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** A Kinesis client that trusts `ca`, over HTTP/2 (SDK v3's default for Kinesis) or HTTP/1.1. */
function trustingClient(url: string, ca: string, protocol: 'h2' | 'http/1.1'): KinesisClient {
  const requestHandler =
    protocol === 'h2'
      ? new NodeHttp2Handler({ nodeHttp2ConnectOptions: { ca } })
      : new NodeHttpHandler({ httpsAgent: new Agent({ ca, keepAlive: true }) });
  return new KinesisClient({ endpoint: url, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1, requestHandler });
}

/** A TLS connection to the node offering `alpn`, resolved once its handshake is done. */
function tlsConnect(port: number, ca: string, alpn: string[]): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ port, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: alpn }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: { once(event: 'close', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('TLS with a generated certificate (--tls auto)', () => {
  let node: TestNode;
  let ca: string;
  let auditFile: string;
  const clients: KinesisClient[] = [];
  const client = (protocol: 'h2' | 'http/1.1') => {
    const made = trustingClient(node.url, ca, protocol);
    clients.push(made);
    return made;
  };

  before(async () => {
    auditFile = join(mkdtempSync(join(tmpdir(), 'freshet-tls-audit-')), 'audit.log');
    node = await startNode({
      tls: { kind: 'auto' },
      auditLog: { file: auditFile },
      engine: { registerConsumerMs: 0 },
      connections: { headersTimeoutMs: SHORT_MS },
    });
    ca = readFileSync(node.running.tlsCertFile!, 'utf8');
  });
  after(async () => {
    for (const made of clients) made.destroy();
    await node.dispose();
    rmSync(join(auditFile, '..'), { recursive: true, force: true });
  });

  it('serves https, with a certificate for localhost, 127.0.0.1 and ::1 kept in <data-dir>/tls/', () => {
    assert.match(node.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(node.running.tlsCertFile, join(node.dataDir, 'tls', 'cert.pem'));
    const certificate = new X509Certificate(ca);
    assert.equal(certificate.checkHost('localhost'), 'localhost');
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(certificate.checkIP('::1'), '::1');
    assert.ok(certificate.ca, 'the certificate is its own CA, so the file is a CA bundle');
  });

  it('negotiates h2 and http/1.1 by ALPN, preferring h2', async () => {
    for (const [offered, expected] of [
      [['h2', 'http/1.1'], 'h2'],
      [['http/1.1', 'h2'], 'h2'],
      [['http/1.1'], 'http/1.1'],
    ] as const) {
      const socket = await tlsConnect(node.port, ca, [...offered]);
      assert.equal(socket.alpnProtocol, expected, `offered ${offered.join(',')}`);
      socket.destroy();
    }
  });

  it('serves HTTP/2 to a client that offers no ALPN and sends the preface (the Java SDK v2 on Netty does)', async () => {
    const socket = await tlsConnect(node.port, ca, []);
    assert.equal(socket.alpnProtocol, false);
    const session = http2Connect(node.url, { createConnection: () => socket });
    try {
      const body = '{}';
      const headers = await signedHeaders(node.url, {
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams' },
        body,
      });
      const request = session.request({ ':method': 'POST', ':path': '/', ...headers });
      request.end(body);
      const [status, answer] = await within(
        new Promise<[number, string]>((resolve, reject) => {
          let status = 0;
          let text = '';
          request.on('response', (h) => (status = Number(h[':status'])));
          request.on('data', (chunk: Buffer) => (text += chunk.toString()));
          request.on('end', () => resolve([status, text]));
          request.on('error', reject);
        }),
        'an answer over HTTP/2 without ALPN',
      );
      assert.equal(status, 200, answer);
      assert.ok(Array.isArray((JSON.parse(answer) as { StreamNames: unknown }).StreamNames), answer);
    } finally {
      session.destroy();
    }
  });

  it('serves SDK v3 over HTTP/1.1 (an https.Agent trusting the CA): PutRecord, GetShardIterator, GetRecords', async () => {
    const kinesis = client('http/1.1');
    const name = uniqueName('tls-h1');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const { ShardId } = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('over tls') }));
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    assert.deepEqual(
      Records!.map((r) => text(r.Data)),
      ['over tls'],
    );
  });

  it('serves SDK v3 over HTTP/2 (NodeHttp2Handler), SubscribeToShard included', async () => {
    const kinesis = client('h2');
    const name = uniqueName('tls-h2');
    const streamArn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    const { ShardId } = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('pushed') }));
    const consumerArn = await activeConsumer(kinesis, streamArn, 'tls-consumer');
    const { EventStream } = await kinesis.send(
      new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId, StartingPosition: { Type: 'TRIM_HORIZON' } }),
    );
    let received: string[] = [];
    for await (const event of EventStream!) {
      received = (event.SubscribeToShardEvent?.Records ?? []).map((r) => text(r.Data));
      if (received.length > 0) break;
    }
    assert.deepEqual(received, ['pushed']);
  });

  it('tells the handlers the call came over TLS, over HTTP/2 and HTTP/1.1 alike (the audit log records its TLS details)', async () => {
    for (const protocol of ['h2', 'http/1.1'] as const) {
      await client(protocol).send(new ListStreamsCommand({ Limit: 1 }));
    }
    // The lines are written in the background: the last two ListStreams calls are there soon.
    let lines: Array<Record<string, any>> = [];
    await within(
      (async () => {
        for (;;) {
          lines = readFileSync(auditFile, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as Record<string, any>)
            .filter((line) => line.eventName === 'ListStreams');
          if (lines.length >= 2) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      'the ListStreams lines',
    );
    for (const line of lines.slice(-2)) {
      assert.match(line.tlsDetails.tlsVersion, /^TLSv1\.[23]$/);
      assert.ok(line.tlsDetails.cipherSuite, 'a cipher suite');
      assert.match(line.tlsDetails.clientProvidedHostHeader, /^127\.0\.0\.1:\d+$/);
    }
  });

  it('serves the aws CLI with --ca-bundle and with --no-verify-ssl', async () => {
    const name = uniqueName('tls-cli');
    const endpoint = `https://localhost:${node.port}`;
    const env = awsEnv();
    await run(
      'aws',
      [
        '--endpoint-url',
        endpoint,
        '--ca-bundle',
        node.running.tlsCertFile!,
        'kinesis',
        'create-stream',
        '--stream-name',
        name,
        '--shard-count',
        '1',
      ],
      { env },
    );
    const { stdout } = await run(
      'aws',
      [
        '--endpoint-url',
        endpoint,
        '--no-verify-ssl',
        'kinesis',
        'describe-stream-summary',
        '--stream-name',
        name,
        '--query',
        'StreamDescriptionSummary.StreamName',
        '--output',
        'text',
      ],
      { env },
    );
    assert.equal(stdout.trim(), name);
    // Without the CA bundle, the CLI refuses the certificate, as it should.
    await assert.rejects(run('aws', ['--endpoint-url', endpoint, 'kinesis', 'list-streams'], { env }), /SSL|certificate/i);
  });

  it('serves boto3 with verify=<the certificate>: create, put, get', async () => {
    const script = `
import boto3, sys
k = boto3.client('kinesis', endpoint_url=sys.argv[1], verify=sys.argv[2])
name = sys.argv[3]
k.create_stream(StreamName=name, ShardCount=1)
k.get_waiter('stream_exists').wait(StreamName=name, WaiterConfig={'Delay': 0.1})
put = k.put_record(StreamName=name, PartitionKey='p', Data=b'from boto3')
it = k.get_shard_iterator(StreamName=name, ShardId=put['ShardId'], ShardIteratorType='TRIM_HORIZON')['ShardIterator']
print(k.get_records(ShardIterator=it)['Records'][0]['Data'].decode())
`;
    const { stdout } = await run(
      'python3',
      ['-c', script, `https://localhost:${node.port}`, node.running.tlsCertFile!, uniqueName('tls-boto3')],
      {
        env: awsEnv(),
      },
    );
    assert.equal(stdout, 'from boto3\n');
  });

  it('closes at the headers deadline a connection that never starts its handshake', async () => {
    const socket = connectTcp({ port: node.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await within(closed(socket), 'a silent connection closed');
  });

  it('closes at the headers deadline a handshake that never completes', async () => {
    const socket = connectTcp({ port: node.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    // The first bytes of a TLS record header (handshake, TLS 1.0 record version), then nothing.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    await within(closed(socket), 'a stalled handshake closed');
  });

  it('closes at the headers deadline a TLS connection that never sends a request, over h2 and http/1.1', async () => {
    for (const alpn of [['h2'], ['http/1.1']]) {
      const socket = await tlsConnect(node.port, ca, alpn);
      socket.on('error', () => {});
      // Read what comes (HTTP/2: the server's SETTINGS), or the close would wait behind it.
      socket.resume();
      await within(closed(socket), `a silent ${alpn[0]} connection closed`);
    }
  });

  it('keeps its certificate across a restart', async () => {
    node = await node.restart({ tls: { kind: 'auto' }, auditLog: { file: auditFile }, connections: { headersTimeoutMs: SHORT_MS } });
    assert.equal(readFileSync(node.running.tlsCertFile!, 'utf8'), ca);
  });
});

describe('TLS connection cap', () => {
  it('refuses TLS connections over --max-connections at once, and serves again when one closes', async () => {
    const node = await startNode({ tls: { kind: 'auto' }, connections: { maxConnections: 2 } });
    try {
      const ca = readFileSync(node.running.tlsCertFile!, 'utf8');
      const held = [await tlsConnect(node.port, ca, ['h2']), await tlsConnect(node.port, ca, ['http/1.1'])];
      await assert.rejects(
        within(tlsConnect(node.port, ca, ['h2']), 'the connection over the cap'),
        /ECONNRESET|socket disconnected|EPIPE/,
      );
      held[0]!.destroy();
      await closed(held[0]!);
      const kinesis = trustingClient(node.url, ca, 'h2');
      try {
        await within(
          (async () => {
            // The server sees the close a moment after the client: retry until it has.
            for (;;) {
              try {
                return await kinesis.send(new ListStreamsCommand({}));
              } catch {
                await new Promise((resolve) => setTimeout(resolve, 20));
              }
            }
          })(),
          'a call once a connection is free',
        );
      } finally {
        kinesis.destroy();
        held[1]!.destroy();
      }
    } finally {
      await node.dispose();
    }
  });
});

describe('TLS with given certificate files (--tls-cert, --tls-key)', () => {
  it('serves them, and serves new ones to new connections after reloadTls (SIGHUP)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-tls-files-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    const first = await selfSigned(['localhost', '127.0.0.1'], new Date());
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const node = await startNode({ tls: { kind: 'files', certFile, keyFile } });
    try {
      const fingerprint = async (ca: string) => {
        const socket = await tlsConnect(node.port, ca, ['h2']);
        const seen = socket.getPeerX509Certificate()!.fingerprint256;
        socket.destroy();
        return seen;
      };
      assert.equal(await fingerprint(first.cert), new X509Certificate(first.cert).fingerprint256);
      const second = await selfSigned(['localhost', '127.0.0.1'], new Date());
      writeFileSync(certFile, second.cert);
      writeFileSync(keyFile, second.key);
      assert.equal(await node.running.reloadTls(), true);
      assert.equal(await fingerprint(second.cert), new X509Certificate(second.cert).fingerprint256);
      // A key that is not the certificate's is refused, and the one in use stays.
      writeFileSync(keyFile, first.key);
      assert.equal(await node.running.reloadTls(), false);
      assert.equal(await fingerprint(second.cert), new X509Certificate(second.cert).fingerprint256);
    } finally {
      await node.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with files that cannot be used, naming them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-tls-bad-'));
    try {
      const server = startServer({ args: ['--tls-cert', join(dir, 'absent.pem'), '--tls-key', join(dir, 'absent.key')] });
      await assert.rejects(server, /--tls-cert .*absent\.pem: cannot read it \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the README over TLS', () => {
  it('runs its aws CLI example as printed against `freshet serve --tls auto`', async () => {
    const start = README.indexOf('\n## Use it over TLS\n');
    assert.ok(start > 0, 'README has a section "Use it over TLS"');
    const section = README.slice(start, README.indexOf('\n## ', start + 1));
    assert.ok(section.includes('npx freshet serve --tls auto'), 'it says how to start the server');
    const code = /^```sh\n([\s\S]*?)^```$/m.exec(section)![1]!;
    const server = await startServer({ args: ['--tls', 'auto', '--create-stream-ms', '500'] });
    try {
      const local = code
        .replaceAll('https://localhost:4567', `https://localhost:${server.port}`)
        .replaceAll('./data/tls/cert.pem', join(server.dataDir, 'tls', 'cert.pem'));
      const { stdout } = await run('bash', ['-c', `set -eo pipefail\n${local}`], { timeout: 90_000 });
      assert.equal(stdout, 'secured\n');
    } finally {
      await server.dispose();
    }
  });
});
