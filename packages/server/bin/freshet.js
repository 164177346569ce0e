#!/usr/bin/env node
// The `freshet` command. The TypeScript sources compile to dist/ (npm run build, run by npm ci).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 15)) {
  console.error(`freshet: needs Node.js 20.15 or newer (this is ${process.version})`);
  process.exit(1);
}
import('../dist/src/cli/main.js').catch((err) => {
  console.error(err?.code === 'ERR_MODULE_NOT_FOUND' ? 'freshet is not built: run `npm run build` first' : err);
  process.exit(1);
});
