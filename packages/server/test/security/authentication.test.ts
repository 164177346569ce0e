/**
 * Authentication end to end: a node with an auth file (`--auth`), real clients signing with its
 * keys (SDK v3 over HTTP/2, boto3, the aws CLI, AWS's own signer for raw and presigned requests),
 * on a manual clock so that skew and expiry are tested without waiting. Also: the checks every
 * node makes without --auth, the auth file's validation, its reload on SIGHUP, and the refusal to
 * listen beyond loopback unauthenticated.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import {
  GetShardIteratorCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { ManualClock } from '../../src/core/clock.js';
import { parseCommandLine, UsageError } from '../../src/cli/options.js';
import { AuthFileError, parseAuthConfig } from '../../src/security/auth/index.js';
import { createActiveStream, eventually, rejects } from '../helpers/api.js';
import { awsEnv, TEST_CREDENTIALS, uniqueName } from '../helpers/clients.js';
import { nodePerSuite, startNode, type TestNode } from '../helpers/fixture.js';
import { FRESHET_BIN, startServer } from '../helpers/server.js';
import { presignedUrl, signedFetch, signedHeaders, type Credentials } from '../helpers/signing.js';

const run = promisify(execFile);
const A = '111111111111';
const B = '222222222222';
const HOUR = 3_600_000;
const JSON_TYPE = 'application/x-amz-json-1.1';
const ALLOW_ALL = [{ name: 'all', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
const ROLE: Credentials = { accessKeyId: 'ASIAREADER', secretAccessKey: 'reader-secret', sessionToken: 'reader-token' };
/** The fixture's key, copied: SDK v3 marks the credentials object it was given (`$source`). */
const ADMIN: Credentials = { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: TEST_CREDENTIALS.secretAccessKey };
const CAROL: Credentials = { accessKeyId: 'AKIDCAROL', secretAccessKey: 'carol-secret' };

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const iso = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

function authFileFor(clock: ManualClock, extra: object[] = []): object {
  return {
    accounts: [{ id: A, name: 'production' }, { id: B }],
    principals: [
      { user: 'admin', account: A, credentials: [ADMIN], policies: ALLOW_ALL },
      { user: 'carol', account: B, credentials: [CAROL], policies: ALLOW_ALL },
      {
        role: 'reader',
        account: A,
        credentials: [{ ...ROLE, expiration: new Date(clock.now() + HOUR).toISOString(), session: 'ci-job' }],
        policies: ALLOW_ALL,
      },
      ...extra,
    ],
  };
}

const tempDirs: string[] = [];
after(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function writeAuthFile(content: object | string, name = 'auth.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-auth-'));
  tempDirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

describe('authentication with --auth (SDK v3, AWS signer, manual clock)', () => {
  const clock = new ManualClock();
  let node: TestNode<ManualClock>;
  const clients: KinesisClient[] = [];
  /** An SDK v3 client signing with `credentials`, at the node's time. */
  const client = (credentials: Credentials = TEST_CREDENTIALS) => {
    const made = new KinesisClient({
      endpoint: node.url,
      region: 'us-east-1',
      credentials: { ...credentials }, // a copy: SDK v3 marks the object it is given ($source)
      maxAttempts: 1,
      systemClockOffset: clock.now() - Date.now(),
    });
    clients.push(made);
    return made;
  };
  nodePerSuite(
    () => startNode({ clock, authFile: writeAuthFile(authFileFor(clock)) }),
    (started) => (node = started),
  );
  after(() => clients.forEach((c) => c.destroy()));

  /** A raw awsJson call signed by AWS's signer at the node's time (or `signingDate`). */
  const raw = async (operation: string, input: object, options: { credentials?: Credentials; signingDate?: Date } = {}) => {
    const res = await signedFetch(node.url, {
      headers: { 'content-type': JSON_TYPE, 'x-amz-target': `Kinesis_20131202.${operation}` },
      body: JSON.stringify(input),
      signingDate: options.signingDate ?? new Date(clock.now()),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('takes calls signed with a key of the file, over HTTP/2 (SDK v3), SubscribeToShard included', async () => {
    const kinesis = client();
    const name = uniqueName('auth');
    const arn = await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    assert.equal(arn, `arn:aws:kinesis:us-east-1:${A}:stream/${name}`, "the stream is in the principal's account");
    await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('signed') }));
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'c' }));
    await eventually(async () => {
      await clock.advance(10);
      try {
        const { EventStream } = await kinesis.send(
          new SubscribeToShardCommand({
            ConsumerARN: Consumer!.ConsumerARN,
            ShardId: 'shardId-000000000000',
            StartingPosition: { Type: 'TRIM_HORIZON' },
          }),
        );
        for await (const event of EventStream!) {
          if (event.SubscribeToShardEvent?.Records?.length) return Buffer.from(event.SubscribeToShardEvent.Records[0]!.Data!).toString();
        }
      } catch (err) {
        if ((err as Error).name !== 'ResourceInUseException') throw err; // the consumer is still CREATING
      }
      return undefined;
    }, 'a subscription event');
  });

  it('keeps accounts apart: each principal sees the streams of its own account', async () => {
    const name = uniqueName('carol');
    await createActiveStream(client(CAROL), { StreamName: name, ShardCount: 1 });
    assert.ok((await client(CAROL).send(new ListStreamsCommand({}))).StreamNames!.includes(name));
    assert.ok(!(await client().send(new ListStreamsCommand({}))).StreamNames!.includes(name));
  });

  it('refuses a wrong secret, an unknown key, a missing and a malformed signature, with AWS errors', async () => {
    await rejects(client({ accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' }).send(new ListStreamsCommand({})), {
      name: 'InvalidSignatureException',
      message: MISMATCH,
      status: 400,
    });
    await rejects(client({ accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }).send(new ListStreamsCommand({})), {
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 400,
    });
    const unsigned = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE, 'x-amz-target': 'Kinesis_20131202.ListStreams' },
      body: '{}',
    });
    assert.equal(unsigned.status, 403);
    assert.deepEqual(await unsigned.json(), { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    const malformed = await fetch(node.url, {
      method: 'POST',
      headers: {
        'content-type': JSON_TYPE,
        'x-amz-target': 'Kinesis_20131202.ListStreams',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKID',
      },
      body: '{}',
    });
    assert.equal(malformed.status, 400);
    assert.deepEqual(await malformed.json(), {
      __type: 'IncompleteSignatureException',
      message:
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=AKID",
    });
    // A body changed after signing: the signature no longer matches it.
    const headers = { 'content-type': JSON_TYPE, 'x-amz-target': 'Kinesis_20131202.ListStreams' };
    const signed = await signedHeaders(node.url, { headers, body: '{}', signingDate: new Date(clock.now()) });
    delete signed.host;
    const tampered = await fetch(node.url, { method: 'POST', headers: signed, body: '{"Limit":1}' });
    assert.deepEqual(await tampered.json(), { __type: 'InvalidSignatureException', message: MISMATCH });
  });

  it('refuses a signature more than 15 minutes off the server clock, naming both times', async () => {
    const now = clock.now();
    const early = now - 16 * 60_000;
    assert.deepEqual((await raw('ListStreams', {}, { signingDate: new Date(early) })).body, {
      __type: 'InvalidSignatureException',
      message: `Signature expired: ${iso(early)} is now earlier than ${iso(now - 15 * 60_000)} (${iso(now)} - 15 min.)`,
    });
    const late = now + 16 * 60_000;
    assert.deepEqual((await raw('ListStreams', {}, { signingDate: new Date(late) })).body, {
      __type: 'InvalidSignatureException',
      message: `Signature not yet current: ${iso(late)} is still later than ${iso(now + 15 * 60_000)} (${iso(now)} + 15 min.)`,
    });
    assert.equal((await raw('ListStreams', {}, { signingDate: new Date(now - 14 * 60_000) })).status, 200, 'within the skew');
  });

  it('serves a presigned GetRecords URL until it expires', async () => {
    const kinesis = client();
    const name = uniqueName('presigned');
    await createActiveStream(kinesis, { StreamName: name, ShardCount: 1 });
    await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('by url') }));
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const headers = { 'content-type': JSON_TYPE, 'x-amz-target': 'Kinesis_20131202.GetRecords' };
    const body = JSON.stringify({ ShardIterator });
    const url = await presignedUrl(node.url, 60, { headers, body, signingDate: new Date(clock.now()) });
    assert.match(url, /X-Amz-Expires=60/);
    const get = () => fetch(url, { method: 'POST', headers, body });
    const first = await get();
    assert.equal(first.status, 200);
    const records = ((await first.json()) as { Records: Array<{ Data: string }> }).Records;
    assert.equal(Buffer.from(records[0]!.Data, 'base64').toString(), 'by url');
    const signedAt = clock.now();
    await clock.advance(61_000);
    const late = await get();
    assert.equal(late.status, 400);
    const now = clock.now();
    assert.deepEqual(await late.json(), {
      __type: 'InvalidSignatureException',
      message: `Signature expired: ${iso(signedAt)} is now earlier than ${iso(now - 60_000)} (${iso(now)} - 60 sec.)`,
    });
    // The query cannot be signed and carry an Authorization header as well.
    const both = await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' }, body });
    assert.equal(((await both.json()) as { __type: string }).__type, 'InvalidSignatureException');
  });

  it("takes a role's temporary credentials with their token, refuses them without it, and after they expire", async () => {
    const listed = await client(ROLE).send(new ListStreamsCommand({}));
    assert.ok(Array.isArray(listed.StreamNames));
    const { sessionToken: _, ...noToken } = ROLE;
    await rejects(client(noToken).send(new ListStreamsCommand({})), { name: 'UnrecognizedClientException', status: 400 });
    await rejects(client({ ...ROLE, sessionToken: 'forged' }).send(new ListStreamsCommand({})), { name: 'UnrecognizedClientException' });
    await clock.advance(HOUR);
    await rejects(client(ROLE).send(new ListStreamsCommand({})), {
      name: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
      status: 400,
    });
  });
});

describe('authentication with --auth: boto3 and the aws CLI', () => {
  let node: TestNode;
  nodePerSuite(
    () => startNode({ authFile: writeAuthFile(authFileFor(new ManualClock())) }),
    (started) => (node = started),
  );

  it('boto3 signs with a key of the file and is let in; with a wrong secret it gets the signature error', async () => {
    const script = `
import sys, boto3, botocore
def client(secret):
    return boto3.client('kinesis', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='${TEST_CREDENTIALS.accessKeyId}',
                        aws_secret_access_key=secret, config=botocore.config.Config(retries={'max_attempts': 0}))
print('streams', type(client('${TEST_CREDENTIALS.secretAccessKey}').list_streams()['StreamNames']).__name__)
try:
    client('wrong').list_streams()
except botocore.exceptions.ClientError as e:
    print('refused', e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'])
`;
    const { stdout } = await run('python3', ['-c', script, node.url], { env: awsEnv(), timeout: 60_000 });
    assert.equal(stdout, 'streams list\nrefused InvalidSignatureException 400\n');
  });

  it('the aws CLI signs with a key of the file and is let in; an unknown key is not', async () => {
    const args = ['kinesis', 'list-streams', '--endpoint-url', node.url, '--output', 'json'];
    const { stdout } = await run('aws', args, { env: awsEnv(), timeout: 60_000 });
    assert.ok(Array.isArray((JSON.parse(stdout) as { StreamNames: unknown }).StreamNames));
    const refused = await run('aws', args, { env: { ...awsEnv(), AWS_ACCESS_KEY_ID: 'AKIDNOBODY' }, timeout: 60_000 }).then(
      () => assert.fail('an unknown key was let in'),
      (err: { stderr: string }) => err.stderr,
    );
    assert.match(refused, /UnrecognizedClientException.*The security token included in the request is invalid\./);
  });
});

describe('the auth file', () => {
  const clock = new ManualClock();
  const bad = (config: object | string, message: string) =>
    assert.throws(
      () => parseAuthConfig(typeof config === 'string' ? config : JSON.stringify(config)),
      (err: Error) => {
        assert.ok(err instanceof AuthFileError);
        assert.equal(err.message, message);
        return true;
      },
    );

  it('reads JSON and YAML alike', () => {
    const yaml = `
accounts:
  - id: "${A}"
principals:
  - user: alice
    account: "${A}"
    credentials:
      - accessKeyId: AKIDALICE
        secretAccessKey: alice-secret
    policies:
      - name: all
        document:
          Version: "2012-10-17"
          Statement:
            - { Effect: Allow, Action: "kinesis:*", Resource: "*" }
`;
    const config = parseAuthConfig(yaml);
    assert.equal(config.credentials.get('AKIDALICE')?.principal.name, 'alice');
    assert.equal(parseAuthConfig(JSON.stringify(authFileFor(clock))).credentials.size, 3);
  });

  it('refuses what is wrong with one line naming the place', () => {
    const base = authFileFor(clock) as { principals: object[] };
    bad({ ...base, users: [] }, '(the file).users: unknown field (the fields are accounts, principals)');
    bad({ accounts: [{ id: '123' }], principals: [] }, 'accounts[0].id: must be a 12-digit account id, got "123"');
    bad(
      { accounts: [{ id: A }], principals: [{ user: 'x', account: B, credentials: [] }] },
      `principals[0].account: account ${B} is not listed under 'accounts'`,
    );
    bad(
      { accounts: [{ id: A }], principals: [{ user: 'x', account: A, credentials: [{ accessKeyId: 'AK' }] }] },
      'principals[0].credentials[0].secretAccessKey: missing',
    );
    bad(
      { accounts: [{ id: A }], principals: [{ role: 'r', account: A, credentials: [{ accessKeyId: 'AK', secretAccessKey: 's' }] }] },
      "principals[0].credentials[0].sessionToken: a role's credentials are temporary: give their sessionToken",
    );
    bad(
      { ...base, principals: [...base.principals, { user: 'twin', account: A, credentials: [ADMIN] }] },
      `principals[3].credentials[0].accessKeyId: ${TEST_CREDENTIALS.accessKeyId} is given twice in the file`,
    );
    // A policy is read by the policy parser, whose message (IAM's) follows the place.
    assert.match(parseFailure({ Statement: 'no' }), /^principals\[0\]\.policies\[0\]\.document: \S/);
    bad('accounts: [', `not valid JSON or YAML: ${yamlFailure('accounts: [')}`);
  });
});

/** What the auth file says of a policy document (parsePolicy's message after the place). */
function parseFailure(document: object): string {
  try {
    parseAuthConfig(
      JSON.stringify({
        accounts: [{ id: A }],
        principals: [{ user: 'x', account: A, credentials: [], policies: [{ name: 'p', document }] }],
      }),
    );
  } catch (err) {
    return (err as Error).message;
  }
  return 'no failure';
}

function yamlFailure(text: string): string {
  try {
    parseAuthConfig(text);
  } catch (err) {
    return (err as Error).message.replace('not valid JSON or YAML: ', '');
  }
  return 'no failure';
}

describe('freshet serve --auth (the process)', () => {
  it('reloads the file on SIGHUP without dropping connections, and keeps the old one when the new is broken', async () => {
    const clock = new ManualClock();
    const file = writeAuthFile(authFileFor(clock));
    const server = await startServer({ args: ['--auth', file] });
    const dave: Credentials = { accessKeyId: 'AKIDDAVE', secretAccessKey: 'dave-secret' };
    const admin = new KinesisClient({ endpoint: server.url, region: 'us-east-1', credentials: { ...ADMIN }, maxAttempts: 1 });
    const newcomer = new KinesisClient({ endpoint: server.url, region: 'us-east-1', credentials: { ...dave }, maxAttempts: 1 });
    try {
      await admin.send(new ListStreamsCommand({}));
      await rejects(newcomer.send(new ListStreamsCommand({})), { name: 'UnrecognizedClientException' });
      writeFileSync(file, JSON.stringify(authFileFor(clock, [{ user: 'dave', account: A, credentials: [dave], policies: ALLOW_ALL }])));
      server.child.kill('SIGHUP');
      await eventually(
        () =>
          newcomer.send(new ListStreamsCommand({})).then(
            () => true,
            () => undefined,
          ),
        'the new key let in',
      );
      await admin.send(new ListStreamsCommand({})); // the same HTTP/2 connection, still served
      writeFileSync(file, '{ "accounts": [ broken');
      server.child.kill('SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await newcomer.send(new ListStreamsCommand({})); // the previous file stays in use
      assert.equal(server.child.exitCode, null, 'still running');
    } finally {
      admin.destroy();
      newcomer.destroy();
      await server.dispose();
    }
  });

  it('refuses to start with a wrong auth file, in one line naming the place', async () => {
    const file = writeAuthFile({ accounts: [{ id: A }], principals: [{ user: 'x', account: A }] });
    const failed = await run(process.execPath, [FRESHET_BIN, 'serve', '--port', '0', '--auth', file], { timeout: 30_000 }).then(
      () => assert.fail('started'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(failed.stderr, `freshet: auth file ${file}: principals[0].credentials: missing (a list)\n`);
    assert.notEqual(failed.code, 0);
  });

  it('listens beyond loopback only with --auth or --allow-unauthenticated, and says so', async () => {
    assert.throws(
      () => parseCommandLine(['serve', '--host', '0.0.0.0']),
      (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /^refusing to listen on 0\.0\.0\.0 without authentication: .*--auth <file>.*--allow-unauthenticated/);
        return true;
      },
    );
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
      assert.equal(parseCommandLine(['serve', '--host', host]).command, 'serve');
    assert.equal(parseCommandLine(['serve', '--host', '0.0.0.0', '--allow-unauthenticated']).command, 'serve');
    assert.equal(parseCommandLine(['serve', '--host', '0.0.0.0', '--auth', 'auth.yaml']).command, 'serve');
    const refused = await run(process.execPath, [FRESHET_BIN, 'serve', '--host', '0.0.0.0', '--port', '0'], { timeout: 30_000 }).then(
      () => assert.fail('started'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--allow-unauthenticated/);
  });
});
