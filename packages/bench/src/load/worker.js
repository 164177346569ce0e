// The load generator process: receives one job from run-job.js, runs it, sends back the result.
import { putRecordsRaw, putRecordsSdk } from './put-records.js';
import { putRecordOpenLoop } from './put-record-latency.js';
import { drain } from './drain.js';
import { endToEndPolling, endToEndSubscribe } from './end-to-end.js';
import { diskSync } from './disk.js';

// The SDK warns once per process that its 2027 releases will need Node 22; not news to a bench.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) =>
  String(warning?.name ?? rest[0]?.type ?? rest[0]).includes('NodeVersionSupportWarning') || String(warning).includes('require node >=22')
    ? undefined
    : emitWarning(warning, ...rest);

const jobs = { putRecordsRaw, putRecordsSdk, putRecordOpenLoop, drain, endToEndPolling, endToEndSubscribe, diskSync };

process.once('message', async ({ kind, params }) => {
  try {
    const job = jobs[kind];
    if (!job) throw new Error(`unknown job ${kind}`);
    process.send({ ok: true, result: await job(params) }, () => process.exit(0));
  } catch (error) {
    process.send({ ok: false, error: error.stack ?? String(error) }, () => process.exit(1));
  }
});
