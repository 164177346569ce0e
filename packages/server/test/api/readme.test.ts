/**
 * The README as a new user meets it: the code blocks of "Use it" (SDK v3, the aws CLI, boto3)
 * are taken from README.md as printed and run against a real server started the way the README
 * says (its defaults: streams are CREATING for 500 ms), with only the endpoint replaced by the
 * server's; each must print the record it wrote. And the options table lists exactly the
 * options `freshet --help` lists, with the same defaults.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { FRESHET_BIN, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
/** packages/server/, from packages/server/dist/test/api/: where @aws-sdk/client-kinesis resolves. */
const PACKAGE_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const README = readFileSync(new URL('../../../../../README.md', import.meta.url), 'utf8');
/** The endpoint the README's examples use. */
const README_ENDPOINT = 'http://127.0.0.1:4567';

/** The text of the README section that starts with `## <title>`, up to the next `## `. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has a section '${title}'`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The one fenced code block of `language` in the section, with the endpoint replaced. */
function codeBlock(title: string, language: string, url: string): string {
  const blocks = [...section(title).matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === language).map((m) => m[2]!);
  assert.equal(blocks.length, 1, `one \`\`\`${language} block in '${title}'`);
  const code = blocks[0]!;
  assert.ok(code.includes(README_ENDPOINT), `the ${language} block uses ${README_ENDPOINT}`);
  return code.replaceAll(README_ENDPOINT, url);
}

/** A server as `freshet serve` starts with its defaults (the helper's default is 0 ms). */
function defaultServer(): Promise<TestServer> {
  return startServer({ args: ['--create-stream-ms', '500', '--delete-stream-ms', '500', '--update-stream-ms', '500'] });
}

/** The environment of a shell that set no AWS_* variables and has no AWS config of its own. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  return {
    ...env,
    AWS_CONFIG_FILE: '/nonexistent/freshet-readme-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/freshet-readme-test/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

describe('the README', () => {
  it('runs its SDK v3 example as printed, which prints the record', async () => {
    const server = await defaultServer();
    try {
      const code = codeBlock('Use it', 'js', server.url);
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: PACKAGE_DIR, timeout: 60_000 });
      assert.equal(stdout, 'hello\n');
    } finally {
      await server.dispose();
    }
  });

  it('runs its aws CLI example as printed, which prints the record', async () => {
    const server = await defaultServer();
    try {
      const code = codeBlock('Use it', 'sh', server.url);
      // -e and pipefail: a command of the example that fails fails the test.
      const { stdout } = await run('bash', ['-c', `set -eo pipefail\n${code}`], { env: cleanEnv(), timeout: 90_000 });
      assert.equal(stdout, 'hello\n');
    } finally {
      await server.dispose();
    }
  });

  it('runs its boto3 example as printed, which prints the record', async () => {
    const server = await defaultServer();
    try {
      const code = codeBlock('Use it', 'python', server.url);
      const { stdout } = await run('python3', ['-c', code], { env: cleanEnv(), timeout: 60_000 });
      assert.equal(stdout, "b'hello'\n");
    } finally {
      await server.dispose();
    }
  });

  it('lists in its options table exactly the options of `freshet --help`, with the same defaults', async () => {
    const { stdout: help } = await run(process.execPath, [FRESHET_BIN, '--help']);
    /** Option name -> its lines of the help. */
    const helped = new Map<string, string>();
    let current: string | undefined;
    for (const line of help.split('\n')) {
      const option = /^ {2}(?:-\w, )?--([\w-]+)/.exec(line);
      if (option) {
        current = option[1]!;
        helped.set(current, line);
      } else if (current && /^ {10,}\S/.test(line)) {
        helped.set(current, `${helped.get(current)!} ${line.trim()}`);
      } else {
        current = undefined;
      }
    }
    assert.ok(helped.size >= 18, `the help lists the options (${[...helped.keys()].join(' ')})`);

    const rows = section('Run it')
      .split('\n')
      .filter((line) => line.startsWith('| `-'))
      .map((line) => line.split(/(?<!\\)\|/).map((cell) => cell.trim()));
    const tabled = new Map<string, string>();
    for (const [, options, defaultValue] of rows) {
      for (const [, name] of options!.matchAll(/`--([\w-]+)/g)) tabled.set(name!, defaultValue!);
    }
    const expected = [...helped.keys()].filter((name) => name !== 'help' && name !== 'version').sort();
    assert.deepEqual([...tabled.keys()].sort(), expected, 'the options of the table and of the help');
    // --help and --version are named in the text above the table.
    assert.ok(section('Run it').includes('npx freshet --help') && section('Run it').includes('npx freshet --version'));

    for (const [name, defaultValue] of tabled) {
      // A literal default (a number, a word, a path) is the one the help gives.
      if (!/^[\w./]+$/.test(defaultValue)) continue;
      assert.ok(
        helped.get(name)!.includes(`default ${defaultValue}`),
        `--${name}: the help says default ${defaultValue}: ${helped.get(name)}`,
      );
    }
  });
});
