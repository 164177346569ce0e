/**
 * Corrupted files, end to end: records are put through the SDK, the node is stopped, bytes are
 * damaged in its files (a sealed segment, a sealed index, the middle of the active segment, a torn
 * tail), and after a restart every record outside the damaged chunks is read back with GetRecords
 * from TRIM_HORIZON, and new sequence numbers are above every one ever issued.
 */

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createActiveStream, listAllShards, readShard } from '../helpers/api.js';
import { startNode } from '../helpers/fixture.js';
import { parseSequenceNumber } from '../../src/services/kinesis/engine/sequenceNumbers.js';
import { flipByte, indexFiles, segmentFiles, streamDir } from '../storage/helpers.js';

const STREAM = 'corrupted';
const SEGMENT_BYTES = 256 * 1024;

interface Acked {
  shardId: string;
  sequenceNumber: string;
  data: string;
}

interface Chunk {
  file: string;
  position: number;
  length: number;
}

/** A sequence number's index is the cursor, chunk position * 2^20 + index in the chunk. */
function positionOf(sequenceNumber: string): number {
  const parsed = parseSequenceNumber(sequenceNumber);
  assert.equal(parsed?.layout, 2);
  return Number((parsed as { cursor: bigint }).cursor >> 20n);
}

async function putSome(kinesis: KinesisClient, first: number, requests: number, acked: Acked[]): Promise<void> {
  for (let r = first; r < first + requests; r++) {
    const records = Array.from({ length: 50 }, (_, i) => ({
      PartitionKey: `k${r}-${i}`,
      Data: Buffer.from(`r${r}-${i}|`.padEnd(400, 'x')),
    }));
    const result = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: records }));
    assert.equal(result.FailedRecordCount, 0);
    result.Records!.forEach((entry, i) => {
      acked.push({ shardId: entry.ShardId!, sequenceNumber: entry.SequenceNumber!, data: records[i]!.Data.toString() });
    });
  }
}

/** The chunks of a segment file, by walking their length fields (the files are intact here). */
function chunksOf(file: string): Chunk[] {
  const bytes = fs.readFileSync(file);
  const base = Number(path.basename(file, '.log'));
  const chunks: Chunk[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUInt32LE(at + 8);
    chunks.push({ file, position: base + at, length });
    at += length;
  }
  return chunks;
}

const middleOf = <T>(list: readonly T[]): T => list[Math.floor(list.length / 2)]!;

describe('corrupted data files, end to end', () => {
  it('after damage to sealed and active segments, an index and the tail, every other record is read back', async () => {
    let node = await startNode({ segmentBytes: SEGMENT_BYTES });
    try {
      await createActiveStream(node.kinesis, { StreamName: STREAM, ShardCount: 2 });
      const acked: Acked[] = [];
      await putSome(node.kinesis, 0, 40, acked);
      const dir = streamDir(node.dataDir);
      // Go on until the active segment holds several flushes, so its middle is not its tail.
      for (let r = 40; fs.statSync(path.join(dir, segmentFiles(dir).at(-1)!)).size < 100 * 1024; r++) {
        await putSome(node.kinesis, r, 1, acked);
      }
      await node.close();

      const segments = segmentFiles(dir).map((name) => path.join(dir, name));
      assert.ok(segments.length >= 4, `several sealed segments (${segments.length})`);
      const lost: Chunk[] = [];
      const hit = (chunk: Chunk, at = Math.floor(chunk.length / 2)) => {
        flipByte(chunk.file, chunk.position - Number(path.basename(chunk.file, '.log')) + at);
        lost.push(chunk);
      };
      // 1. A sealed segment: one byte in the middle of its middle chunk (found at read time).
      hit(middleOf(chunksOf(segments[1]!)));
      // 2. A sealed index: a byte of its entries (rebuilt; no record lost).
      const index = path.join(dir, indexFiles(dir)[2]!);
      flipByte(index, fs.statSync(index).size - 5);
      // 3. The active segment: one byte in its middle chunk, and a torn tail (its last chunk cut).
      const active = segments.at(-1)!;
      const activeChunks = chunksOf(active);
      assert.ok(activeChunks.length >= 3);
      hit(middleOf(activeChunks));
      const tornChunk = activeChunks.at(-1)!;
      fs.truncateSync(active, fs.statSync(active).size - 5);
      lost.push(tornChunk);
      const damagedBytes = 2 + 1 + 5;

      node = await node.restart();
      const shards = await listAllShards(node.kinesis, STREAM);
      const isLost = (a: Acked) =>
        lost.some((c) => positionOf(a.sequenceNumber) >= c.position && positionOf(a.sequenceNumber) < c.position + c.length);
      let readBack = 0;
      for (const shard of shards) {
        const records = await readShard(node.kinesis, STREAM, shard.ShardId!);
        const expected = acked.filter((a) => a.shardId === shard.ShardId && !isLost(a));
        assert.deepEqual(
          records.map((r) => [r.SequenceNumber, Buffer.from(r.Data!).toString()]),
          expected.map((a) => [a.sequenceNumber, a.data]),
          `${shard.ShardId}: every record outside the damaged chunks, in order`,
        );
        readBack += records.length;
      }
      const lostRecords = acked.length - readBack;
      assert.ok(lostRecords > 0 && lostRecords <= 3 * 50, `lost ${lostRecords}`);

      // New records get sequence numbers above every one ever issued in their shard, lost ones included.
      const highest = new Map<string, bigint>();
      for (const a of acked) {
        const seq = BigInt(a.sequenceNumber);
        if (seq > (highest.get(a.shardId) ?? 0n)) highest.set(a.shardId, seq);
      }
      const after: Acked[] = [];
      await putSome(node.kinesis, 10_000, 2, after);
      assert.equal(new Set(after.map((a) => a.shardId)).size, shards.length, 'every shard got new records');
      for (const a of after) {
        assert.ok(BigInt(a.sequenceNumber) > highest.get(a.shardId)!, `${a.sequenceNumber} > ${highest.get(a.shardId)}`);
      }
      console.log(
        `corruption figures: ${acked.length} records in ${segments.length} segments; ${damagedBytes} bytes damaged ` +
          `(2 flipped bytes, 1 flipped index byte, 5 bytes torn off the tail) cost ${lostRecords} records ` +
          `(${lost.length} chunks of ${lost.map((c) => c.length).join(', ')} bytes); every other record was read back`,
      );
    } finally {
      await node.dispose();
    }
  });
});
