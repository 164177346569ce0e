#!/usr/bin/env node
// Renders a bench JSON (default: bench-results/latest.json) as Markdown tables for docs/BENCHMARKS.md:
//   npm run bench:md -w @freshet/bench [-- path/to/bench.json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS } from './scenarios/index.js';
import { GOAL_COLUMNS, checkGoals } from './goals.js';
import { repoRoot } from './util/repo.js';

const path = process.argv[2] ?? join(repoRoot, 'bench-results', 'latest.json');
const run = JSON.parse(readFileSync(path, 'utf8'));

const cell = (column, row) => {
  const value = column.format ? column.format(row[column.key]) : row[column.key];
  return value == null || value === '' ? '' : String(value).replaceAll('|', '\\|');
};

const m = run.machine;
console.log(
  `Run of ${run.startedAt} (${run.quick ? 'quick' : 'full'}), commit \`${m.commit}\`, ${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.kernel}, Node ${m.node}, load average at start ${m.loadAverageAtStart.map((n) => n.toFixed(1)).join(' / ')}.\n`,
);
console.log('| target | version | durability of an acknowledged record |\n| --- | --- | --- |');
for (const target of run.targets)
  console.log(`| ${target.name} | ${target.version} | ${target.unavailable ? `not run: ${target.unavailable}` : target.durability} |`);
console.log('');
function markdownTable(columns, rows) {
  console.log(`| ${columns.map((c) => c.label).join(' | ')} |`);
  console.log(`|${columns.map((c) => (c.format ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const row of rows) console.log(`| ${columns.map((c) => cell(c, row)).join(' | ')} |`);
}

console.log('#### Goals\n');
markdownTable(GOAL_COLUMNS, checkGoals(run));
console.log('');
for (const scenario of SCENARIOS) {
  const result = run.scenarios[scenario.id];
  if (!result) continue;
  console.log(`#### ${scenario.title}\n`);
  if (result.rows.length) markdownTable(scenario.columns, result.rows);
  for (const failure of result.failures) console.log(`\n${failure.target}: not measured: ${failure.reason}`);
  console.log('');
}
