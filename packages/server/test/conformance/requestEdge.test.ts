/**
 * The request edge of Data Streams: what AWS answers before it knows the operation, item by item
 * in its order (issue 18; kinesalite's test/connection.js, recorded against AWS): request ids,
 * CORS, a method other than POST, an empty body, the Content-Type, a body that does not parse,
 * `application/json`, an unknown target, then the signature's form, then the body's validation.
 * Raw HTTP, since the SDKs would send none of these.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeCbor } from '../helpers/cbor.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { assertError, CBOR_11, JSON_11, raw, type RawAnswer } from './raw.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LIST_STREAMS = 'Kinesis_20131202.ListStreams';
const ACCESS_DENIED_XML =
  '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n';
const envelope = (type: string) => ({ Output: { __type: `com.amazon.coral.service#${type}` }, Version: '1.0' });

function assertIds(answer: RawAnswer): void {
  assert.match(answer.headers.get('x-amzn-RequestId') ?? '', UUID);
  const id2 = Buffer.from(answer.headers.get('x-amz-id-2') ?? '', 'base64');
  assert.ok(id2.length >= 64 && id2.length <= 80, `x-amz-id-2 of ${id2.length} bytes`);
}

function assertAccessDeniedXml(answer: RawAnswer): void {
  assert.equal(answer.status, 403, answer.text);
  assert.equal(answer.text, ACCESS_DENIED_XML);
  assert.equal(answer.headers.get('content-type'), null);
}

describe('conformance: the request edge', () => {
  let node: TestNode;
  nodePerSuite(
    () => startNode(),
    (started) => (node = started),
  );

  it('1. every answer carries x-amzn-RequestId and an x-amz-id-2 of 64 to 80 random bytes', async () => {
    const ok = await raw(node.url, { target: LIST_STREAMS, body: '{}' });
    assert.equal(ok.status, 200);
    assertIds(ok);
    const refused = await raw(node.url, { method: 'GET', unsigned: true });
    assertIds(refused);
    const other = await raw(node.url, { target: LIST_STREAMS, body: '{}' });
    assert.notEqual(other.headers.get('x-amz-id-2'), ok.headers.get('x-amz-id-2'));
  });

  it('2. a preflight with an Origin is answered at once, without x-amz-id-2; other answers to a browser expose AWS headers', async () => {
    const preflight = await raw(node.url, {
      method: 'OPTIONS',
      contentType: null,
      unsigned: true,
      headers: { origin: 'whatever', 'access-control-request-headers': 'a, b, c', 'access-control-request-method': 'd' },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.text, '');
    assert.equal(preflight.headers.get('content-length'), '0');
    assert.match(preflight.headers.get('x-amzn-RequestId') ?? '', UUID);
    assert.equal(preflight.headers.get('x-amz-id-2'), null);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'a, b, c');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'd');
    assert.equal(preflight.headers.get('access-control-max-age'), '172800');
    assert.equal(preflight.headers.get('access-control-expose-headers'), null);

    const answer = await raw(node.url, { target: LIST_STREAMS, body: '{}', headers: { origin: 'whatever' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    assert.equal(
      answer.headers.get('access-control-expose-headers'),
      'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date',
    );
  });

  it('2. an OPTIONS request without an Origin is no preflight: refused as any method but POST', async () => {
    const answer = await raw(node.url, { method: 'OPTIONS', contentType: null, headers: { 'access-control-request-method': 'POST' } });
    assertAccessDeniedXml(answer);
    assert.equal(answer.headers.get('access-control-max-age'), null);
    assertIds(answer);
  });

  it('3. a method other than POST: 403 AccessDeniedException in XML, whatever else the request has', async () => {
    for (const method of ['GET', 'PUT', 'PATCH']) {
      assertAccessDeniedXml(await raw(node.url, { method, target: LIST_STREAMS, body: '{}' }));
      assertAccessDeniedXml(await raw(node.url, { method, contentType: null, unsigned: true }));
    }
    const browser = await raw(node.url, { method: 'GET', headers: { origin: 'whatever' } });
    assertAccessDeniedXml(browser);
    assert.equal(browser.headers.get('access-control-allow-origin'), '*');
  });

  it('4. an empty body: SerializationException for a real operation, else UnknownOperationException, in JSON to awsJson 1.1', async () => {
    const known = await raw(node.url, { target: LIST_STREAMS, unsigned: true });
    assert.equal(known.status, 400);
    assert.equal(known.headers.get('content-type'), JSON_11);
    assert.deepEqual(known.json, { __type: 'SerializationException' });
    for (const target of [undefined, 'Kinesis_20131202.ListStream', 'Nope.ListStreams']) {
      const unknown = await raw(node.url, { ...(target ? { target } : {}) });
      assert.equal(unknown.status, 400, target);
      assert.deepEqual(unknown.json, { __type: 'UnknownOperationException' }, target);
    }
  });

  it('4. an empty body in anything but awsJson 1.1 is answered in CBOR', async () => {
    for (const contentType of [null, CBOR_11, 'application/json', 'text/plain', 'application/x-amz-json-1.0']) {
      const known = await raw(node.url, { target: LIST_STREAMS, contentType });
      assert.equal(known.status, 400, String(contentType));
      assert.equal(known.headers.get('content-type'), CBOR_11, String(contentType));
      assert.deepEqual(decodeCbor(known.bytes), { __type: 'SerializationException' });
      const unknown = await raw(node.url, { contentType });
      assert.equal(unknown.status, 400);
      assert.deepEqual(decodeCbor(unknown.bytes), { __type: 'UnknownOperationException' });
    }
  });

  it('5. a Content-Type AWS does not take: AccessDeniedException in XML without a full target, else 404 UnknownOperationException', async () => {
    for (const contentType of [null, 'text/plain', 'application/x-amz-json-1.0']) {
      for (const target of [undefined, 'Kinesis_20131202', '.ListStreams']) {
        assertAccessDeniedXml(await raw(node.url, { ...(target ? { target } : {}), contentType, body: '{}' }));
      }
      for (const target of [LIST_STREAMS, 'Kinesis_20131202.ListStream', 'Nope.Nope']) {
        const answer = await raw(node.url, { target, contentType, body: '{}' });
        assert.equal(answer.status, 404, `${contentType} ${target}`);
        assert.equal(answer.text, '<UnknownOperationException/>\n');
      }
    }
  });

  it('6. a body that does not parse to an object: 400 SerializationException, before the target and the signature', async () => {
    for (const body of ['hello', '{', '[1]', 'null', '"x"', '{"a":1}x']) {
      for (const target of [LIST_STREAMS, 'Kinesis_20131202.Nope', 'Nope']) {
        const answer = await raw(node.url, { target, body, unsigned: true });
        assert.equal(answer.status, 400, `${body} ${target}`);
        assert.deepEqual(answer.json, { __type: 'SerializationException' }, `${body} ${target}`);
      }
    }
    const cbor = await raw(node.url, { target: LIST_STREAMS, contentType: CBOR_11, body: Buffer.from([0x61, 0x61]), unsigned: true });
    assert.equal(cbor.status, 400);
    assert.equal(cbor.headers.get('content-type'), CBOR_11);
    assert.deepEqual(decodeCbor(cbor.bytes), { __type: 'SerializationException' });
  });

  it('6. application/json: the awsJson 1.0 envelope, SerializationException for a bad body, else 404 UnknownOperationException', async () => {
    const bad = await raw(node.url, { target: LIST_STREAMS, contentType: 'application/json', body: 'hello', unsigned: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('content-type'), 'application/json');
    assert.deepEqual(bad.json, envelope('SerializationException'));
    for (const target of [LIST_STREAMS, undefined]) {
      const answer = await raw(node.url, { ...(target ? { target } : {}), contentType: 'application/json', body: '{}', unsigned: true });
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.json, envelope('UnknownOperationException'));
    }
  });

  it('7. an unknown service or operation: 400 UnknownOperationException, before the signature', async () => {
    for (const target of [
      'Kinesis_20131202.ListStream',
      'Kinesis_20131202.',
      'Kinesis_20131201.ListStreams',
      'Firehose_20150804.ListStreams',
    ]) {
      for (const contentType of [JSON_11, CBOR_11]) {
        const body = contentType === JSON_11 ? '{}' : Buffer.from([0xa0]);
        const answer = await raw(node.url, { target, contentType, body, unsigned: true });
        assert.equal(answer.status, 400, target);
        const parsed = contentType === JSON_11 ? answer.json : decodeCbor(answer.bytes);
        assert.deepEqual(parsed, { __type: 'UnknownOperationException' }, target);
      }
    }
  });

  describe('8. the signature: its form, after the target and before the body is validated', () => {
    const call = (headers: Record<string, string>, query?: string) =>
      raw(node.url, { target: LIST_STREAMS, body: '{}', unsigned: true, headers, ...(query ? { query } : {}) });

    it('no signature at all, or a query with every part but X-Amz-Algorithm: MissingAuthenticationTokenException', async () => {
      assertError(await call({}), 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      const noAlgorithm = await call({}, '?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d');
      assertError(noAlgorithm, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    });

    it('a header and a query signature: InvalidSignatureException', async () => {
      assertError(
        await call({ authorization: 'X' }, '?X-Amz-Algorithm'),
        400,
        'InvalidSignatureException',
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
      );
      // A query parameter that is not X-Amz-Algorithm leaves the header to be judged alone.
      const header = await call({ authorization: 'X' }, '?X-Amz-Algorith');
      assertError(header, 400, 'IncompleteSignatureException', /^Authorization header requires 'Credential' parameter\. /);
    });

    it('an incomplete Authorization header: IncompleteSignatureException naming each missing part, then the header', async () => {
      assertError(
        await call({ authorization: 'X' }),
        400,
        'IncompleteSignatureException',
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
          "Authorization header requires 'SignedHeaders' parameter. " +
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=X",
      );
      for (const header of ['AWS4- Signature=b Credential=a', 'AWS4- Signature=b,Credential=a', 'AWS4- Signature=b, Credential=a']) {
        assertError(
          await call({ authorization: header, date: 'a' }),
          400,
          'IncompleteSignatureException',
          `Authorization header requires 'SignedHeaders' parameter. Authorization=${header}`,
        );
      }
    });

    it('an incomplete presigned query: IncompleteSignatureException naming each missing parameter', async () => {
      assertError(
        await call({}, '?X-Amz-Algorithm'),
        400,
        'IncompleteSignatureException',
        "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. " +
          "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
          "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
      );
      assertError(
        await call({}, '?X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-SignedHeaders=d'),
        400,
        'IncompleteSignatureException',
        "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
      );
    });

    it('the signature comes before a member of the wrong type or an invalid value', async () => {
      for (const body of ['{"Limit":"ten"}', '{"Limit":0}']) {
        const answer = await raw(node.url, { target: LIST_STREAMS, body, unsigned: true });
        assertError(answer, 403, 'MissingAuthenticationTokenException', `Missing Authentication Token`);
      }
    });
  });

  it('9. then the body is validated, then the operation runs', async () => {
    const wrongType = await raw(node.url, { target: LIST_STREAMS, body: '{"Limit":"ten"}' });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.json?.__type, 'SerializationException');
    const invalid = await raw(node.url, { target: LIST_STREAMS, body: '{"Limit":0}' });
    assertError(invalid, 400, 'ValidationException', /'limit'/);
    const ok = await raw(node.url, { target: LIST_STREAMS, body: '{}' });
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(ok.json?.StreamNames));
  });
});
