// A server that does no work: it reads each request whole and answers a pre-built response:
// PutRecord(s) a success, GetRecords 10,000 records of 1 KiB that never run out (over 4 shards from
// ListShards). Its throughput is the ceiling of this machine's loopback HTTP plus the load
// generator, for writes and for a drain.
// It speaks HTTP/1.1 and cleartext HTTP/2 (h2c, prior knowledge) on one port, told apart by the
// HTTP/2 connection preface, because the SDK v3 Kinesis client uses HTTP/2 by default.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';

const port = Number(process.argv[2]);
const records = Array.from({ length: 500 }, (_, i) => ({
  SequenceNumber: String(49_000_000_000_000_000_000n + BigInt(i)),
  ShardId: 'shardId-000000000000',
}));
const putRecordsAnswer = Buffer.from(JSON.stringify({ FailedRecordCount: 0, Records: records }));
const getRecordsAnswer = Buffer.from(
  JSON.stringify({
    Records: Array.from({ length: 10_000 }, (_, i) => ({
      SequenceNumber: String(49_000_000_000_000_000_000n + BigInt(i)),
      ApproximateArrivalTimestamp: 1_763_900_000.123,
      Data: Buffer.alloc(1024, i).toString('base64'),
      PartitionKey: `pk-${i}`,
    })),
    NextShardIterator: 'AAAAAAAAAAE'.repeat(20),
    MillisBehindLatest: 1000,
  }),
);
const listShardsAnswer = Buffer.from(JSON.stringify({ Shards: [0, 1, 2, 3].map((i) => ({ ShardId: `shardId-00000000000${i}` })) }));
const shardIteratorAnswer = Buffer.from(JSON.stringify({ ShardIterator: 'AAAAAAAAAAE'.repeat(20) }));
const putRecordAnswer = Buffer.from(JSON.stringify({ SequenceNumber: '49000000000000000000000', ShardId: 'shardId-000000000000' }));
const answers = {
  PutRecord: putRecordAnswer,
  PutRecords: putRecordsAnswer,
  GetRecords: getRecordsAnswer,
  ListShards: listShardsAnswer,
  GetShardIterator: shardIteratorAnswer,
};
const emptyAnswer = Buffer.from('{"StreamNames":[],"HasMoreStreams":false}');
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

function answer(request, response) {
  request.on('data', () => {});
  request.on('end', () => {
    const body = answers[String(request.headers['x-amz-target']).split('.')[1]] ?? emptyAnswer;
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': body.length });
    response.end(body);
  });
}

const http1 = http.createServer(answer);
http1.keepAliveTimeout = 60_000;
const h2c = http2.createServer(answer);

const server = net.createServer((socket) => {
  socket.once('readable', () => {
    const head = socket.read(H2_PREFACE.length) ?? socket.read();
    if (!head) return socket.destroy();
    socket.unshift(head);
    (head.equals(H2_PREFACE) ? h2c : http1).emit('connection', socket);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`Listening at http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
