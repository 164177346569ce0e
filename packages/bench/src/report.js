import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A plain-text table; `columns` are {key, label, format?}. */
export function table(columns, rows) {
  const cells = rows.map((row) =>
    columns.map(({ key, format }) => (format ? format(row[key]) : row[key] == null ? '-' : String(row[key]))),
  );
  const widths = columns.map((column, i) => Math.max(column.label.length, ...cells.map((line) => line[i].length)));
  const line = (values) => values.map((value, i) => (i === 0 ? value.padEnd(widths[i]) : value.padStart(widths[i]))).join('  ');
  return [line(columns.map((c) => c.label)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function printScenario(scenario, rows, failures) {
  console.log(`\n## ${scenario.title}\n`);
  if (rows.length) console.log(table(scenario.columns, rows));
  for (const failure of failures) console.log(`  ${failure.target}: not measured: ${failure.reason}`);
}

/** Writes the run as JSON to `dir`/bench-<time>.json and `dir`/latest.json; returns the first path. */
export function writeJson(dir, run) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `bench-${run.startedAt.replace(/[:.]/g, '-')}.json`);
  const text = JSON.stringify(run, null, 2);
  writeFileSync(path, text);
  writeFileSync(join(dir, 'latest.json'), text);
  return path;
}
