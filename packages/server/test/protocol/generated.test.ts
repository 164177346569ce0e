/**
 * Drives the model-generated tables (validationCases.ts) through the codec: every constrained
 * field of every operation, and every member given a value of the wrong JSON type.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeInput } from '../../src/services/kinesis/codec/codec.js';
import { AwsError } from '@freshet/aws';
import { type KinesisError } from '../../src/services/kinesis/errors.js';
import { OPERATION_NAMES } from '../../src/services/kinesis/shapes.generated.js';
import { serializationCases, validInputOf, validationCases, type ProtocolCase } from './validationCases.js';

function rejectionOf(testCase: ProtocolCase): KinesisError {
  try {
    decodeInput(testCase.operation, 'json', Buffer.from(JSON.stringify(testCase.input)));
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
  assert.fail(`${testCase.name}: accepted ${JSON.stringify(testCase.input).slice(0, 300)}`);
}

function assertAnswers(testCase: ProtocolCase): void {
  const err = rejectionOf(testCase);
  assert.equal(err.code, testCase.expectedType, testCase.name);
  assert.equal(err.status, 400);
  if (typeof testCase.expectedMessage === 'string') assert.equal(err.message, testCase.expectedMessage, testCase.name);
  else assert.match(err.message, testCase.expectedMessage, testCase.name);
}

describe('generated tables', () => {
  it('accept the minimal valid input of every operation', () => {
    for (const op of OPERATION_NAMES) {
      assert.doesNotThrow(() => decodeInput(op, 'json', Buffer.from(JSON.stringify(validInputOf(op)))), op);
    }
  });

  it('cover every operation that has a constrained input', () => {
    const covered = new Set<string>(validationCases.map((c) => c.operation));
    const newerThanKinesalite = [
      'SubscribeToShard',
      'UpdateStreamWarmThroughput',
      'UpdateMaxRecordSize',
      'UpdateAccountSettings',
      'TagResource',
      'UntagResource',
      'RegisterStreamConsumer',
      'PutResourcePolicy',
      'UpdateStreamMode',
    ] as const;
    for (const op of ['PutRecords', 'GetShardIterator', 'ListShards', ...newerThanKinesalite]) {
      assert.ok(covered.has(op), `no validation case for ${op}`);
    }
    assert.ok(validationCases.length > 200, `only ${validationCases.length} validation cases`);
    assert.ok(serializationCases.length > 500, `only ${serializationCases.length} serialization cases`);
  });

  describe('validation', () => {
    for (const testCase of validationCases) it(testCase.name, () => assertAnswers(testCase));
  });

  describe('serialization', () => {
    for (const testCase of serializationCases) it(testCase.name, () => assertAnswers(testCase));
  });
});
