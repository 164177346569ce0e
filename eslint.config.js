// ESLint 9 flat config. See docs/CODE_STYLE.md. Run with `npm run lint`.
//
// TypeScript (packages/*/src, packages/*/test) is linted with typescript-eslint's `recommended` set plus a few
// type-aware rules that catch real bugs (promises nobody waits for, promises where a boolean or a void callback is
// expected). Type information comes from the project service, which reads each package's tsconfig.json: one
// TypeScript program per package, cheap enough on two cores. The broad `recommendedTypeChecked` set (no-unsafe-*,
// restrict-template-expressions, ...) is not on: it would ask for hundreds of rewrites of code that is correct.
//
// Plain JavaScript (the bench, the bin script, build and test scripts) is linted without type information.
// Formatting is Prettier's job (`npm run format:check`), so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS_FILES = ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts'];
const JS_FILES = ['packages/bench/**/*.{js,mjs,cjs}', 'packages/*/bin/**/*.js', 'packages/*/scripts/**/*.mjs', 'scripts/**/*.mjs'];

// Unused names are errors, except those that say they are unused on purpose with a leading underscore
// (`_req`, `[_key, value]`, `catch (_err)`), and the rest siblings used to drop a property from an object.
const unusedVars = [
  'error',
  {
    args: 'after-used',
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
    ignoreRestSiblings: true,
  },
];

export default tseslint.config(
  {
    // Build output, dependencies, generated code (its generator is linted instead) and data.
    ignores: ['**/node_modules/**', '**/dist/**', '**/*.generated.ts', 'packages/aws/models/**', 'bench-results/**', 'data/**'],
  },
  {
    linterOptions: {
      // A `// eslint-disable-line` that no longer silences anything is dead weight: say so.
      reportUnusedDisableDirectives: 'error',
    },
  },

  // ---------------------------------------------------------------- TypeScript
  {
    files: TS_FILES,
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': unusedVars,

      // Type-only imports say so: `import type { X }` when every name is a type, `import { f, type X }` when mixed (the
      // style the code uses). They are erased, so they never load a module at run time, and dependency-cruiser tells
      // a cycle through them from a run-time one (see .dependency-cruiser.cjs, no-circular).
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],

      // A promise nobody awaits loses its rejection (an unhandled rejection ends the process). Mark the deliberate
      // ones with `void`. node:test's test()/describe()/it() return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: true,
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      // A promise where a condition or a void callback is expected: `if (promise)` is always true, and an async
      // listener passed to an EventEmitter or a stream throws into nowhere.
      '@typescript-eslint/no-misused-promises': 'error',
      // `await` of something that is not a promise is a sign the code thinks a call is async when it is not.
      '@typescript-eslint/await-thenable': 'error',
      // for-in over an array gives string indexes, and inherited properties.
      '@typescript-eslint/no-for-in-array': 'error',
      // setTimeout('code') and friends.
      '@typescript-eslint/no-implied-eval': 'error',
      // `throw 'text'` loses the stack; so does rejecting with a non-Error.
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',

      // `any` is allowed where it is said out loud: the code marks those places with an eslint-disable comment.
      '@typescript-eslint/no-explicit-any': 'error',
      // `catch {}` that deliberately ignores an error is common (best-effort cleanup); other empty blocks are not.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Tests may be looser where it does not hide bugs: fixtures build odd values on purpose, and tests drive the AWS
    // SDK clients through internals their types do not expose (`protocol: AwsQueryProtocol as any`).
    files: ['packages/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },

  // ---------------------------------------------------------------- JavaScript
  {
    files: JS_FILES,
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      'no-unused-vars': unusedVars,
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
