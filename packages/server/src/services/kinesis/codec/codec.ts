/**
 * The Data Streams API's codec: the generic awsJson/CBOR codec of @freshet/aws, with the hot
 * paths of this service in front of it: PutRecords bodies read without a parse tree, and
 * GetRecords/PutRecords answers written straight into bytes. Each fast path gives up to the
 * general one whenever it is unsure, so answers do not depend on which path ran.
 */
import {
  compileAwsJson,
  decodeInput as decodeAwsJsonInput,
  encodeOutput as encodeAwsJsonOutput,
  validateInput,
  type WireFormat,
} from '@freshet/aws';
import type { BufferPool } from '../../../util/bufferPool.js';
import { KINESIS_MODEL } from '../model.js';
import type { OperationName, OperationShapes } from '../shapes.generated.js';
import { writeGetRecordsJson } from './getRecordsJson.js';
import { readPutRecordsJson } from './putRecordsJson.js';
import { writePutRecordsJson } from './putRecordsOutputJson.js';

export type { WireFormat } from '@freshet/aws';

export function decodeInput<Op extends OperationName>(op: Op, format: WireFormat, body: Buffer): OperationShapes[Op]['input'] {
  if (op === 'PutRecords' && format === 'json' && body.length > 0) {
    const input = readPutRecordsJson(body);
    if (input) {
      validateInput(KINESIS_MODEL, op, input);
      return input as OperationShapes[Op]['input'];
    }
  }
  return decodeAwsJsonInput(KINESIS_MODEL, op, format, body) as OperationShapes[Op]['input'];
}

/**
 * Big answers take their memory from `pool` when one is given: the caller gives the Buffer back
 * to it once written.
 */
export function encodeOutput<Op extends OperationName>(
  op: Op,
  format: WireFormat,
  output: OperationShapes[Op]['output'],
  pool?: BufferPool,
): Buffer {
  if (format === 'json' && output !== undefined && output !== null) {
    if (op === 'GetRecords')
      return writeGetRecordsJson(output as OperationShapes['GetRecords']['output'], pool && ((size) => pool.take(size)));
    if (op === 'PutRecords') return Buffer.from(writePutRecordsJson(output as OperationShapes['PutRecords']['output']), 'utf8');
  }
  return encodeAwsJsonOutput(KINESIS_MODEL, op, format, output);
}

compileAwsJson(KINESIS_MODEL);
