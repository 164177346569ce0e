/**
 * CBOR 1.1 against real bytes, written out by hand from RFC 8949 so that the codec cannot agree
 * with itself on a mistake: blobs must be byte strings (major type 2) and timestamps tag 1 (0xc1)
 * holding an integer count of epoch milliseconds, in requests and in responses.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Decoder, type Options } from 'cbor-x';
import { encodeError } from '@freshet/aws';
import { decodeInput, encodeOutput } from '../../src/services/kinesis/codec/codec.js';
import { AwsError } from '@freshet/aws';
import { KinesisError } from '../../src/services/kinesis/errors.js';

/** Hex with spaces and comments allowed: `a3 # map(3)`. */
function bytes(annotatedHex: string): Buffer {
  return Buffer.from(annotatedHex.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}

/** A text string item: header then UTF-8, for readability of the expectations. */
function text(value: string): string {
  const utf8 = Buffer.from(value, 'utf8');
  assert.ok(utf8.length < 24, 'helper handles short strings only');
  return (0x60 + utf8.length).toString(16) + utf8.toString('hex');
}

const MS = 1700000000123; // 0x0000018bcfe5687b
const TAG1_MS = 'c1 1b 0000018bcfe5687b'; // tag 1, uint64 milliseconds

function cborError(op: 'PutRecord' | 'ListStreams', body: Buffer): KinesisError {
  try {
    decodeInput(op, 'cbor', body);
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
  assert.fail('accepted');
}

describe('CBOR requests', () => {
  it('reads blobs from byte strings', () => {
    const body = bytes(`a3 ${text('StreamName')} ${text('s')} ${text('PartitionKey')} ${text('p')} ${text('Data')} 42 0102`);
    const input = decodeInput('PutRecord', 'cbor', body);
    assert.ok(Buffer.isBuffer(input.Data));
    assert.deepEqual([...input.Data], [1, 2]);
    assert.equal(input.PartitionKey, 'p');
  });

  it('reads timestamps from tag 1 as milliseconds, in an indefinite-length map (as the Java SDK writes)', () => {
    const body = bytes(`bf
      ${text('StreamName')} ${text('s')}
      ${text('ShardId')} ${text('shardId-0')}
      ${text('ShardIteratorType')} ${text('AT_TIMESTAMP')}
      ${text('Timestamp')} ${TAG1_MS}
      ff`);
    const input = decodeInput('GetShardIterator', 'cbor', body);
    assert.ok(input.Timestamp instanceof Date);
    assert.equal(input.Timestamp.getTime(), MS);
  });

  it('reads an untagged number as milliseconds too', () => {
    const body = bytes(`a1 ${text('StreamCreationTimestamp')} 1b 0000018bcfe5687b`);
    assert.equal(decodeInput('ListShards', 'cbor', body).StreamCreationTimestamp!.getTime(), MS);
    assert.equal(
      decodeInput('ListShards', 'cbor', bytes(`a1 ${text('StreamCreationTimestamp')} c1 00`)).StreamCreationTimestamp!.getTime(),
      0,
    );
  });

  it('reads 32-bit and 64-bit integers', () => {
    const input = decodeInput('ListShards', 'cbor', bytes(`a1 ${text('MaxResults')} 19 03e8`));
    assert.equal(input.MaxResults, 1000);
    const huge = decodeInput(
      'CreateStream',
      'cbor',
      bytes(`a2 ${text('StreamName')} ${text('s')} ${text('ShardCount')} 1b 0000001000000000`),
    );
    assert.equal(huge.ShardCount, 2147483647, 'saturates like AWS');
  });

  it('validates as JSON does', () => {
    const body = bytes(`a3 ${text('StreamName')} 60 ${text('PartitionKey')} ${text('p')} ${text('Data')} 40`);
    const err = cborError('PutRecord', body);
    assert.equal(err.code, 'ValidationException');
    assert.match(err.message, /^2 validation errors detected: Value '' at 'streamName'/);
  });

  it('answers wrong types with AWS texts, and CBOR-only kinds with a bare SerializationException', () => {
    const numberName = cborError('PutRecord', bytes(`a3 ${text('StreamName')} 17 ${text('PartitionKey')} ${text('p')} ${text('Data')} 40`));
    assert.equal(numberName.message, 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String');
    const bytesName = cborError(
      'PutRecord',
      bytes(`a3 ${text('StreamName')} 41 00 ${text('PartitionKey')} ${text('p')} ${text('Data')} 40`),
    );
    assert.equal(bytesName.code, 'SerializationException');
    assert.equal(bytesName.hasMessage, false);
  });

  it('rejects bodies that are not one CBOR map', () => {
    for (const body of ['80', 'ff', '61', 'a1 61', '00', 'f6']) {
      const err = cborError('ListStreams', bytes(body));
      assert.equal(err.code, 'SerializationException', body);
      assert.equal(err.hasMessage, false);
    }
  });
});

describe('CBOR responses', () => {
  it('writes a structure as a definite map with the model member names', () => {
    const out = encodeOutput('GetShardIterator', 'cbor', { ShardIterator: 'it' });
    assert.equal(out.toString('hex'), bytes(`a1 ${text('ShardIterator')} ${text('it')}`).toString('hex'));
  });

  it('writes blobs as byte strings and timestamps as tag 1 integer milliseconds, byte for byte', () => {
    const out = encodeOutput('GetRecords', 'cbor', {
      Records: [{ SequenceNumber: '1', Data: Buffer.from('hi'), PartitionKey: 'p', ApproximateArrivalTimestamp: new Date(MS) }],
      NextShardIterator: 'it',
      MillisBehindLatest: 0,
    });
    const expected = bytes(`
      a3                                            # map(3): members present, in model order
        ${text('MillisBehindLatest')} 00
        ${text('NextShardIterator')} ${text('it')}
        ${text('Records')} 81                       # array(1)
          a4                                        # map(4)
            78 1b ${Buffer.from('ApproximateArrivalTimestamp').toString('hex')} ${TAG1_MS}
            ${text('Data')} 42 6869                 # bytes(2) "hi"
            ${text('PartitionKey')} ${text('p')}
            ${text('SequenceNumber')} ${text('1')}
    `);
    assert.equal(out.toString('hex'), expected.toString('hex'));
  });

  it('omits absent members and writes integers in their shortest form', () => {
    const out = encodeOutput('PutRecords', 'cbor', {
      FailedRecordCount: 500,
      Records: [{ ShardId: 'shardId-1', SequenceNumber: '7' }],
      EncryptionType: undefined,
    });
    const expected = bytes(`a2 ${text('FailedRecordCount')} 19 01f4
      ${text('Records')} 81 a2 ${text('SequenceNumber')} ${text('7')} ${text('ShardId')} ${text('shardId-1')}`);
    assert.equal(out.toString('hex'), expected.toString('hex'));
    const far = encodeOutput('GetRecords', 'cbor', { Records: [], MillisBehindLatest: 2 ** 40 });
    assert.ok(far.toString('hex').includes(`${text('MillisBehindLatest')}1b0000010000000000`));
  });

  it('round-trips large blobs through a generic CBOR decoder', () => {
    const data = Buffer.alloc(200_000, 0xab);
    const out = encodeOutput('GetRecords', 'cbor', {
      Records: Array.from({ length: 3 }, (_, i) => ({
        SequenceNumber: String(i),
        Data: data,
        PartitionKey: 'p',
        ApproximateArrivalTimestamp: new Date(MS),
      })),
    });
    // int64AsNumber: without it cbor-x reads the 8-byte millisecond count as a BigInt and its tag 1 handler throws.
    const decoded = new Decoder({ mapsAsObjects: true, useRecords: false, int64AsNumber: true } as Options).decode(out) as {
      Records: Array<{ Data: Uint8Array; SequenceNumber: string }>;
    };
    assert.equal(decoded.Records.length, 3);
    for (const record of decoded.Records) {
      assert.ok(record.Data instanceof Uint8Array);
      assert.ok(Buffer.from(record.Data).equals(data));
    }
  });

  it('writes error bodies as CBOR maps', () => {
    const notFound = encodeError('cbor', new KinesisError('ResourceNotFoundException', 'x'));
    assert.equal(
      notFound.toString('hex'),
      bytes(
        `a2 ${text('__type')} 78 19 ${Buffer.from('ResourceNotFoundException').toString('hex')} ${text('message')} ${text('x')}`,
      ).toString('hex'),
    );
    const bare = encodeError('cbor', new KinesisError('SerializationException', undefined));
    assert.equal(bare.toString('hex'), bytes(`a1 ${text('__type')} ${text('SerializationException')}`).toString('hex'));
  });

  it('answers operations without output with an empty body', () => {
    assert.equal(encodeOutput('CreateStream', 'cbor', undefined).length, 0);
  });
});
