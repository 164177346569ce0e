/**
 * restXml against the real AWS SDK v3 S3 client (path-style): its serializer builds the requests
 * we decode, its XML deserializer reads the answers we encode; python's xml.etree reads our XML too.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AwsError, loadModel, restXmlCodec, type HttpRequestParts } from '../src/index.js';
import { loopHandler, testCredentials, type Served } from './helpers/sdkLoop.js';

const s3 = loadModel('s3-2006-03-01');

function client(handle: (op: string, input: any) => unknown, served: Served = {}) {
  return new S3Client({
    region: 'us-east-1',
    endpoint: 'http://localhost:4567',
    forcePathStyle: true,
    credentials: testCredentials,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: loopHandler(s3, restXmlCodec, handle, served),
  });
}

function request(method: string, path: string, query = '', body = '', headers: Record<string, string> = {}): HttpRequestParts {
  return { method, path, query: new URLSearchParams(query), headers, body: Buffer.from(body) };
}

describe('restXml: S3 through the SDK', () => {
  it('PutObject: bucket and greedy key labels, metadata headers, the body as the payload', async () => {
    const served: Served = {};
    const out = await client(() => ({ ETag: '"abc"', VersionId: 'v1' }), served).send(
      new PutObjectCommand({
        Bucket: 'my-bucket',
        Key: 'a/b c/ü.txt',
        Body: 'hello',
        ContentType: 'text/plain',
        Metadata: { owner: 'me', 'x-y': 'z' },
        StorageClass: 'STANDARD_IA',
      }),
    );
    assert.equal(served.operation, 'PutObject');
    const input = served.input as any;
    assert.equal(input.Bucket, 'my-bucket');
    assert.equal(input.Key, 'a/b c/ü.txt');
    assert.equal(Buffer.from(input.Body).toString(), 'hello');
    assert.equal(input.ContentType, 'text/plain');
    assert.equal(input.StorageClass, 'STANDARD_IA');
    assert.deepEqual(input.Metadata, { owner: 'me', 'x-y': 'z' });
    assert.equal(out.ETag, '"abc"');
    assert.equal(out.VersionId, 'v1');
  });

  it('GetObject: a streaming payload and its headers (an HTTP-date Last-Modified, metadata) reach the SDK', async () => {
    const modified = new Date('2024-02-03T04:05:06.000Z');
    async function* chunks() {
      yield Buffer.from('hel');
      yield Buffer.from('lo');
    }
    const served: Served = {};
    const out = await client(
      () => ({
        Body: chunks(),
        ContentType: 'text/plain',
        ContentLength: 5,
        LastModified: modified,
        Metadata: { owner: 'me' },
        ETag: '"e"',
      }),
      served,
    ).send(new GetObjectCommand({ Bucket: 'b', Key: 'k.txt', Range: 'bytes=0-4' }));
    assert.equal(served.operation, 'GetObject');
    assert.equal((served.input as any).Range, 'bytes=0-4');
    assert.equal(await out.Body!.transformToString(), 'hello');
    assert.equal(out.ContentType, 'text/plain');
    assert.equal(out.LastModified?.getTime(), modified.getTime());
    assert.deepEqual(out.Metadata, { owner: 'me' });
  });

  it('ListObjectsV2: the list-type=2 route, query members, flattened lists in the answer', async () => {
    const served: Served = {};
    const when = new Date('2024-01-01T00:00:00.000Z');
    const out = await client(
      () => ({
        Name: 'b',
        Prefix: 'p/',
        KeyCount: 2,
        MaxKeys: 2,
        IsTruncated: true,
        NextContinuationToken: 'n&t',
        Contents: [
          { Key: 'p/1 & <2>', Size: 3, LastModified: when, ETag: '"x"', StorageClass: 'STANDARD' },
          { Key: 'p/3', Size: 0, LastModified: when },
        ],
        CommonPrefixes: [{ Prefix: 'p/d/' }],
      }),
      served,
    ).send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'p/', MaxKeys: 2, Delimiter: '/', FetchOwner: true }));
    assert.equal(served.operation, 'ListObjectsV2');
    assert.deepEqual(served.input, { Bucket: 'b', Prefix: 'p/', MaxKeys: 2, Delimiter: '/', FetchOwner: true });
    assert.equal(out.KeyCount, 2);
    assert.equal(out.IsTruncated, true);
    assert.equal(out.NextContinuationToken, 'n&t');
    assert.deepEqual(
      out.Contents?.map((o) => [o.Key, o.Size, o.LastModified?.getTime()]),
      [
        ['p/1 & <2>', 3, when.getTime()],
        ['p/3', 0, when.getTime()],
      ],
    );
    assert.deepEqual(out.CommonPrefixes, [{ Prefix: 'p/d/' }]);
  });

  it('CreateBucket and PutBucketTagging: XML payloads in, by their root elements', async () => {
    const served: Served = {};
    await client(() => ({ Location: '/b' }), served).send(
      new CreateBucketCommand({ Bucket: 'b', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
    assert.equal(served.operation, 'CreateBucket');
    assert.deepEqual(served.input, { Bucket: 'b', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
    await client(() => undefined, served).send(
      new PutBucketTaggingCommand({
        Bucket: 'b',
        Tagging: {
          TagSet: [
            { Key: 'k1', Value: 'v1' },
            { Key: 'k2', Value: '' },
          ],
        },
      }),
    );
    assert.equal(served.operation, 'PutBucketTagging');
    assert.deepEqual((served.input as any).Tagging, {
      TagSet: [
        { Key: 'k1', Value: 'v1' },
        { Key: 'k2', Value: '' },
      ],
    });
  });

  it('DeleteObjects: a POST with ?delete and a flattened list in, a flattened list out', async () => {
    const served: Served = {};
    const out = await client((_op, input) => ({ Deleted: input.Delete.Objects.map((o: any) => ({ Key: o.Key })) }), served).send(
      new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'x' }, { Key: 'y', VersionId: '2' }], Quiet: false } }),
    );
    assert.equal(served.operation, 'DeleteObjects');
    assert.deepEqual((served.input as any).Delete, { Objects: [{ Key: 'x' }, { Key: 'y', VersionId: '2' }], Quiet: false });
    assert.deepEqual(out.Deleted, [{ Key: 'x' }, { Key: 'y' }]);
  });

  it('NoSuchKey reaches the SDK as its modelled error, 404', async () => {
    await assert.rejects(
      client(() => {
        throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
      }).send(new GetObjectCommand({ Bucket: 'b', Key: 'gone' })),
      (err: any) => {
        assert.equal(err.name, 'NoSuchKey');
        assert.equal(err.$metadata.httpStatusCode, 404);
        assert.equal(err.message, 'The specified key does not exist.');
        return true;
      },
    );
  });
});

describe('restXml: by hand', () => {
  it('routes pick the most specific template: ?tagging, ?uploads, uploadId, copy source', () => {
    assert.equal(restXmlCodec.operationOf(s3, request('GET', '/b/k', 'tagging')), 'GetObjectTagging');
    assert.equal(restXmlCodec.operationOf(s3, request('GET', '/b/k')), 'GetObject');
    assert.equal(restXmlCodec.operationOf(s3, request('GET', '/b', 'list-type=2')), 'ListObjectsV2');
    assert.equal(restXmlCodec.operationOf(s3, request('GET', '/b')), 'ListObjects');
    assert.equal(restXmlCodec.operationOf(s3, request('GET', '/')), 'ListBuckets');
    assert.equal(restXmlCodec.operationOf(s3, request('POST', '/b/k', 'uploads')), 'CreateMultipartUpload');
    assert.equal(restXmlCodec.operationOf(s3, request('PUT', '/b/k', 'partNumber=1&uploadId=u')), 'UploadPart');
    assert.equal(restXmlCodec.operationOf(s3, request('PUT', '/b/k', '', '', { 'x-amz-copy-source': '/a/b' })), 'CopyObject');
    assert.equal(restXmlCodec.operationOf(s3, request('PUT', '/b/k')), 'PutObject');
  });

  it('max-keys that is no integer: InvalidArgument with ArgumentName and ArgumentValue', () => {
    let caught: AwsError | undefined;
    try {
      restXmlCodec.decodeInput(s3, 'ListObjectsV2', request('GET', '/b', 'list-type=2&max-keys=abc'));
    } catch (err) {
      caught = err as AwsError;
    }
    assert.equal(caught?.code, 'InvalidArgument');
    assert.equal(caught?.message, 'Provided max-keys not an integer or within integer range');
    const xml = String(restXmlCodec.encodeError(s3, caught!, 'rid').body);
    assert.match(xml, /<ArgumentName>max-keys<\/ArgumentName><ArgumentValue>abc<\/ArgumentValue><RequestId>rid<\/RequestId><\/Error>$/);
  });

  it('an XML payload that is not XML is MalformedXML', () => {
    assert.throws(
      () => restXmlCodec.decodeInput(s3, 'PutBucketTagging', request('PUT', '/b', 'tagging', '<Tagging><TagSet>')),
      (err: any) => err.code === 'MalformedXML' && err.status === 400,
    );
  });

  it('an XML payload without a required element is MalformedXML', () => {
    assert.throws(
      () =>
        restXmlCodec.decodeInput(
          s3,
          'PutBucketTagging',
          request('PUT', '/b', 'tagging', '<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>'),
        ),
      (err: any) => err.code === 'MalformedXML',
    );
  });

  it('xsi:type attributes are read and written as attributes', () => {
    const input = restXmlCodec.decodeInput(
      s3,
      'PutBucketAcl',
      request(
        'PUT',
        '/b',
        'acl',
        '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>id1</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>',
      ),
    ) as any;
    assert.deepEqual(input.AccessControlPolicy.Grants, [{ Grantee: { ID: 'id1', Type: 'CanonicalUser' }, Permission: 'READ' }]);
    const answer = restXmlCodec.encodeOutput(s3, 'GetBucketAcl', { Grants: input.AccessControlPolicy.Grants });
    assert.match(
      String(answer.body),
      /<Grantee xmlns:xsi="http:\/\/www.w3.org\/2001\/XMLSchema-instance" xsi:type="CanonicalUser"><ID>id1<\/ID><\/Grantee>/,
    );
  });

  it('our ListObjectsV2 answer and error parse in python with the S3 namespace', () => {
    const answer = restXmlCodec.encodeOutput(s3, 'ListObjectsV2', {
      Name: 'b',
      KeyCount: 1,
      Contents: [{ Key: 'k<&>', Size: 7, LastModified: new Date(0) }],
    });
    const error = restXmlCodec.encodeError(s3, new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404), 'r1');
    const script = `
import sys, xml.etree.ElementTree as ET
ns = {'s3': 'http://s3.amazonaws.com/doc/2006-03-01/'}
root = ET.fromstring(sys.argv[1].encode())
c = root.find('s3:Contents', ns)
print(c.find('s3:Key', ns).text, c.find('s3:Size', ns).text, c.find('s3:LastModified', ns).text, root.find('s3:KeyCount', ns).text)
err = ET.fromstring(sys.argv[2].encode())
print(err.tag, err.find('Code').text, err.find('Message').text, err.find('RequestId').text)
`;
    const printed = execFileSync('python3', ['-c', script, String(answer.body), String(error.body)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    assert.deepEqual(printed, ['k<&> 7 1970-01-01T00:00:00.000Z 1', 'Error NoSuchBucket The specified bucket does not exist r1']);
  });
});
