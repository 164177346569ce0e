#!/usr/bin/env node
// `npm run bench`: Freshet and its peers, the same scenarios against each, in one run.
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runJob } from './load/run-job.js';
import { describeMachine } from './machine.js';
import { printScenario, table, writeJson } from './report.js';
import { GOAL_COLUMNS, checkGoals } from './goals.js';
import { FreshetTarget } from './targets/freshet.js';
import { KinesaliteTarget, KinesisLocalTarget } from './targets/peers.js';
import { OPT_IN, SCENARIOS } from './scenarios/index.js';
import { repoRoot } from './util/repo.js';

const TARGETS = ['freshet', 'freshet-relaxed', 'kinesalite', 'kinesis-local'];
/** Targets run only when named in --targets: variants of Freshet for measuring one cost. */
const OPT_IN_TARGETS = ['freshet-audit', 'freshet-auth'];

// Lengths of each measurement, full run and --quick.
const SIZES = {
  full: {
    warmupSeconds: 2,
    putSeconds: 15,
    latencySeconds: 15,
    drainRecords: 1_000_000,
    preloadCapSeconds: 180,
    drainCapSeconds: 180,
    e2eSeconds: 15,
    scaleSeconds: 8,
    sweepSeconds: 5,
    sweepRepeats: 3,
    latencyConnections: 50,
    calibrateSeconds: 10,
    diskSeconds: 5,
    recoveryGb: 10,
  },
  quick: {
    warmupSeconds: 1,
    putSeconds: 5,
    latencySeconds: 5,
    drainRecords: 100_000,
    preloadCapSeconds: 30,
    drainCapSeconds: 30,
    e2eSeconds: 5,
    scaleSeconds: 3,
    sweepSeconds: 3,
    sweepRepeats: 1,
    latencyConnections: 50,
    calibrateSeconds: 4,
    diskSeconds: 2,
    recoveryGb: 1,
  },
};

const USAGE = `Usage: npm run bench -- [options]

  --quick                 short measurements (a few minutes in all)
  --targets a,b           of ${TARGETS.join(', ')} (default: all),
                          or ${OPT_IN_TARGETS.join(', ')} (Freshet with --audit-log in its data directory)
  --scenarios a,b         of ${SCENARIOS.map((s) => s.id).join(', ')}
                          (default: all but ${[...OPT_IN].join(', ')})
  --recovery              add the recovery scenario (writes --recovery-gb of log)
  --recovery-gb N         log size for recovery (default 10, quick 1)
  --drain-records N       records to load before the drain (default 1,000,000, quick 100,000)
  --seconds N             length of each throughput/latency measurement
  --latency-connections N connections the PutRecord latency generator may open (default 50)
  --sweep-repeats N       times the shard-count sweep runs; each point reports its median (default 3, quick 1)
  --data-root DIR         where Freshet's data directories and the disk calibration go (default: OS temp dir)
  --out DIR               where the JSON goes (default: <repo>/bench-results)
  --help`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      targets: { type: 'string' },
      scenarios: { type: 'string' },
      recovery: { type: 'boolean', default: false },
      'recovery-gb': { type: 'string' },
      'drain-records': { type: 'string' },
      seconds: { type: 'string' },
      'latency-connections': { type: 'string' },
      'sweep-repeats': { type: 'string' },
      'data-root': { type: 'string' },
      out: { type: 'string', default: join(repoRoot, 'bench-results') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const list = (text) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const targets = values.targets ? list(values.targets) : TARGETS;
  const scenarioIds = values.scenarios ? list(values.scenarios) : SCENARIOS.map((s) => s.id).filter((id) => !OPT_IN.has(id));
  if (values.recovery && !scenarioIds.includes('recovery')) scenarioIds.push('recovery');
  for (const name of targets) if (![...TARGETS, ...OPT_IN_TARGETS].includes(name)) throw new Error(`unknown target ${name}\n${USAGE}`);
  for (const id of scenarioIds) if (!SCENARIOS.some((s) => s.id === id)) throw new Error(`unknown scenario ${id}\n${USAGE}`);
  const sizes = { ...SIZES[values.quick ? 'quick' : 'full'] };
  if (values['recovery-gb']) sizes.recoveryGb = Number(values['recovery-gb']);
  if (values['latency-connections']) sizes.latencyConnections = Number(values['latency-connections']);
  if (values['drain-records']) sizes.drainRecords = Number(values['drain-records']);
  if (values['sweep-repeats']) sizes.sweepRepeats = Number(values['sweep-repeats']);
  if (values.seconds)
    Object.assign(sizes, {
      putSeconds: +values.seconds,
      latencySeconds: +values.seconds,
      e2eSeconds: +values.seconds,
      scaleSeconds: +values.seconds,
      sweepSeconds: +values.seconds,
    });
  return {
    quick: values.quick,
    targets,
    scenarios: SCENARIOS.filter((s) => scenarioIds.includes(s.id)),
    sizes,
    dataRoot: values['data-root'] ?? tmpdir(),
    out: values.out,
  };
}

/** The targets to run, each with the reason it cannot run if it cannot (Freshet not built yet). */
function makeTargets(names, dataRoot) {
  return names.map((name) => {
    if (name === 'kinesalite') return { target: new KinesaliteTarget() };
    if (name === 'kinesis-local') return { target: new KinesisLocalTarget() };
    const target = new FreshetTarget({
      relaxed: name === 'freshet-relaxed',
      audit: name === 'freshet-audit',
      auth: name === 'freshet-auth',
      dataRoot,
    });
    return { target, unavailable: FreshetTarget.unavailableReason() };
  });
}

async function main() {
  const options = parseOptions();
  const dataRoot = mkdtempSync(join(options.dataRoot, 'freshet-bench-'));
  const run = {
    startedAt: new Date().toISOString(),
    quick: options.quick,
    sizes: options.sizes,
    machine: describeMachine(dataRoot),
    targets: [],
    scenarios: {},
    startups: {},
  };
  const ctx = {
    sizes: options.sizes,
    dataRoot,
    runJob,
    recordStartup: (target, ms) => (run.startups[target.name] ??= []).push(ms),
  };
  const targets = makeTargets(options.targets, dataRoot);
  run.targets = targets.map(({ target, unavailable }) => ({ ...target.describe(), unavailable }));
  console.log(
    `Freshet bench, ${options.quick ? 'quick' : 'full'} run, commit ${run.machine.commit}, ${run.machine.cpus} CPUs, node ${process.version}`,
  );
  for (const { target, unavailable } of targets)
    console.log(`  ${target.name} ${target.version}: ${unavailable ? `UNAVAILABLE (${unavailable})` : target.durability}`);

  // Stop any server still running if we are interrupted.
  const stopAll = async () => {
    await Promise.allSettled(targets.map(({ target }) => target.stop()));
    rmSync(dataRoot, { recursive: true, force: true });
  };
  process.once('SIGINT', () => stopAll().then(() => process.exit(130)));

  try {
    for (const scenario of options.scenarios) run.scenarios[scenario.id] = await runScenario(ctx, scenario, targets);
  } finally {
    await stopAll();
  }
  run.finishedAt = new Date().toISOString();
  run.goals = checkGoals(run);
  console.log(`\n## Goals (issue 7)\n\n${table(GOAL_COLUMNS, run.goals)}`);
  console.log(`\nJSON: ${writeJson(options.out, run)}`);
}

async function runScenario(ctx, scenario, targets) {
  const rows = [];
  const failures = [];
  const started = performance.now();
  process.stderr.write(`\n[${scenario.id}] running...\n`);
  if (scenario.once) {
    rows.push(...(await scenario.run(ctx)));
  } else {
    for (const { target, unavailable } of targets) {
      if (scenario.durableOnly && target.inMemory) continue;
      if (unavailable) {
        failures.push({ target: target.name, reason: `pending: ${unavailable}` });
        continue;
      }
      process.stderr.write(`[${scenario.id}] ${target.name}\n`);
      try {
        rows.push(...(await scenario.run(ctx, target)));
      } catch (error) {
        await target.stop().catch(() => {});
        failures.push({ target: target.name, reason: error.message.split('\n')[0] });
      }
    }
  }
  printScenario(scenario, rows, failures);
  return { title: scenario.title, loadAverageAfter: os.loadavg(), seconds: (performance.now() - started) / 1000, rows, failures };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
