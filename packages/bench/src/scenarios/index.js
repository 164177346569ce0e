import { calibrate } from './calibrate.js';
import { putRecords } from './put-records.js';
import { putRecordLatency } from './put-record-latency.js';
import { drain } from './drain.js';
import { endToEnd } from './end-to-end.js';
import { scaleRecordSize, scaleShards } from './scaling.js';
import { startup } from './startup.js';
import { recovery } from './recovery.js';

/** Every scenario, in the order a run takes them. */
export const SCENARIOS = [calibrate, putRecords, putRecordLatency, drain, endToEnd, scaleShards, scaleRecordSize, startup, recovery];

/** Scenarios that run only when asked for by name (or --recovery): 10 GB of disk and minutes. */
export const OPT_IN = new Set(['recovery']);
