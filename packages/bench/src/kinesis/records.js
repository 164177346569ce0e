import { randomBytes } from 'node:crypto';

// PutRecords accepts at most 500 records and 5 MiB of data plus partition keys per call.
export const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 2 ** 20;
/** Every partition key the bench makes has this length (see partitionKey). */
export const PARTITION_KEY_BYTES = 16;
/** The largest record AWS takes: data plus partition key at most 1 MiB. */
export const MAX_RECORD_DATA_BYTES = 2 ** 20 - PARTITION_KEY_BYTES;

/** Records per PutRecords call for a record size: 500, or fewer when 5 MiB would be exceeded. */
export function recordsPerCall(recordSize) {
  return Math.max(1, Math.min(MAX_RECORDS_PER_CALL, Math.floor(MAX_BYTES_PER_CALL / (recordSize + PARTITION_KEY_BYTES))));
}

/** Random bytes, so that no layer can gain by compressing. */
export function recordData(size) {
  return randomBytes(size);
}

/** A partition key unique to (body, record): MD5 spreads such keys evenly over the shards. */
export function partitionKey(bodyIndex, recordIndex) {
  return `pk-${bodyIndex}-${recordIndex}`.padEnd(PARTITION_KEY_BYTES, '0');
}

/** The JSON body of one PutRecords call, serialized by hand: with 1 MiB records JSON.stringify of
 * base64 strings would only cost the same and allocate more. */
export function putRecordsBody(streamName, recordSize, count, bodyIndex) {
  const data = recordData(recordSize).toString('base64');
  const records = [];
  for (let i = 0; i < count; i++) records.push(`{"Data":"${data}","PartitionKey":"${partitionKey(bodyIndex, i)}"}`);
  return Buffer.from(`{"StreamName":${JSON.stringify(streamName)},"Records":[${records.join(',')}]}`);
}

/** How many distinct pre-built bodies to keep: enough to vary partition keys, bounded in memory. */
export function distinctBodyCount(recordSize, perCall, memoryBudget = 64 * 2 ** 20) {
  const bodyBytes = Math.ceil((recordSize * 4) / 3) * perCall;
  return Math.max(2, Math.min(16, Math.floor(memoryBudget / bodyBytes)));
}
