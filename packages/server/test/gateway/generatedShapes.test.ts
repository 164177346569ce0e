/**
 * Each service's shapes and handler interface are generated from its model: the checked-in file
 * must be exactly what the generator writes, or a model change could leave an operation without
 * a required handler.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const repo = fileURLToPath(new URL('../../../../../', import.meta.url));
const SERVICES = [{ uid: 'kinesis-2013-12-02', file: 'packages/server/src/services/kinesis/shapes.generated.ts', name: 'Kinesis' }];

for (const { uid, file, name } of SERVICES) {
  test(`${file} is what ${uid}.json generates`, () => {
    const run = spawnSync(process.execPath, ['packages/aws/scripts/generate-shapes.mjs', '--check', uid, file, name], {
      cwd: repo,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
  });
}
