/**
 * Review of SigV4 verification (issue 16): requests a legitimate client signs in the less common
 * shapes, signed by AWS's own signer (@smithy/signature-v4) and sent raw so that the bytes on the
 * wire are exactly the ones chosen (a query with repeated keys and empty values, encodings the
 * signer would not have made, header values with runs of spaces, paths to normalize, a presigned
 * URL with a session token, HTTP/2 with no Host header), each accepted; and a request changed
 * after signing in what its signature covers, each refused.
 */
import { strict as assert } from 'node:assert';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { TEST_CREDENTIALS } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import type { Credentials } from '../helpers/signing.js';

const A = '111111111111';
const HOUR = 3_600_000;
const ALLOW_ALL = [{ name: 'all', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
const ADMIN: Credentials = { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: TEST_CREDENTIALS.secretAccessKey };
const ROLE: Credentials = { accessKeyId: 'ASIAREVIEW', secretAccessKey: 'review-secret', sessionToken: 'FwoGZXIvYXdzE+/Token==' };
const LIST_STREAMS = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams' };
const BODY = '{}';

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}
function bytes(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

/** What is signed: the path and query as the signer sees them (the path already encoded, the query's values not). */
interface Signed {
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  credentials?: Credentials;
}

const signer = (credentials: Credentials = ADMIN) =>
  new SignatureV4({ credentials, region: 'us-east-1', service: 'kinesis', sha256: Sha256, uriEscapePath: true });

interface Answer {
  status: number;
  type?: string;
}

describe('review: SigV4 as legitimate clients sign it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-review-sigv4-'));
  const authFile = join(dir, 'auth.json');
  writeFileSync(
    authFile,
    JSON.stringify({
      accounts: [{ id: A }],
      principals: [
        { user: 'admin', account: A, credentials: [ADMIN], policies: ALLOW_ALL },
        {
          role: 'reviewer',
          account: A,
          credentials: [{ ...ROLE, expiration: new Date(Date.now() + HOUR).toISOString(), session: 'review' }],
          policies: ALLOW_ALL,
        },
      ],
    }),
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  let node: TestNode;
  nodePerSuite(
    () => startNode({ authFile }),
    (n) => (node = n),
  );
  const host = () => new URL(node.url).host;

  async function signedHeaders(what: Signed): Promise<Record<string, string>> {
    const signed = await signer(what.credentials).sign({
      method: 'POST',
      protocol: 'http:',
      hostname: new URL(node.url).hostname,
      path: what.path,
      query: what.query ?? {},
      headers: { host: host(), ...LIST_STREAMS, ...(what.headers ?? {}) },
      body: BODY,
    });
    return signed.headers;
  }

  /** Sends `target` (path and query exactly as given) over HTTP/1.1 with `headers`. */
  function send(target: string, headers: Record<string, string>, body = BODY): Promise<Answer> {
    const { hostname, port } = new URL(node.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ hostname, port, method: 'POST', path: target, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, type: (JSON.parse(text || '{}') as { __type?: string }).__type });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const accepted = async (target: string, what: Signed) => {
    const answer = await send(target, await signedHeaders(what));
    assert.deepEqual(answer, { status: 200, type: undefined }, `${target}: ${JSON.stringify(answer)}`);
  };

  test('a query with repeated keys, in any order on the wire', async () => {
    await accepted('/?b=2&a=z&a=b&a=m', { path: '/', query: { a: ['z', 'b', 'm'], b: '2' } });
  });

  test('a query with empty values, with and without "="', async () => {
    await accepted('/?empty=&flag', { path: '/', query: { empty: '', flag: '' } });
  });

  test('a query encoded otherwise than the signer would (lower-case hex, encoded unreserved, raw sub-delimiters)', async () => {
    await accepted("/?k%20ey=v%2f%3D%26%C3%A9~!*'()&t=%7E&u=%41", { path: '/', query: { 'k ey': "v/=&é~!*'()", t: '~', u: 'A' } });
  });

  test('header values with runs of spaces and tabs, and a header repeated', async () => {
    const headers = await signedHeaders({ path: '/', headers: { 'x-custom': 'a   b \t c' } });
    assert.deepEqual(await send('/', headers), { status: 200, type: undefined });
  });

  test('a path to normalize and encode again (non-S3 services sign it encoded twice)', async () => {
    await accepted('/a%20b/./c/../d%2Be//f/', { path: '/a%20b/./c/../d%2Be//f/' });
  });

  test('a presigned URL with a session token', async () => {
    const presigned = await signer(ROLE).presign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: new URL(node.url).hostname,
        path: '/',
        query: {},
        headers: { host: host(), ...LIST_STREAMS },
        body: BODY,
      },
      // x-amz-target stays a (signed) header: the gateway routes by it.
      { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-target']) },
    );
    const query = Object.entries(presigned.query ?? {})
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
      .join('&');
    assert.match(query, /X-Amz-Security-Token=/);
    const { host: _host, ...headers } = presigned.headers;
    assert.deepEqual(await send(`/?${query}`, headers), { status: 200, type: undefined });
    // The token is bound: another one (or none) is refused.
    const other = query.replace(/X-Amz-Security-Token=[^&]*/, 'X-Amz-Security-Token=forged');
    assert.equal((await send(`/?${other}`, headers)).type, 'UnrecognizedClientException');
  });

  test('HTTP/2 with no Host header (its :authority signed as host)', async () => {
    const headers = await signedHeaders({ path: '/' });
    const { host: authority, ...rest } = headers;
    const session = http2Connect(node.url);
    try {
      const answer = await new Promise<Answer>((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': '/', ':authority': authority!, ...rest });
        let status = 0;
        const chunks: Buffer[] = [];
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () =>
          resolve({ status, type: (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { __type?: string }).__type }),
        );
        stream.on('error', reject);
        stream.end(BODY);
      });
      assert.deepEqual(answer, { status: 200, type: undefined });
    } finally {
      session.close();
    }
  });

  test('what the signature covers cannot be changed: query, signed header, body, host', async () => {
    const headers = await signedHeaders({ path: '/', query: { a: '1' }, headers: { 'x-custom': 'v' } });
    assert.equal((await send('/?a=1', headers)).status, 200);
    assert.equal((await send('/?a=2', headers)).type, 'InvalidSignatureException');
    assert.equal((await send('/?a=1&a=1', headers)).type, 'InvalidSignatureException');
    assert.equal((await send('/?a=1', { ...headers, 'x-custom': 'w' })).type, 'InvalidSignatureException');
    assert.equal((await send('/?a=1', headers, '{ }')).type, 'InvalidSignatureException');
    assert.equal((await send('/?a=1', { ...headers, host: 'elsewhere.example' })).type, 'InvalidSignatureException');
    // An x-amz-content-sha256 added after signing (unsigned payload) does not unbind the body.
    assert.equal(
      (await send('/?a=1', { ...headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, '{ }')).type,
      'InvalidSignatureException',
    );
  });
});
