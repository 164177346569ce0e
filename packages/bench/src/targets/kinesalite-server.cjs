// Runs kinesalite in memory on 127.0.0.1 only (its CLI listens on every interface).
// Streams become ACTIVE at once and the shard limit is raised for the scaling scenario.
const kinesalite = require('kinesalite');

const port = Number(process.argv[2]);
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100000 });
server.listen(port, '127.0.0.1', () => console.log(`Listening at http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
