import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatArn, parseArn, partitionOf } from '../../src/core/arn.js';

test('an ARN formats and parses back, colons in the resource kept', () => {
  const text = formatArn({ service: 'kinesis', region: 'eu-west-1', account: '123456789012', resource: 'stream/s/consumer/c:1700000000' });
  assert.equal(text, 'arn:aws:kinesis:eu-west-1:123456789012:stream/s/consumer/c:1700000000');
  assert.deepEqual(parseArn(text), {
    partition: 'aws',
    service: 'kinesis',
    region: 'eu-west-1',
    account: '123456789012',
    resource: 'stream/s/consumer/c:1700000000',
  });
});

test('the partition follows the region', () => {
  assert.equal(partitionOf('cn-north-1'), 'aws-cn');
  assert.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
  assert.equal(partitionOf('us-east-1'), 'aws');
  assert.equal(
    formatArn({ service: 'firehose', region: 'cn-north-1', account: '1', resource: 'deliverystream/d' }),
    'arn:aws-cn:firehose:cn-north-1:1:deliverystream/d',
  );
});

test('text that is not an ARN is refused', () => {
  for (const text of [
    '',
    'arn:aws:kinesis',
    'urn:aws:kinesis:r:1:stream/s',
    'arn:azure:kinesis:r:1:stream/s',
    'arn:aws:Kinesis:r:1:x',
    'arn:aws:kinesis:r:1:',
  ]) {
    assert.equal(parseArn(text), undefined, text);
  }
});
