/**
 * A fast writer for the answer to the commonest request: a PutRecords output in awsJson 1.1.
 *
 * Its 500 entries are a sequence number and a shard id each, both made by this server (digits,
 * and `shardId-` and digits), so they need none of the escaping checks the general writer makes
 * character by character for every string; that check was 7% of the event loop's time under a
 * PutRecords load. Failed entries (an error code and message, which can hold anything) and every
 * other member go through the general writer. The text is exactly the general writer's (member
 * order is the model's, alphabetical); a property test holds the two together.
 */
import { jsonWriterOf, openRecordsJson } from '@freshet/aws';
import { KINESIS_MODEL } from '../model.js';
import type { PutRecordsOutput } from '../shapes.generated.js';

const writeEntry = jsonWriterOf(KINESIS_MODEL, 'PutRecordsResultEntry');

export function writePutRecordsJson(output: PutRecordsOutput): string {
  let out = openRecordsJson(KINESIS_MODEL, 'PutRecordsOutput', output);
  const entries = output.Records;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (i > 0) out += ',';
    // Sequence numbers and shard ids are this server's own: digits, and `shardId-` and digits.
    if (
      entry.ErrorCode === undefined &&
      entry.ErrorMessage === undefined &&
      entry.SequenceNumber !== undefined &&
      entry.ShardId !== undefined
    ) {
      out += '{"SequenceNumber":"' + entry.SequenceNumber + '","ShardId":"' + entry.ShardId + '"}';
    } else {
      out += writeEntry(entry);
    }
  }
  return out + ']}';
}
