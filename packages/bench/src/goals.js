// Issue 7's targets for Freshet (fsync'd acks unless said), checked against one run's figures.
// A goal whose figures are missing from the run (scenario or target not run) says "not measured".

import { DRAIN_READERS } from './load/drain.js';

const find = (run, scenario, where) => run.scenarios[scenario]?.rows.find((row) => Object.entries(where).every(([k, v]) => row[k] === v));
const ratio = (a, b) => (a != null && b ? a / b : null);
const x = (n) => `${n.toFixed(1)}×`;
const pct = (n) => `${Math.round(n * 100)}%`;
const ms = (n) => `${n.toFixed(2)} ms`;
/** The no-op server's PutRecord latency at a rate: the client's and loopback's own floor. */
const latencyFloor = (run, rate) =>
  find(run, 'calibrate', { measure: `no-op server, PutRecord latency at ${rate.toLocaleString('en-US')}/s` })?.latency?.latencyMs;
const floorNote = (run, rate) => {
  const floor = latencyFloor(run, rate);
  return floor ? ` (no-op server ${ms(floor.p50)}/${ms(floor.p99)})` : '';
};

const GOALS = [
  {
    goal: 'PutRecords pre-built ≥ 10× kinesalite',
    check(run) {
      const r = ratio(
        find(run, 'put-records', { target: 'freshet', client: 'pre-built' })?.recordsPerSecond,
        find(run, 'put-records', { target: 'kinesalite', client: 'pre-built' })?.recordsPerSecond,
      );
      return r == null ? null : { measured: x(r), met: r >= 10 };
    },
  },
  {
    goal: "PutRecords through SDK v3 (default, h2c) ≥ 75% of the SDK's ceiling",
    check(run) {
      const ceiling = find(run, 'calibrate', { measure: 'no-op server, SDK v3 h2c (default)' })?.sdk?.recordsPerSecond;
      const r = ratio(find(run, 'put-records', { target: 'freshet', client: 'SDK v3 h2c (default)' })?.recordsPerSecond, ceiling);
      return r == null ? null : { measured: pct(r), met: r >= 0.75 };
    },
  },
  {
    goal: 'GetRecords drain ≥ 10× kinesalite',
    check(run) {
      // Read with the byte-scanning client, as PutRecords is written with pre-built bodies.
      const reader = DRAIN_READERS.scan;
      const kinesalite = find(run, 'drain', { target: 'kinesalite', reader })?.recordsPerSecond;
      const r = ratio(find(run, 'drain', { target: 'freshet', reader })?.recordsPerSecond, kinesalite);
      if (r == null) return null;
      // The drain client's own ceiling (no-op server) bounds what any server can show here.
      const ceiling = ratio(
        find(run, 'calibrate', { measure: `no-op server, GetRecords drain, ${reader}` })?.drain?.recordsPerSecond,
        kinesalite,
      );
      return { measured: ceiling == null ? x(r) : `${x(r)} (client ceiling ${x(ceiling)})`, met: r >= 10 };
    },
  },
  {
    goal: 'PutRecord p50 ≤ fsync p50 + 1 ms, p99 ≤ fsync p99 + 3 ms (200 and 2,000/s)',
    check(run) {
      const fsync = find(run, 'calibrate', { measure: 'disk: 1 KiB append + fdatasync' })?.disk?.fdatasyncMs;
      const rows = [200, 2000].map((rate) => find(run, 'put-record-latency', { target: 'freshet', rate }));
      if (!fsync || rows.some((row) => !row)) return null;
      const met = rows.every((row) => row.p50 <= fsync.p50 + 1 && row.p99 <= fsync.p99 + 3);
      return {
        measured: `fsync ${ms(fsync.p50)}/${ms(fsync.p99)}; ${rows.map((row) => `${row.rate}/s: ${ms(row.p50)}/${ms(row.p99)}${floorNote(run, row.rate)}`).join('; ')}`,
        met,
      };
    },
  },
  {
    goal: "--fsync never: PutRecord p99 < kinesalite's p50 (200 and 2,000/s)",
    check(run) {
      const pairs = [200, 2000].map((rate) => [
        find(run, 'put-record-latency', { target: 'freshet-relaxed', rate }),
        find(run, 'put-record-latency', { target: 'kinesalite', rate }),
      ]);
      if (pairs.some(([a, b]) => !a || !b)) return null;
      return {
        measured: pairs.map(([a, b]) => `${a.rate}/s: ${ms(a.p99)} vs ${ms(b.p50)}${floorNote(run, a.rate)}`).join('; '),
        met: pairs.every(([a, b]) => a.p99 < b.p50),
      };
    },
  },
  {
    goal: 'server RSS ≤ 256 MB under the PutRecords load',
    check(run) {
      const rows = run.scenarios['put-records']?.rows.filter((row) => row.target === 'freshet') ?? [];
      if (!rows.length) return null;
      const max = Math.max(...rows.map((row) => row.maxRssBytes));
      return { measured: `${Math.round(max / 1e6)} MB`, met: max <= 256e6 };
    },
  },
  {
    goal: 'recovery after kill -9 with 10 GB of log < 2 s',
    check(run) {
      const row = find(run, 'recovery', { target: 'freshet' });
      if (!row) return null;
      return {
        measured: `${(row.logBytes / 1e9).toFixed(1)} GB: ${Math.round(row.firstReadMs)} ms`,
        met: row.firstReadMs < 2000 && row.logBytes >= 10e9,
      };
    },
  },
  {
    goal: 'throughput within 20% from 1 to 256 shards',
    check(run) {
      const rows = run.scenarios['scale-shards']?.rows.filter((row) => row.target === 'freshet') ?? [];
      if (rows.length < 2) return null;
      const rates = rows.map((row) => row.recordsPerSecond);
      const spread = Math.min(...rates) / Math.max(...rates);
      return { measured: `lowest ${pct(spread)} of highest`, met: spread >= 0.8 };
    },
  },
];

/** [{goal, measured, verdict}] for a run. */
export function checkGoals(run) {
  return GOALS.map(({ goal, check }) => {
    let outcome = null;
    try {
      outcome = check(run);
    } catch {}
    return { goal, measured: outcome?.measured ?? 'not measured', verdict: outcome ? (outcome.met ? 'met' : 'NOT met') : '-' };
  });
}

export const GOAL_COLUMNS = [
  { key: 'goal', label: "goal (Freshet, fsync'd acks)" },
  { key: 'measured', label: 'measured' },
  { key: 'verdict', label: 'verdict' },
];
