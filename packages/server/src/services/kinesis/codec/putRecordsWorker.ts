/**
 * The worker side of OffThreadDecoder: reads and validates PutRecords JSON bodies on another
 * core, so that the event loop only routes and appends.
 *
 * It takes only the happy path, as readPutRecordsJson does: a body it cannot read, or whose input
 * fails validation, is answered with `decoded: undefined` and the event loop decodes it again on
 * the general path, which reports AWS's exact error. Errors are therefore made in one place only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readPutRecordsJson } from './putRecordsJson.js';
import type { PutRecordsInput } from '../shapes.generated.js';
import { validateInput } from '@freshet/aws';
import { KINESIS_MODEL } from '../model.js';

export interface DecodeRequest {
  id: number;
  body: Uint8Array;
}

export interface DecodeReply {
  id: number;
  decoded: DecodedPutRecords | undefined;
}

/** A PutRecords input in transferable form: every record's data lies in one arena. */
export interface DecodedPutRecords {
  streamName?: string;
  streamARN?: string;
  streamId?: string;
  partitionKeys: string[];
  /** ExplicitHashKey of each record; absent ones are undefined. */
  explicitHashKeys: Array<string | undefined>;
  /** Record i's data is arena[spans[2i], spans[2i] + spans[2i + 1]). */
  spans: Uint32Array;
  arena: ArrayBuffer;
}

/** The input in transferable form, or undefined when it is not one arena's worth of records. */
export function toTransferable(input: PutRecordsInput): DecodedPutRecords | undefined {
  const records = input.Records;
  const arena = records[0]?.Data.buffer;
  if (!(arena instanceof ArrayBuffer)) return undefined;
  const spans = new Uint32Array(records.length * 2);
  const partitionKeys = new Array<string>(records.length);
  const explicitHashKeys = new Array<string | undefined>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record.Data.buffer !== arena) return undefined;
    spans[2 * i] = record.Data.byteOffset;
    spans[2 * i + 1] = record.Data.byteLength;
    partitionKeys[i] = record.PartitionKey;
    explicitHashKeys[i] = record.ExplicitHashKey;
  }
  return {
    ...(input.StreamName !== undefined ? { streamName: input.StreamName } : {}),
    ...(input.StreamARN !== undefined ? { streamARN: input.StreamARN } : {}),
    ...(input.StreamId !== undefined ? { streamId: input.StreamId } : {}),
    partitionKeys,
    explicitHashKeys,
    spans,
    arena,
  };
}

/** The typed input again, on the receiving side; record data are views of the arena. */
export function fromTransferable(decoded: DecodedPutRecords): PutRecordsInput {
  const arena = Buffer.from(decoded.arena);
  const { spans, partitionKeys, explicitHashKeys } = decoded;
  const input: PutRecordsInput = {
    Records: partitionKeys.map((PartitionKey, i) => {
      const Data = arena.subarray(spans[2 * i]!, spans[2 * i]! + spans[2 * i + 1]!);
      const ExplicitHashKey = explicitHashKeys[i];
      return ExplicitHashKey === undefined ? { Data, PartitionKey } : { Data, PartitionKey, ExplicitHashKey };
    }),
  };
  if (decoded.streamName !== undefined) input.StreamName = decoded.streamName;
  if (decoded.streamARN !== undefined) input.StreamARN = decoded.streamARN;
  if (decoded.streamId !== undefined) input.StreamId = decoded.streamId;
  return input;
}

function decode(body: Uint8Array): DecodedPutRecords | undefined {
  try {
    const input = readPutRecordsJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    if (!input) return undefined;
    validateInput(KINESIS_MODEL, 'PutRecords', input);
    return toTransferable(input);
  } catch {
    return undefined; // the event loop decodes it again and reports the error
  }
}

/** Marks the threads OffThreadDecoder starts, as opposed to any thread that imports this module. */
export const DECODE_WORKER_DATA = 'freshet-put-records-decoder';

// Only a decode worker listens: Freshet embedded in someone's worker thread imports this module
// too (for fromTransferable), and must not take that thread's messages.
if (workerData === DECODE_WORKER_DATA)
  parentPort?.on('message', ({ id, body }: DecodeRequest) => {
    const decoded = decode(body);
    const reply: DecodeReply = { id, decoded };
    parentPort!.postMessage(reply, decoded ? [decoded.arena] : []);
  });
