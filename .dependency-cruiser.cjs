// Import boundaries, checked by dependency-cruiser: `npm run lint:deps`. The same rules in prose: docs/CODE_STYLE.md.
//
// Paths are relative to the repository root. Type-only imports count (tsPreCompilationDeps): a layer that needs another
// layer's types depends on it as much as one that calls it. The one exception is the cycle check, see no-circular.
//
// `@freshet/aws` resolves, through the workspace symlink, to packages/aws/dist (its package.json points there; dist/ is
// built by `npm ci` and `npm run build`), so "@freshet/aws" in a rule is the path ^packages/aws/. Before a build it does
// not resolve at all and is reported as `@freshet/aws`, which no rule below forbids.

const SRC = '^packages/server/src/';
const FACADE = '^packages/server/src/services/[^/]+/index\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ------------------------------------------------------------------ everywhere
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle of run-time imports makes module initialisation order matter (a class is undefined when its importer ' +
        'runs) and means two modules cannot be understood, tested or moved apart. Cycles closed only by a type import ' +
        '(`import type`, `import { type X }`) are erased by the compiler and have no run-time effect: they are reported ' +
        'by no-circular-through-types.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-through-types',
      severity: 'error',
      comment:
        'A cycle that exists only through type imports: harmless at run time, but still a tangle of layers, so none ' +
        'is allowed either (move the shared type down to the module both sides import).',
      from: {},
      to: { circular: true, via: { dependencyTypes: ['type-only'] } },
    },
    {
      name: 'no-src-to-test',
      severity: 'error',
      comment: 'Shipped code must not depend on tests or their fixtures (they are not in the published package).',
      from: { path: '^packages/[^/]+/src/' },
      to: { path: '^packages/[^/]+/test/' },
    },

    {
      name: 'packages-meet-by-name',
      severity: 'error',
      comment:
        'A workspace package uses another only by its package name (`@freshet/aws`), which resolves to what that ' +
        "package publishes (dist/src/index); a relative path into another package's src/ or test/ would use files the " +
        'published package does not have, and bypass its public entry.',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: ['^packages/$1/', '^packages/[^/]+/dist/src/index\\.(js|d\\.ts)$'] },
    },

    // ------------------------------------------------------------------ packages/aws
    {
      name: 'aws-knows-no-one',
      severity: 'error',
      comment:
        '@freshet/aws is the wire layer for every AWS service (models, codecs, validation, SigV4): it must know no ' +
        'service and no server, so it imports nothing of ours: not @freshet/server, not a relative path out of packages/aws.',
      from: { path: '^packages/aws/' },
      to: { path: ['^packages/', '^@freshet/'], pathNot: '^packages/aws/' },
    },

    // ------------------------------------------------------------------ packages/server layers
    {
      name: 'util-is-the-bottom',
      severity: 'error',
      comment:
        'util/ holds small, general helpers (buffers, hashing, queues) that every layer may use; an import from util ' +
        'up into any other layer would make that layer a dependency of everything.',
      from: { path: `${SRC}util/` },
      to: { path: SRC, pathNot: `${SRC}util/` },
    },
    {
      name: 'core-imports-only-util',
      severity: 'error',
      comment:
        'core/ (request context, logger, clock) is what every layer shares: of our code it may use only util/ and ' +
        '@freshet/aws, so that gateway, storage and services can all depend on it without a cycle. Third-party ' +
        'packages (pino) are allowed.',
      from: { path: `${SRC}core/` },
      to: { path: SRC, pathNot: [`${SRC}core/`, `${SRC}util/`] },
    },
    {
      name: 'storage-below-services',
      severity: 'error',
      comment:
        'storage/ is the durable layer under the services (types.ts is its seam; local/ one implementation). It must ' +
        'not know who calls it: no gateway/, services/, cli/, node.ts or the package entry, so another storage can be ' +
        'written against types.ts alone and storage can be tested without a server.',
      from: { path: `${SRC}storage/` },
      to: { path: [`${SRC}(gateway|services|cli)/`, `${SRC}(node|index)\\.ts$`] },
    },
    {
      name: 'gateway-knows-no-service',
      severity: 'error',
      comment:
        'gateway/ (HTTP front, routing, request steps) serves any service through the Service interface it defines; ' +
        'it may use core/, util/, security/ (SigV4, policies) and @freshet/aws only. An import of services/ or storage/ would tie the front door to ' +
        'one service or one storage.',
      from: { path: `${SRC}gateway/` },
      to: { path: SRC, pathNot: [`${SRC}(gateway|core|util|security)/`] },
    },
    {
      name: 'policies-are-pure',
      severity: 'error',
      comment:
        'security/policy/ parses IAM policies and evaluates requests against them: pure functions of their inputs, ' +
        'used by the gateway (authorize step) and the auth file loader. Of our code it may use only core/ and util/, ' +
        'so it can be tested alone and used by any layer that needs it.',
      from: { path: `${SRC}security/policy/` },
      to: { path: SRC, pathNot: [`${SRC}(core|util|security/policy)/`] },
    },
    {
      name: 'services-meet-through-facades',
      severity: 'error',
      comment:
        "A service (services/X/) may use another service (services/Y/) only through Y's index.ts, its public facade " +
        '(e.g. Firehose reading streams through kinesis/index.ts), never through its engine or codec internals, so each ' +
        'service can change its insides freely.',
      from: { path: `${SRC}services/([^/]+)/` },
      to: { path: `${SRC}services/`, pathNot: [`${SRC}services/$1/`, FACADE] },
    },
    {
      name: 'service-internals-stay-inside',
      severity: 'error',
      comment:
        'Outside services/, a service is reached only through its facade (services/X/index.ts): node.ts and cli/ wire ' +
        'it, nothing else reaches into engine/, codec/, handlers.ts or service.ts. (Tests are not under this rule.)',
      from: { path: SRC, pathNot: `${SRC}services/` },
      to: { path: `${SRC}services/[^/]+/`, pathNot: FACADE },
    },
    {
      name: 'only-the-root-wires-services',
      severity: 'error',
      comment:
        'The facades (services/*/index.ts) are for wiring: only the composition root (node.ts), the CLI, the package ' +
        'entry (src/index.ts, which re-exports) and other services import them. Anything else importing a service ' +
        'would make a lower layer depend on a higher one.',
      from: { path: SRC, pathNot: [`${SRC}(node|index)\\.ts$`, `${SRC}cli/`, `${SRC}services/`] },
      to: { path: FACADE },
    },
    {
      name: 'only-cli-imports-the-root',
      severity: 'error',
      comment:
        'node.ts is the composition root: it imports every layer, so nothing may import it back except the CLI, which ' +
        'runs it, and the package entry (src/index.ts), which re-exports startFreshet for embedders and tests.',
      from: { path: SRC, pathNot: [`${SRC}cli/`, `${SRC}index\\.ts$`] },
      to: { path: `${SRC}node\\.ts$` },
    },
  ],

  options: {
    // What is cruised is named on the command line (package.json, lint:deps): every package's src/, test/, scripts/
    // and bin/, and the root scripts/. Tests are in for the cycle check and so that src never imports them. Compiled
    // output and dependencies are not cruised, only seen as the targets of imports: dist/ is not a root (excluding it
    // here would hide the imports of @freshet/aws, which resolve into it) and is not followed.
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['^packages/aws/models/'] },
    // Count `import type` and type-only specifiers: they are dependencies between layers all the same.
    tsPreCompilationDeps: true,
    // Follow the workspace symlink (node_modules/@freshet/aws -> packages/aws) to the real path.
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
    progress: { type: 'none' },
  },
};
