#!/usr/bin/env node
// The `freshet` command. The TypeScript sources compile to dist/ (npm run build, run by npm ci).
import('../dist/src/cli/main.js').catch((err) => {
  console.error(err?.code === 'ERR_MODULE_NOT_FOUND' ? 'freshet is not built: run `npm run build` first' : err);
  process.exit(1);
});
