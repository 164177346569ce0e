/**
 * Bodies a hostile or broken client sends, read by the JSON and CBOR parsers of awsJson:
 * unknown members are stepped over without building them, nesting is bounded, text must be
 * UTF-8 (and JSON escapes whole characters), CBOR's indefinite-length strings are joined, and
 * nothing a client sends can reach Object.prototype.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  ANY_PLAN,
  AwsError,
  MAX_NESTING_DEPTH,
  MAX_QUOTED_CHARACTERS,
  bodyPlanOf,
  decodeInput,
  loadModel,
  parseCborBody,
  parseJsonBody,
  queryDialect,
  readBoolean,
  s3Dialect,
  DetailedAwsError,
  type WireFormat,
} from '../src/index.js';

const kinesis = loadModel('kinesis-2013-12-02');
const describeStreamPlan = bodyPlanOf(kinesis, 'DescribeStreamInput');

/** Runs `decode` and returns the AwsError it throws. */
function errorOf(decode: () => unknown): AwsError {
  try {
    decode();
  } catch (err) {
    assert.ok(err instanceof AwsError, `an AwsError, got ${String(err)}`);
    return err;
  }
  assert.fail('the body was accepted');
}

const bareSerialization = (decode: () => unknown, what: string) => {
  const err = errorOf(decode);
  assert.equal(err.code, 'SerializationException', what);
  assert.equal(err.hasMessage, false, `${what}: a bare SerializationException, as for any malformed body`);
};

const decodeJson = (op: string, text: string | Buffer) =>
  decodeInput(kinesis, op, 'json', typeof text === 'string' ? Buffer.from(text) : text) as Record<string, unknown>;

// ---- A minimal CBOR writer, to write what generic encoders will not (indefinite strings, bad UTF-8) ----

function head(major: number, argument: number): Buffer {
  if (argument < 24) return Buffer.from([(major << 5) | argument]);
  if (argument < 0x100) return Buffer.from([(major << 5) | 24, argument]);
  if (argument < 0x10000) return Buffer.from([(major << 5) | 25, argument >> 8, argument & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(argument, 1);
  return b;
}
const text = (value: string | Buffer) => {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([head(3, bytes.length), bytes]);
};
const bytes = (value: Buffer) => Buffer.concat([head(2, value.length), value]);
const map = (...entries: Buffer[][]) => Buffer.concat([head(5, entries.length), ...entries.flat()]);
const indefinite = (major: number, ...chunks: Buffer[]) =>
  Buffer.concat([Buffer.from([(major << 5) | 31]), ...chunks, Buffer.from([0xff])]);
const decodeCbor = (op: string, body: Buffer) => decodeInput(kinesis, op, 'cbor', body) as Record<string, unknown>;

describe('unknown members are stepped over, not built', () => {
  it('JSON: only the members the shape reads are in what the parser gives', () => {
    const junk = '{"a":[' + '{},'.repeat(10_000) + '{"b":[1,"two",null,true,false,-0.5e3]}],"c":"\\u00e9\\n"}';
    const parsed = parseJsonBody(Buffer.from(`{"Unknown":${junk},"StreamName":"s","Limit":5,"Other":[${junk}]}`), describeStreamPlan);
    assert.deepEqual(parsed, { StreamName: 's', Limit: 5 });
    // Without a plan (bodies read without a model) everything is built, as JSON.parse would.
    const all = parseJsonBody(Buffer.from(`{"Unknown":${junk}}`));
    assert.deepEqual(all, JSON.parse(`{"Unknown":${junk}}`));
  });

  it('CBOR: the same, for arrays, maps, strings and tags of any length', () => {
    const junk = Buffer.concat([head(4, 10_000), Buffer.alloc(10_000, 0xa0)]); // 10,000 empty maps
    const tagged = Buffer.concat([Buffer.from([0xc1]), head(0, 5)]);
    const body = map(
      [text('Unknown'), junk],
      [text('StreamName'), text('s')],
      [text('Tagged'), tagged],
      [text('Blob'), bytes(Buffer.alloc(300))],
    );
    assert.deepEqual(parseCborBody(body, describeStreamPlan), { StreamName: 's' });
  });

  it('a container where the shape wants another kind is answered with the same texts as before', () => {
    const deepJunk = '[' + '{"a":'.repeat(10) + '1' + '}'.repeat(10) + ']';
    assert.equal(
      errorOf(() => decodeJson('DescribeStream', `{"StreamName":${deepJunk}}`)).message,
      'Start of list found where not expected',
    );
    assert.equal(
      errorOf(() => decodeJson('DescribeStream', '{"StreamName":{"x":[1]}}')).message,
      'Start of structure or map found where not expected.',
    );
    assert.equal(errorOf(() => decodeJson('ListShards', '{"ShardFilter":[{}]}')).message, 'Start of list found where not expected');
    assert.equal(errorOf(() => decodeJson('AddTagsToStream', '{"Tags":[1]}')).message, 'Start of list found where not expected');
    assert.equal(
      errorOf(() => decodeJson('PutRecords', '{"Records":{"a":1}}')).message,
      'Start of structure or map found where not expected.',
    );
    const cborList = map([text('StreamName'), Buffer.concat([head(4, 1), head(5, 0)])]);
    assert.equal(errorOf(() => decodeCbor('DescribeStream', cborList)).message, 'Start of list found where not expected');
  });
});

describe('nesting depth', () => {
  const nestedJson = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);
  const nestedCbor = (depth: number) => Buffer.concat([Buffer.alloc(depth, 0x81), Buffer.from([0x80])]); // [[...[]...]]

  it(`JSON: ${MAX_NESTING_DEPTH} levels are read, one more is a malformed body, wherever it is`, () => {
    // The body's own object is the first level.
    const within = `{"Unknown":${nestedJson(MAX_NESTING_DEPTH - 1)},"StreamName":"s"}`;
    assert.deepEqual(decodeJson('DescribeStream', within), { StreamName: 's' });
    bareSerialization(() => decodeJson('DescribeStream', `{"Unknown":${nestedJson(MAX_NESTING_DEPTH)}}`), 'one level too deep, skipped');
    bareSerialization(
      () => decodeJson('DescribeStream', `{"U":${nestedJson(100_000, '{"a":', '}').replace(/\{"a":\}/, '{}')}}`),
      'deep objects',
    );
    bareSerialization(() => parseJsonBody(Buffer.from(`{"Unknown":${nestedJson(MAX_NESTING_DEPTH)}}`)), 'without a plan too');
    bareSerialization(() => decodeJson('DescribeStream', `{"Unknown":${nestedJson(1_000_000)}}`), 'a million levels');
  });

  it(`CBOR: the same bound, arrays, maps and tags counted alike`, () => {
    const body = (value: Buffer) => map([text('Unknown'), value], [text('StreamName'), text('s')]);
    assert.deepEqual(decodeCbor('DescribeStream', body(nestedCbor(MAX_NESTING_DEPTH - 2))), { StreamName: 's' });
    bareSerialization(() => decodeCbor('DescribeStream', body(nestedCbor(MAX_NESTING_DEPTH - 1))), 'one level too deep');
    bareSerialization(
      () => decodeCbor('DescribeStream', body(Buffer.concat([Buffer.alloc(100_000, 0xc6), Buffer.from([0x00])]))),
      'deep tags',
    );
    bareSerialization(() => decodeCbor('DescribeStream', body(nestedCbor(1_000_000))), 'a million levels');
  });
});

describe('text must be UTF-8', () => {
  const invalid = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x28, 0xa1])];

  it('JSON: bytes that are not UTF-8 make a malformed body, in a read string or anywhere else', () => {
    for (const bad of invalid) {
      const inKey = Buffer.concat([Buffer.from('{"StreamName":"s","PartitionKey":"a'), bad, Buffer.from('","Data":""}')]);
      bareSerialization(() => decodeJson('PutRecord', inKey), `PartitionKey with ${bad.toString('hex')}`);
      const inUnknown = Buffer.concat([Buffer.from('{"StreamName":"s","x":"'), bad, Buffer.from('"}')]);
      bareSerialization(() => decodeJson('DescribeStream', inUnknown), `unknown member with ${bad.toString('hex')}`);
    }
    assert.equal(decodeJson('PutRecord', '{"StreamName":"s","PartitionKey":"é😀","Data":""}').PartitionKey, 'é😀');
  });

  it('JSON: an escape must not leave half a surrogate pair; a whole pair is one character', () => {
    for (const escaped of ['\\ud800', '\\udc00', '\\ud800x', '\\ud800\\u0041', '\\udc00\\ud800']) {
      bareSerialization(() => decodeJson('PutRecord', `{"StreamName":"s","PartitionKey":"${escaped}","Data":""}`), escaped);
    }
    assert.equal(decodeJson('PutRecord', '{"StreamName":"s","PartitionKey":"\\ud83d\\ude00\\u00e9\\n","Data":""}').PartitionKey, '😀é\n');
  });

  it('CBOR: a text string that is not UTF-8 is refused, a byte string (Data) is not checked', () => {
    for (const bad of invalid) {
      const body = map([text('StreamName'), text('s')], [text('PartitionKey'), text(bad)], [text('Data'), bytes(bad)]);
      bareSerialization(() => decodeCbor('PutRecord', body), `PartitionKey with ${bad.toString('hex')}`);
      const good = map([text('StreamName'), text('s')], [text('PartitionKey'), text('k')], [text('Data'), bytes(bad)]);
      assert.deepEqual(decodeCbor('PutRecord', good).Data, bad);
    }
  });
});

describe('CBOR indefinite-length strings (RFC 8949 3.2.3)', () => {
  it('joins the chunks of byte and text strings, empty ones and none included', () => {
    const body = map(
      [text('StreamName'), indefinite(3, text('my-'), text(''), text('stream'))],
      [indefinite(3, text('Partition'), text('Key')), indefinite(3, text('clé '), text('😀'))],
      [text('Data'), indefinite(2, bytes(Buffer.from([1, 2])), bytes(Buffer.alloc(0)), bytes(Buffer.from([3])))],
    );
    assert.deepEqual(decodeCbor('PutRecord', body), { StreamName: 'my-stream', PartitionKey: 'clé 😀', Data: Buffer.from([1, 2, 3]) });
    const noChunks = map([text('StreamName'), indefinite(3)], [text('Data'), indefinite(2)]);
    assert.deepEqual(parseCborBody(noChunks), { StreamName: '', Data: Buffer.alloc(0) });
  });

  it('refuses chunks of another type, indefinite chunks, a character split between chunks, and a missing break', () => {
    const withKey = (value: Buffer) =>
      map([text('StreamName'), text('s')], [text('PartitionKey'), value], [text('Data'), bytes(Buffer.alloc(1))]);
    const e9 = Buffer.from('é');
    for (const [what, value] of [
      ['a byte chunk in text', indefinite(3, text('a'), bytes(Buffer.from('b')))],
      ['an indefinite chunk', indefinite(3, indefinite(3, text('a')))],
      ['a split character', indefinite(3, text(e9.subarray(0, 1)), text(e9.subarray(1)))],
      ['no break', Buffer.concat([Buffer.from([0x7f]), text('a')])],
    ] as const) {
      bareSerialization(() => decodeCbor('PutRecord', withKey(value)), what);
    }
  });
});

describe('numbers, duplicates and __proto__', () => {
  it('huge numbers saturate as AWS does, and fail validation rather than the server', () => {
    for (const huge of ['1e999', '9'.repeat(300), '-' + '9'.repeat(300), '1' + '0'.repeat(10_000)]) {
      const err = errorOf(() => decodeJson('DescribeStream', `{"StreamName":"s","Limit":${huge}}`));
      assert.equal(err.code, 'ValidationException', huge.slice(0, 10));
      assert.deepEqual(decodeJson('DescribeStream', `{"StreamName":"s","Unknown":[${huge},${huge}]}`), { StreamName: 's' });
    }
  });

  it('a repeated member: the last one counts, as with JSON.parse', () => {
    assert.deepEqual(decodeJson('DescribeStream', '{"StreamName":"a","StreamName":"b"}'), { StreamName: 'b' });
    assert.deepEqual(decodeCbor('DescribeStream', map([text('StreamName'), text('a')], [text('StreamName'), text('b')])), {
      StreamName: 'b',
    });
  });

  it('__proto__ is a key like any other: unknown members are dropped, map keys kept as own keys', () => {
    const formats: Array<[WireFormat, Buffer]> = [
      ['json', Buffer.from('{"__proto__":{"polluted":1},"StreamName":"s","Tags":{"__proto__":"v","constructor":"w"}}')],
      [
        'cbor',
        map(
          [text('__proto__'), map([text('polluted'), head(0, 1)])],
          [text('StreamName'), text('s')],
          [text('Tags'), map([text('__proto__'), text('v')], [text('constructor'), text('w')])],
        ),
      ],
    ];
    for (const [format, body] of formats) {
      const input = decodeInput(kinesis, 'AddTagsToStream', format, body) as { Tags: Record<string, string> };
      assert.equal(Object.getPrototypeOf(input), Object.prototype, format);
      assert.equal(Object.getPrototypeOf(input.Tags), Object.prototype, format);
      assert.deepEqual(Object.entries(input.Tags), [
        ['__proto__', 'v'],
        ['constructor', 'w'],
      ]);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, `${format}: Object.prototype untouched`);
      const generic = format === 'json' ? parseJsonBody(body, ANY_PLAN) : parseCborBody(body, ANY_PLAN);
      assert.equal(Object.getPrototypeOf(generic), Object.prototype);
      assert.ok(Object.hasOwn(generic, '__proto__'));
    }
  });
});

describe('malformed bodies', () => {
  it('JSON: what JSON.parse refuses is refused, and what it reads is read the same', () => {
    const refused = [
      '',
      ' ',
      '{',
      '{"a":}',
      '{"a":01}',
      '{"a":1,}',
      '{"a" 1}',
      '{"a":"\\x"}',
      '{"a":"\\u12"}',
      '{"a":"\t"}',
      '{} x',
      '{"a":tru}',
      '{"a":-}',
      '{"a":1.}',
      '{"a":1e}',
      "{'a':1}",
      '{"a":[1,]}',
      '{"a":NaN}',
    ];
    for (const body of refused) {
      assert.throws(() => JSON.parse(body), `JSON.parse refuses ${body}`);
      bareSerialization(() => parseJsonBody(Buffer.from(body), describeStreamPlan), body);
    }
    for (const body of ['[]', '"s"', '1', 'null']) bareSerialization(() => parseJsonBody(Buffer.from(body)), `${body}: not an object`);
    const read = [
      '{}',
      ' {"a" : [ 1 , -2.5e-3 , "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041" , { } , [ ] , true , false , null ] } ',
      '{"":0,"a":{"b":{"c":[[[]]]}}}',
      '{"a":1E+2,"b":-0,"c":0.5}',
    ];
    for (const body of read) assert.deepEqual(parseJsonBody(Buffer.from(body)), JSON.parse(body), body);
  });

  it('CBOR: tag 55799 (self-described CBOR) changes nothing, around the body or a value', () => {
    const selfDescribed = (item: Buffer) => Buffer.concat([Buffer.from([0xd9, 0xd9, 0xf7]), item]);
    assert.deepEqual(decodeCbor('DescribeStream', selfDescribed(map([text('StreamName'), selfDescribed(text('s'))]))), { StreamName: 's' });
  });

  it('CBOR: truncated items, counts beyond the body, reserved heads and trailing bytes are refused', () => {
    const ok = map([text('StreamName'), text('s')]);
    for (let cut = 0; cut < ok.length; cut++) bareSerialization(() => decodeCbor('DescribeStream', ok.subarray(0, cut)), `cut at ${cut}`);
    bareSerialization(() => decodeCbor('DescribeStream', Buffer.concat([ok, Buffer.from([0x00])])), 'trailing bytes');
    bareSerialization(
      () => decodeCbor('DescribeStream', Buffer.from([0xba, 0xff, 0xff, 0xff, 0xff])),
      'a map of 2^32-1 entries in 5 bytes',
    );
    bareSerialization(
      () => decodeCbor('DescribeStream', map([text('x'), Buffer.from([0x9b, 0, 0, 0, 1, 0, 0, 0, 0])])),
      'a 2^32-item array',
    );
    bareSerialization(() => decodeCbor('DescribeStream', map([text('x'), Buffer.from([0x1c])])), 'reserved additional info');
    bareSerialization(() => decodeCbor('DescribeStream', map([text('x'), Buffer.from([0xff])])), 'a stray break');
    bareSerialization(() => decodeCbor('DescribeStream', Buffer.from([0x80])), 'an array, not a map');
  });
});

describe('values quoted in error messages', () => {
  const huge = 'k'.repeat(15 * 1024 * 1024);
  const cut = 'k'.repeat(MAX_QUOTED_CHARACTERS) + '...';

  it('a validation error quotes the first characters of a long value, not all of it', () => {
    const err = errorOf(() => decodeJson('PutRecord', JSON.stringify({ StreamName: 's', PartitionKey: huge, Data: '' })));
    assert.equal(
      err.message,
      `1 validation error detected: Value '${cut}' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
    const short = 'k'.repeat(MAX_QUOTED_CHARACTERS - 1) + '😀'; // 257 UTF-16 units: the pair is not cut in half
    const shortErr = errorOf(() => decodeJson('PutRecord', JSON.stringify({ StreamName: 's', PartitionKey: short + 'x', Data: '' })));
    assert.ok(shortErr.message.includes(`Value '${'k'.repeat(MAX_QUOTED_CHARACTERS - 1)}...' at`), shortErr.message.slice(0, 400));
  });

  it('so do the SerializationExceptions that quote a value', () => {
    const blob = errorOf(() => decodeJson('PutRecord', JSON.stringify({ StreamName: 's', PartitionKey: 'k', Data: huge + '!!!!' })));
    assert.equal(blob.message, `'${cut}' can not be converted to a Blob: Invalid Base64 character: '!'`);
    // Kinesis inputs have no boolean member; other models' do, read by the same function.
    assert.equal(errorOf(() => readBoolean(huge)).message, `'${cut.toUpperCase().slice(0, -3)}...' can not be converted to an Boolean`);
  });

  it('every dialect that quotes a value cuts it the same way', () => {
    const bad = { location: 'querystring' as const, wireName: 'max-keys', text: huge, type: 'integer' };
    assert.equal(queryDialect.unreadable(bad).message, `The value '${cut}' for parameter max-keys is not a valid integer.`);
    const s3 = s3Dialect.unreadable(bad);
    assert.ok(s3 instanceof DetailedAwsError);
    assert.equal(s3.details.ArgumentValue, cut);
  });
});
