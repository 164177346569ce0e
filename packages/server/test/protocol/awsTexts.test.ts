/**
 * AWS's own answers, pinned by hand. Each text here was recorded against real AWS by kinesalite
 * (mhart/kinesalite, test/*.js); where the public model has changed since (StreamName became
 * optional when StreamARN arrived, Data grew to 10 MiB, tag limits grew), the input or the number
 * is adapted and the change is said. These guard the generated tables: a rule the generator and
 * the validator got wrong together would still fail here.
 *
 * AWS's order of lines between different members is not stable (kinesalite's own helper compares
 * them as a set), so multi-member messages are compared the same way; the order of lines for one
 * member (pattern, then minimum length) is stable and checked exactly.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeError } from '@freshet/aws';
import { decodeInput } from '../../src/services/kinesis/codec/codec.js';
import { AwsError } from '@freshet/aws';
import { type KinesisError } from '../../src/services/kinesis/errors.js';
import type { OperationName } from '../../src/services/kinesis/shapes.generated.js';

function rejection(op: OperationName, body: unknown): KinesisError {
  try {
    decodeInput(op, 'json', Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
  assert.fail(`${op} accepted ${JSON.stringify(body).slice(0, 200)}`);
}

/** Like kinesalite's assertValidation: the count prefix exactly, then the lines as a multiset. */
function assertValidation(op: OperationName, body: unknown, lines: string[]): void {
  const err = rejection(op, body);
  assert.equal(err.code, 'ValidationException');
  const prefix = `${lines.length} validation error${lines.length === 1 ? '' : 's'} detected: `;
  assert.ok(err.message.startsWith(prefix), `${err.message} should start with ${prefix}`);
  assert.deepEqual(err.message.slice(prefix.length).split('; ').sort(), [...lines].sort());
}

function assertExactValidation(op: OperationName, body: unknown, message: string): void {
  const err = rejection(op, body);
  assert.equal(err.code, 'ValidationException');
  assert.equal(err.message, message);
}

function assertSerialization(op: OperationName, body: unknown, message: string | undefined): void {
  const err = rejection(op, body);
  assert.equal(err.code, 'SerializationException');
  assert.equal(err.status, 400);
  assert.equal(err.hasMessage, message !== undefined);
  if (message !== undefined) assert.equal(err.message, message);
}

const name129 = 'a'.repeat(129);
const STREAM_NAME_PATTERN =
  "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+";
const STREAM_NAME_MIN = "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1";
const STREAM_NAME_MAX = `Value '${name129}' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128`;

describe('AWS validation texts (kinesalite recordings)', () => {
  it('CreateStream: empty name and zero shards (test/createStream.js, exact)', () => {
    assertExactValidation(
      'CreateStream',
      { StreamName: '', ShardCount: 0 },
      '3 validation errors detected: ' +
        "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
        `${STREAM_NAME_PATTERN}; ${STREAM_NAME_MIN}`,
    );
  });

  it('CreateStream: a huge ShardCount saturates instead of failing (test/createStream.js)', () => {
    assertExactValidation(
      'CreateStream',
      { StreamName: name129, ShardCount: 100000000000 },
      `1 validation error detected: ${STREAM_NAME_MAX}`,
    );
  });

  it('CreateStream: missing name (model: StreamName is still required)', () => {
    assertExactValidation(
      'CreateStream',
      {},
      "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('PutRecords: empty name and no records (test/putRecords.js, exact)', () => {
    assertExactValidation(
      'PutRecords',
      { StreamName: '', Records: [] },
      '3 validation errors detected: ' +
        "Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        `${STREAM_NAME_PATTERN}; ${STREAM_NAME_MIN}`,
    );
  });

  it('PutRecords: missing records (StreamName is optional since StreamARN)', () => {
    assertExactValidation(
      'PutRecords',
      {},
      "1 validation error detected: Value null at 'records' failed to satisfy constraint: Member must not be null",
    );
  });

  it('PutRecords: nested paths records.1.member.* (test/putRecords.js)', () => {
    assertValidation('PutRecords', { StreamName: '', Records: [{ PartitionKey: '', Data: '', ExplicitHashKey: '' }] }, [
      "Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
      "Value '' at 'records.1.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
      STREAM_NAME_PATTERN,
      STREAM_NAME_MIN,
    ]);
  });

  it('PutRecords: long values and blobs printed as HeapByteBuffer (test/putRecords.js; Data limit now 10 MiB)', () => {
    const key257 = 'a'.repeat(257);
    const data = Buffer.alloc(10485761).toString('base64');
    assertValidation('PutRecords', { StreamName: name129, Records: [{ PartitionKey: key257, Data: data, ExplicitHashKey: '' }] }, [
      `Value '${key257}' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256`,
      "Value '' at 'records.1.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
      "Value 'java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]' at 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to 10485760",
      STREAM_NAME_MAX,
    ]);
  });

  it('PutRecords: 501 records list at most 10 errors, the list printed as Java objects (test/putRecords.js)', () => {
    const records = Array.from({ length: 501 }, () => ({ PartitionKey: '', Data: '' }));
    const err = rejection('PutRecords', { StreamName: '', Records: records });
    const lines = err.message.replace(/^10 validation errors detected: /, '').split('; ');
    assert.equal(lines.length, 10);
    const entry = 'com\\.amazonaws\\.kinesis\\.v20131202\\.PutRecordsRequestEntry@[0-9a-f]+';
    assert.match(
      lines[0]!,
      new RegExp(
        `^Value '\\[${entry}(, ${entry}){500}\\]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$`,
      ),
    );
    for (let i = 1; i < 10; i++) {
      assert.equal(
        lines[i],
        `Value '' at 'records.${i}.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
  });

  it('GetShardIterator: enum printed in AWS order (test/getShardIterator.js)', () => {
    assertValidation('GetShardIterator', { StreamName: '', ShardIteratorType: '', ShardId: '', StartingSequenceNumber: '' }, [
      "Value '' at 'shardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
      "Value '' at 'shardId' failed to satisfy constraint: Member must have length greater than or equal to 1",
      "Value '' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]",
      "Value '' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})",
      STREAM_NAME_PATTERN,
      STREAM_NAME_MIN,
    ]);
  });

  it('GetShardIterator: long names (test/getShardIterator.js)', () => {
    assertValidation('GetShardIterator', { StreamName: name129, ShardId: name129, ShardIteratorType: 'LATEST' }, [
      `Value '${name129}' at 'shardId' failed to satisfy constraint: Member must have length less than or equal to 128`,
      STREAM_NAME_MAX,
    ]);
  });

  it('DescribeStream: numbers and strings (test/describeStream.js)', () => {
    assertValidation('DescribeStream', { StreamName: '', Limit: 0, ExclusiveStartShardId: '' }, [
      "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      "Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
      "Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must have length greater than or equal to 1",
      STREAM_NAME_PATTERN,
      STREAM_NAME_MIN,
    ]);
    assertValidation('DescribeStream', { StreamName: name129, Limit: 100000, ExclusiveStartShardId: name129 }, [
      "Value '100000' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
      `Value '${name129}' at 'exclusiveStartShardId' failed to satisfy constraint: Member must have length less than or equal to 128`,
      STREAM_NAME_MAX,
    ]);
  });

  it('ListShards (test/listShards.js)', () => {
    assertValidation('ListShards', { StreamName: '', NextToken: '', MaxResults: 0, ExclusiveStartShardId: '' }, [
      "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
      "Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
      "Value '' at 'exclusiveStartShardId' failed to satisfy constraint: Member must have length greater than or equal to 1",
      STREAM_NAME_PATTERN,
      STREAM_NAME_MIN,
      "Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ]);
  });

  it('AddTagsToStream: maps (test/addTagsToStream.js)', () => {
    assertValidation('AddTagsToStream', { StreamName: '', Tags: {} }, [
      "Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1",
      STREAM_NAME_PATTERN,
      STREAM_NAME_MIN,
    ]);
    const longKey = rejection('AddTagsToStream', { StreamName: 'a', Tags: { a: '1', b: '2', [name129]: '3' } });
    assert.match(
      longKey.message,
      new RegExp(
        '^1 validation error detected: ' +
          `Value '\\{[ab12, =]*${name129}=3[ab12, =]*\\}' at 'tags' failed to satisfy constraint: ` +
          'Map keys must satisfy constraint: \\[Member must have length less than or equal to 128, ' +
          'Member must have length greater than or equal to 1\\]$',
      ),
    );
    const value257 = 'a'.repeat(257);
    const longValue = rejection('AddTagsToStream', { StreamName: 'a', Tags: { a: '1', b: '2', c: value257 } });
    assert.match(
      longValue.message,
      new RegExp(
        '^1 validation error detected: ' +
          `Value '\\{[ab12, =]*c=${value257}[ab12, =]*\\}' at 'tags' failed to satisfy constraint: ` +
          'Map value must satisfy constraint: \\[Member must have length less than or equal to 256, ' +
          'Member must have length greater than or equal to 0\\]$',
      ),
    );
  });

  it('RemoveTagsFromStream: lists of strings (test/removeTagsFromStream.js; limit now 50)', () => {
    assertExactValidation(
      'RemoveTagsFromStream',
      { StreamName: 'a', TagKeys: ['a', name129, 'b'] },
      `1 validation error detected: Value '[a, ${name129}, b]' at 'tagKeys' failed to satisfy constraint: ` +
        'Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]',
    );
    const keys = Array.from({ length: 51 }, (_, i) => String(i + 1));
    assertExactValidation(
      'RemoveTagsFromStream',
      { StreamName: 'a', TagKeys: keys },
      `1 validation error detected: Value '[${keys.join(', ')}]' at 'tagKeys' failed to satisfy constraint: ` +
        'Member must have length less than or equal to 50',
    );
  });

  it('UpdateShardCount (test/updateShardCount.js)', () => {
    assertValidation('UpdateShardCount', { StreamName: '', ScalingType: '', TargetShardCount: 0 }, [
      "Value '' at 'scalingType' failed to satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]",
      STREAM_NAME_PATTERN,
      STREAM_NAME_MIN,
      "Value '0' at 'targetShardCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ]);
  });
});

describe('AWS serialization texts (kinesalite test/helpers.js assertType)', () => {
  const bigNumber = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';

  it('strings', () => {
    assertSerialization('DescribeStream', { StreamName: true }, 'class java.lang.Boolean can not be converted to an String');
    for (const n of [23, -2147483648, 2147483648, 34.56]) {
      assertSerialization('DescribeStream', { StreamName: n }, `${bigNumber} can not be converted to an String`);
    }
    assertSerialization('DescribeStream', { StreamName: [] }, 'Start of list found where not expected');
    assertSerialization('DescribeStream', { StreamName: {} }, 'Start of structure or map found where not expected.');
  });

  it('integers', () => {
    assertSerialization('CreateStream', { StreamName: 'a', ShardCount: '23' }, 'class java.lang.String can not be converted to an Integer');
    assertSerialization(
      'CreateStream',
      { StreamName: 'a', ShardCount: true },
      'class java.lang.Boolean can not be converted to an Integer',
    );
    assertSerialization('CreateStream', { StreamName: 'a', ShardCount: [] }, 'Start of list found where not expected');
    assertSerialization('CreateStream', { StreamName: 'a', ShardCount: {} }, 'Start of structure or map found where not expected.');
  });

  it('booleans', () => {
    assertSerialization('DeleteStream', { EnforceConsumerDeletion: '23' }, "'23' can not be converted to an Boolean");
    assertSerialization('DeleteStream', { EnforceConsumerDeletion: 'hellowtf' }, "'HELLOWTF' can not be converted to an Boolean");
    assertSerialization('DeleteStream', { EnforceConsumerDeletion: 23 }, `${bigNumber} can not be converted to an Boolean`);
    assert.deepEqual(decodeInput('DeleteStream', 'json', Buffer.from('{"EnforceConsumerDeletion":"true"}')), {
      EnforceConsumerDeletion: true,
    });
  });

  it('blobs', () => {
    const put = (Data: unknown) => ({ StreamName: 'a', PartitionKey: 'a', Data });
    assertSerialization('PutRecord', put(true), 'class java.lang.Boolean can not be converted to a Blob');
    assertSerialization('PutRecord', put(34.56), `${bigNumber} can not be converted to a Blob`);
    assertSerialization(
      'PutRecord',
      put('23456'),
      "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5",
    );
    assertSerialization('PutRecord', put('=+/='), "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='");
    assertSerialization('PutRecord', put('+/+='), "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected");
    assertSerialization('PutRecord', put('ab-_'), "'ab-_' can not be converted to a Blob: Invalid Base64 character: '-'");
  });

  it('lists, maps and structures', () => {
    for (const v of ['23', true, 23, -2147483648, 2147483648, 34.56]) {
      assertSerialization('PutRecords', { Records: v }, 'Expected list or null');
      assertSerialization('AddTagsToStream', { Tags: v }, 'Expected map or null');
      assertSerialization('PutRecords', { Records: [v] }, 'Expected null');
    }
    assertSerialization('PutRecords', { Records: {} }, 'Start of structure or map found where not expected.');
    assertSerialization('AddTagsToStream', { Tags: [] }, 'Start of list found where not expected');
    assertSerialization('PutRecords', { Records: [[]] }, 'Start of list found where not expected');
  });

  it('timestamps (kinesalite validations/index.js)', () => {
    assertSerialization(
      'ListShards',
      { StreamCreationTimestamp: true },
      'class java.lang.Boolean can not be converted to milliseconds since epoch',
    );
    assertSerialization(
      'ListShards',
      { StreamCreationTimestamp: '2023-01-01' },
      'class java.lang.String can not be converted to milliseconds since epoch',
    );
  });

  it('bodies that are not one JSON object get no message (test/connection.js)', () => {
    assertSerialization('ListStreams', '', undefined);
    assertSerialization('ListStreams', 'hello', undefined);
    assertSerialization('ListStreams', '[]', undefined);
    assertSerialization('ListStreams', 'null', undefined);
    assertSerialization('ListStreams', '"text"', undefined);
  });

  it('error bodies: SerializationException says Message, others message', () => {
    const typeError = rejection('DescribeStream', { StreamName: true });
    assert.deepEqual(JSON.parse(encodeError('json', typeError).toString()), {
      __type: 'SerializationException',
      Message: 'class java.lang.Boolean can not be converted to an String',
    });
    assert.deepEqual(JSON.parse(encodeError('json', rejection('ListStreams', '')).toString()), { __type: 'SerializationException' });
    assert.deepEqual(JSON.parse(encodeError('json', rejection('CreateStream', {})).toString()), {
      __type: 'ValidationException',
      message: "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null",
    });
  });
});
