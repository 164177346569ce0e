// Runs the compiled test files (dist/test/**/*.test.js) with node's test runner. Node 20 does
// not expand globs, and given a directory it would also run every helper and fixture under a
// folder named `test`, so the files are listed here. Arguments narrow the run to paths that
// contain them: `node scripts/run-tests.mjs storage api/streams`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../dist/test/', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.js'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort()
  .map((file) => join(root, file));
if (files.length === 0) {
  console.error(`no compiled test files under ${root} match ${filters.join(' ') || '*.test.js'}`);
  process.exit(1);
}
const concurrency = process.env.FRESHET_TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
