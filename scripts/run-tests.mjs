// Runs the compiled test files (packages/*/dist/test/**/*.test.js) with node's test runner, all
// packages in one run so there is one closing summary. Node 20 does not expand globs, and given a
// directory it would also run every helper and fixture under a folder named `test`, so the files
// are listed here. Arguments narrow the run to paths that contain them:
// `node scripts/run-tests.mjs storage api/streams` or `node scripts/run-tests.mjs packages/aws`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(join(repo, 'packages'));
const files = packages
  .map((name) => join(repo, 'packages', name, 'dist', 'test'))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir, { recursive: true }).map((file) => join(dir, String(file))))
  .filter((file) => file.endsWith('.test.js'));
const filters = process.argv.slice(2);
const chosen = files
  .filter((file) => filters.length === 0 || filters.some((filter) => relative(repo, file).replace('/dist/', '/').includes(filter)))
  .sort();
if (chosen.length === 0) {
  console.error(`no compiled test files match ${filters.join(' ') || '*.test.js'}`);
  process.exit(1);
}
const concurrency = process.env.FRESHET_TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...chosen], { stdio: 'inherit' });
process.exit(result.status ?? 1);
