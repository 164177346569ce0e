import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import {
  cachedPolicy,
  conditionContext,
  evaluate,
  MalformedPolicyError,
  parsePolicy,
  type AuthorizationRequest,
  type Decision,
} from '../../src/security/policy/index.js';
import { accessDenied, requestFacts } from '../../src/gateway/authorize.js';

const A = '111111111111';
const B = '222222222222';
const ALICE = `arn:aws:iam::${A}:user/alice`;
const STREAM = `arn:aws:kinesis:us-east-1:${A}:stream/orders`;

function request(overrides: Partial<AuthorizationRequest> & { facts?: Record<string, string | string[]> } = {}): AuthorizationRequest {
  const { facts, ...rest } = overrides;
  return {
    principalArn: ALICE,
    principalAccount: A,
    action: 'kinesis:PutRecord',
    resource: STREAM,
    resourceAccount: A,
    context: conditionContext({ 'aws:SourceIp': '10.1.2.3', 'aws:username': 'alice', ...facts }),
    ...rest,
  };
}

const identity = (...statements: object[]) => parsePolicy({ Version: '2012-10-17', Statement: statements });
const resourcePolicy = (...statements: object[]) => parsePolicy({ Version: '2012-10-17', Statement: statements }, 'resource');
const allow = (extra: object = {}) => ({ Effect: 'Allow', Action: 'kinesis:*', Resource: '*', ...extra });
const deny = (extra: object = {}) => ({ Effect: 'Deny', Action: 'kinesis:*', Resource: '*', ...extra });
const ALLOWED: Decision = { allowed: true };
const denied = (denial: string): Decision => ({ allowed: false, denial }) as Decision;

describe('parsePolicy', () => {
  const refuses = (document: unknown, message: RegExp, kind: 'identity' | 'resource' = 'identity') =>
    assert.throws(
      () => parsePolicy(document, kind),
      (err: unknown) => err instanceof MalformedPolicyError && message.test(err.message),
    );

  test('takes a JSON text or an object, one statement or a list, and defaults to Version 2008-10-17', () => {
    const policy = parsePolicy('{"Statement":{"Effect":"Allow","Action":"kinesis:Get*","Resource":"*"}}');
    assert.equal(policy.version, '2008-10-17');
    assert.deepEqual(policy.statements, [{ effect: 'Allow', actions: ['kinesis:Get*'], resources: ['*'], conditions: [] }]);
    const twice = parsePolicy({ Version: '2012-10-17', Statement: [allow({ Sid: 'One' }), deny({ Sid: 'Two', NotAction: undefined })] });
    assert.equal(twice.statements.length, 2);
  });

  test('refuses what IAM refuses, naming it', () => {
    refuses('{not json', /^Syntax errors in policy\.$/);
    refuses({ Version: '2013-01-01', Statement: allow() }, /Version/);
    refuses({ Version: '2012-10-17' }, /Missing required field Statement/);
    refuses({ Statement: { Action: '*', Resource: '*' } }, /Missing required field Effect/);
    refuses({ Statement: allow({ Effect: 'Permit' }) }, /Invalid effect: Permit/);
    refuses({ Statement: { Effect: 'Allow', Resource: '*' } }, /must contain actions/);
    refuses({ Statement: { Effect: 'Allow', Action: '*' } }, /must contain resources/);
    refuses({ Statement: allow({ NotAction: 'kinesis:Get*' }) }, /both Action and NotAction/);
    refuses({ Statement: allow({ Action: 'PutRecord' }) }, /prefaced by a vendor/);
    refuses({ Statement: allow({ Resource: 'stream/orders' }) }, /must be in ARN format/);
    refuses({ Statement: allow({ Principal: '*' }) }, /should not specify a principal/);
    refuses({ Statement: allow() }, /Missing required field Principal/, 'resource');
    refuses({ Statement: allow({ Principal: { AWS: 'alice' } }) }, /Invalid principal in policy: "AWS":"alice"/, 'resource');
    refuses({ Statement: allow({ Condition: { StringEqualz: { 'aws:username': 'x' } } }) }, /Invalid Condition type : StringEqualz/);
    refuses({ Statement: allow({ Effects: 'Allow' }) }, /unknown field Effects/);
    refuses({ Statement: [allow({ Sid: 'X' }), allow({ Sid: 'X' })] }, /must be unique/);
    refuses({ Statement: allow({ Action: [] }) }, /non-empty array/);
  });

  test('reads condition operators with their qualifiers and IfExists, and values as text', () => {
    const policy = parsePolicy({
      Statement: allow({
        Condition: { 'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': ['a*', 1, true] }, Null: { 'aws:SourceIp': 'false' } },
      }),
    });
    assert.deepEqual(policy.statements[0]!.conditions, [
      { operator: 'StringLike', qualifier: 'ForAnyValue', ifExists: true, key: 'aws:TagKeys', values: ['a*', '1', 'true'] },
      { operator: 'Null', ifExists: false, key: 'aws:SourceIp', values: ['false'] },
    ]);
  });

  test('cachedPolicy parses a document object or text once', () => {
    const document = { Statement: allow() };
    assert.equal(cachedPolicy(document, 'identity'), cachedPolicy(document, 'identity'));
    const text = JSON.stringify({ Statement: allow({ Principal: '*' }) });
    assert.equal(cachedPolicy(text, 'resource'), cachedPolicy(text, 'resource'));
  });
});

describe('evaluate: actions and resources', () => {
  test('nothing is allowed without an Allow (implicit deny)', () => {
    assert.deepEqual(evaluate(request(), []), denied('no-identity-allow'));
  });

  test('action wildcards match case-insensitively; resource wildcards case-sensitively', () => {
    assert.deepEqual(evaluate(request(), [identity(allow({ Action: 'KINESIS:put*' }))]), ALLOWED);
    assert.deepEqual(evaluate(request(), [identity(allow({ Action: 'kinesis:Put?ecord' }))]), ALLOWED);
    assert.deepEqual(evaluate(request(), [identity(allow({ Action: 'kinesis:Get*' }))]), denied('no-identity-allow'));
    assert.deepEqual(evaluate(request(), [identity(allow({ Resource: `arn:aws:kinesis:*:${A}:stream/ord*` }))]), ALLOWED);
    assert.deepEqual(
      evaluate(request(), [identity(allow({ Resource: `arn:aws:kinesis:*:${A}:stream/ORD*` }))]),
      denied('no-identity-allow'),
    );
    assert.deepEqual(evaluate(request(), [identity(allow({ Resource: `arn:aws:kinesis:us-east-1:${A}:stream/order?` }))]), ALLOWED);
  });

  test('NotAction and NotResource allow everything but what they name', () => {
    assert.deepEqual(evaluate(request(), [identity(allow({ Action: undefined, NotAction: 'kinesis:Delete*' }))]), ALLOWED);
    assert.deepEqual(evaluate(request(), [identity(allow({ Action: undefined, NotAction: 'kinesis:Put*' }))]), denied('no-identity-allow'));
    assert.deepEqual(evaluate(request(), [identity(allow({ Resource: undefined, NotResource: `${STREAM}-secret` }))]), ALLOWED);
    assert.deepEqual(evaluate(request(), [identity(allow({ Resource: undefined, NotResource: STREAM }))]), denied('no-identity-allow'));
  });

  test('an action on no resource (`*`) is allowed only by Resource "*"', () => {
    const list = request({ action: 'kinesis:ListStreams', resource: '*' });
    assert.deepEqual(evaluate(list, [identity(allow())]), ALLOWED);
    assert.deepEqual(evaluate(list, [identity(allow({ Resource: `arn:aws:kinesis:*:${A}:*` }))]), denied('no-identity-allow'));
  });

  test('an explicit deny wins over any allow, in identity or resource policies', () => {
    assert.deepEqual(evaluate(request(), [identity(allow(), deny({ Action: 'kinesis:PutRecord' }))]), denied('explicit-deny-identity'));
    assert.deepEqual(evaluate(request(), [identity(allow())], resourcePolicy(deny({ Principal: '*' }))), denied('explicit-deny-resource'));
    // A deny naming the account applies to each of its principals.
    assert.deepEqual(
      evaluate(request(), [identity(allow())], resourcePolicy(deny({ Principal: { AWS: A } }))),
      denied('explicit-deny-resource'),
    );
    // The account root is denied too.
    assert.deepEqual(
      evaluate(
        request({ principalArn: `arn:aws:iam::${A}:root` }),
        [],
        resourcePolicy(deny({ Principal: { AWS: `arn:aws:iam::${A}:root` } })),
      ),
      denied('explicit-deny-resource'),
    );
  });

  test('policy variables in Resource (2012-10-17 only), substituted literally', () => {
    const own = allow({ Resource: 'arn:aws:kinesis:*:*:stream/${aws:username}-*' });
    assert.deepEqual(evaluate(request({ resource: `arn:aws:kinesis:us-east-1:${A}:stream/alice-logs` }), [identity(own)]), ALLOWED);
    assert.deepEqual(
      evaluate(request({ resource: `arn:aws:kinesis:us-east-1:${A}:stream/bob-logs` }), [identity(own)]),
      denied('no-identity-allow'),
    );
    const legacy = parsePolicy({ Version: '2008-10-17', Statement: own });
    assert.deepEqual(
      evaluate(request({ resource: `arn:aws:kinesis:us-east-1:${A}:stream/alice-logs` }), [legacy]),
      denied('no-identity-allow'),
    );
    // A user named `*` gets no wildcard: the value is literal.
    const star = request({ resource: `arn:aws:kinesis:us-east-1:${A}:stream/alice-logs`, facts: { 'aws:username': '*' } });
    assert.deepEqual(evaluate(star, [identity(own)]), denied('no-identity-allow'));
    // A missing variable matches nothing, unless it has a default.
    const anonymous = request({ resource: `arn:aws:kinesis:us-east-1:${A}:stream/anon-logs`, context: conditionContext({}) });
    assert.deepEqual(evaluate(anonymous, [identity(own)]), denied('no-identity-allow'));
    const withDefault = allow({ Resource: "arn:aws:kinesis:*:*:stream/${aws:username, 'anon'}-*" });
    assert.deepEqual(evaluate(anonymous, [identity(withDefault)]), ALLOWED);
  });
});

describe('evaluate: principals and accounts', () => {
  const crossAccount = request({ principalArn: `arn:aws:iam::${B}:user/bob`, principalAccount: B, facts: { 'aws:username': 'bob' } });

  test('within an account, a resource policy naming the principal suffices without an identity policy', () => {
    assert.deepEqual(evaluate(request(), [], resourcePolicy(allow({ Principal: { AWS: ALICE } }))), ALLOWED);
    assert.deepEqual(evaluate(request(), [], resourcePolicy(allow({ Principal: '*' }))), ALLOWED);
    assert.deepEqual(
      evaluate(request(), [], resourcePolicy(allow({ Principal: { AWS: [`arn:aws:iam::${A}:user/bob`] } }))),
      denied('no-identity-allow'),
    );
  });

  test('a resource policy naming only the account delegates to its identity policies', () => {
    const toAccount = resourcePolicy(allow({ Principal: { AWS: `arn:aws:iam::${A}:root` } }));
    assert.deepEqual(evaluate(request(), [], toAccount), denied('no-identity-allow'));
    assert.deepEqual(evaluate(request(), [identity(allow())], toAccount), ALLOWED);
  });

  test('the account root needs no identity policy in its own account', () => {
    assert.deepEqual(evaluate(request({ principalArn: `arn:aws:iam::${A}:root` }), []), ALLOWED);
  });

  test('across accounts both the identity policy and the resource policy must allow', () => {
    const toB = resourcePolicy(allow({ Principal: { AWS: B } }));
    assert.deepEqual(evaluate(crossAccount, [identity(allow())]), denied('no-resource-allow'));
    assert.deepEqual(evaluate(crossAccount, [], toB), denied('no-identity-allow'));
    assert.deepEqual(evaluate(crossAccount, [identity(allow())], toB), ALLOWED);
    assert.deepEqual(
      evaluate(crossAccount, [identity(allow())], resourcePolicy(allow({ Principal: { AWS: `arn:aws:iam::${B}:user/bob` } }))),
      ALLOWED,
    );
    assert.deepEqual(
      evaluate(crossAccount, [identity(allow())], resourcePolicy(allow({ Principal: { AWS: `arn:aws:iam::${B}:user/eve` } }))),
      denied('no-resource-allow'),
    );
    // B's root still needs A's resource policy.
    const root = request({ principalArn: `arn:aws:iam::${B}:root`, principalAccount: B });
    assert.deepEqual(evaluate(root, []), denied('no-resource-allow'));
    assert.deepEqual(evaluate(root, [], toB), ALLOWED);
  });

  test('a role ARN in Principal names the sessions of the role', () => {
    const session = request({ principalArn: `arn:aws:sts::${B}:assumed-role/reader/s1`, principalAccount: B });
    const toRole = resourcePolicy(allow({ Principal: { AWS: `arn:aws:iam::${B}:role/team/reader` } }));
    assert.deepEqual(evaluate(session, [identity(allow())], toRole), ALLOWED);
    const otherRole = resourcePolicy(allow({ Principal: { AWS: `arn:aws:iam::${B}:role/writer` } }));
    assert.deepEqual(evaluate(session, [identity(allow())], otherRole), denied('no-resource-allow'));
  });

  test('NotPrincipal applies to everyone it does not name', () => {
    const allButBob = resourcePolicy(deny({ NotPrincipal: { AWS: `arn:aws:iam::${B}:user/bob` } }), allow({ Principal: '*' }));
    assert.deepEqual(evaluate(request(), [], allButBob), denied('explicit-deny-resource'));
    assert.deepEqual(evaluate(crossAccount, [identity(allow())], allButBob), ALLOWED);
  });

  test('service principals never match a caller', () => {
    const toService = resourcePolicy(allow({ Principal: { Service: 'firehose.amazonaws.com' } }));
    assert.deepEqual(evaluate(crossAccount, [identity(allow())], toService), denied('no-resource-allow'));
  });
});

describe('evaluate: conditions', () => {
  const holds = (condition: object, facts: Record<string, string | string[]> = {}) =>
    evaluate(request({ context: conditionContext(facts) }), [identity(allow({ Condition: condition }))]).allowed;

  test('String operators', () => {
    assert.equal(holds({ StringEquals: { 'aws:username': 'alice' } }, { 'aws:username': 'alice' }), true);
    assert.equal(holds({ StringEquals: { 'aws:username': 'alice' } }, { 'aws:username': 'Alice' }), false);
    assert.equal(
      holds({ StringEquals: { 'AWS:UserName': ['bob', 'alice'] } }, { 'aws:username': 'alice' }),
      true,
      'keys ignore case; values are OR',
    );
    assert.equal(holds({ StringNotEquals: { 'aws:username': ['bob', 'eve'] } }, { 'aws:username': 'alice' }), true);
    assert.equal(holds({ StringNotEquals: { 'aws:username': ['bob', 'alice'] } }, { 'aws:username': 'alice' }), false);
    assert.equal(holds({ StringEqualsIgnoreCase: { 'aws:username': 'ALICE' } }, { 'aws:username': 'alice' }), true);
    assert.equal(holds({ StringNotEqualsIgnoreCase: { 'aws:username': 'ALICE' } }, { 'aws:username': 'alice' }), false);
    assert.equal(holds({ StringLike: { 'aws:username': 'al*' } }, { 'aws:username': 'alice' }), true);
    assert.equal(holds({ StringLike: { 'aws:username': 'Al*' } }, { 'aws:username': 'alice' }), false);
    assert.equal(holds({ StringNotLike: { 'aws:username': 'b?b' } }, { 'aws:username': 'alice' }), true);
    assert.equal(
      holds(
        { StringEquals: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/${aws:username}' } },
        {
          'aws:username': 'alice',
          'aws:PrincipalArn': 'arn:aws:iam::*:user/alice',
        },
      ),
      true,
      'variables in condition values',
    );
  });

  test('a missing key: positive operators fail, negated ones and IfExists hold, Null says so', () => {
    assert.equal(holds({ StringEquals: { 'aws:username': 'alice' } }), false);
    assert.equal(holds({ StringNotEquals: { 'aws:username': 'alice' } }), true);
    assert.equal(holds({ StringEqualsIfExists: { 'aws:username': 'bob' } }), true);
    assert.equal(holds({ StringEqualsIfExists: { 'aws:username': 'bob' } }, { 'aws:username': 'alice' }), false);
    assert.equal(holds({ Null: { 'aws:username': 'true' } }), true);
    assert.equal(holds({ Null: { 'aws:username': 'false' } }), false);
    assert.equal(holds({ Null: { 'aws:username': 'false' } }, { 'aws:username': 'alice' }), true);
  });

  test('several keys and operators must all hold', () => {
    const both = { StringEquals: { 'aws:username': 'alice', 'aws:RequestedRegion': 'us-east-1' }, Bool: { 'aws:SecureTransport': 'true' } };
    assert.equal(holds(both, { 'aws:username': 'alice', 'aws:RequestedRegion': 'us-east-1', 'aws:SecureTransport': 'true' }), true);
    assert.equal(holds(both, { 'aws:username': 'alice', 'aws:RequestedRegion': 'us-east-1', 'aws:SecureTransport': 'false' }), false);
    assert.equal(holds(both, { 'aws:username': 'alice', 'aws:RequestedRegion': 'eu-west-1', 'aws:SecureTransport': 'true' }), false);
  });

  test('Bool, Numeric and Date operators', () => {
    assert.equal(holds({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'true' }), true);
    assert.equal(holds({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'true' }), false);
    const n = (op: string, value: string | number, have: string) => holds({ [op]: { 'kinesis:n': value } }, { 'kinesis:n': have });
    assert.equal(n('NumericEquals', 10, '10.0'), true);
    assert.equal(n('NumericNotEquals', 10, '11'), true);
    assert.equal(n('NumericLessThan', 10, '9'), true);
    assert.equal(n('NumericLessThan', 10, '10'), false);
    assert.equal(n('NumericLessThanEquals', 10, '10'), true);
    assert.equal(n('NumericGreaterThan', 10, '11'), true);
    assert.equal(n('NumericGreaterThanEquals', 10, '9'), false);
    assert.equal(n('NumericEquals', 10, 'ten'), false);
    const t = (op: string, value: string, have: string) => holds({ [op]: { 'aws:CurrentTime': value } }, { 'aws:CurrentTime': have });
    assert.equal(t('DateLessThan', '2030-01-01T00:00:00Z', '2025-06-01T12:00:00Z'), true);
    assert.equal(t('DateLessThan', '2020-01-01T00:00:00Z', '2025-06-01T12:00:00Z'), false);
    assert.equal(t('DateGreaterThan', '2020-01-01', '2025-06-01T12:00:00Z'), true);
    assert.equal(t('DateGreaterThanEquals', '2025-06-01T12:00:00Z', '2025-06-01T12:00:00Z'), true);
    assert.equal(t('DateLessThanEquals', '2025-06-01T11:59:59Z', '2025-06-01T12:00:00Z'), false);
    assert.equal(t('DateEquals', '1748779200', '2025-06-01T12:00:00Z'), true, 'epoch seconds and ISO 8601 compare');
    assert.equal(t('DateNotEquals', '1748779200', '2025-06-01T12:00:00Z'), false);
  });

  test('IpAddress and NotIpAddress, IPv4 and IPv6, IPv4-mapped addresses as sockets report them', () => {
    const ip = (op: string, cidr: string | string[], have: string) => holds({ [op]: { 'aws:SourceIp': cidr } }, { 'aws:SourceIp': have });
    assert.equal(ip('IpAddress', '10.0.0.0/8', '10.1.2.3'), true);
    assert.equal(ip('IpAddress', '10.0.0.0/8', '11.1.2.3'), false);
    assert.equal(ip('IpAddress', '10.1.2.3', '10.1.2.3'), true);
    assert.equal(ip('IpAddress', ['192.168.0.0/16', '127.0.0.0/8'], '::ffff:127.0.0.1'), true);
    assert.equal(ip('IpAddress', '2001:db8::/32', '2001:db8:1::5'), true);
    assert.equal(ip('IpAddress', '2001:db8::/32', '2001:db9::5'), false);
    assert.equal(ip('NotIpAddress', '10.0.0.0/8', '127.0.0.1'), true);
    assert.equal(ip('NotIpAddress', '10.0.0.0/8', '10.0.0.1'), false);
    assert.equal(ip('IpAddress', 'not-a-cidr', '10.0.0.1'), false);
    assert.equal(ip('IpAddress', '10.0.0.0/33', '10.0.0.1'), false);
  });

  test('Arn operators match each of the six parts on its own', () => {
    const arn = (op: string, pattern: string, have: string) =>
      holds({ [op]: { 'aws:PrincipalArn': pattern } }, { 'aws:PrincipalArn': have });
    assert.equal(arn('ArnLike', 'arn:aws:iam::*:user/*', ALICE), true);
    assert.equal(arn('ArnEquals', 'arn:aws:iam::*:user/*', ALICE), true);
    assert.equal(arn('ArnLike', 'arn:aws:iam::*:role/*', ALICE), false);
    assert.equal(arn('ArnLike', 'arn:*', ALICE), false, 'a wildcard does not cross a colon');
    assert.equal(arn('ArnNotLike', 'arn:aws:iam::*:role/*', ALICE), true);
    assert.equal(arn('ArnNotEquals', ALICE, ALICE), false);
  });

  test('ForAnyValue and ForAllValues over multi-valued keys', () => {
    const keys = { 'aws:TagKeys': ['env', 'team'] };
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }, keys), true);
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['cost'] } }, keys), false);
    assert.equal(holds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team', 'cost'] } }, keys), true);
    assert.equal(holds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }, keys), false);
    assert.equal(holds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }), true, 'ForAllValues holds for a missing key');
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }), false, 'ForAnyValue fails for a missing key');
  });
});

describe('the authorize step', () => {
  test('AccessDeniedException in IAM’s wording', () => {
    const err = accessDenied(ALICE, 'kinesis:PutRecord', STREAM, 'no-identity-allow');
    assert.equal(err.code, 'AccessDeniedException');
    assert.equal(err.status, 400);
    assert.equal(
      err.message,
      `User: ${ALICE} is not authorized to perform: kinesis:PutRecord on resource: ${STREAM} because no identity-based policy allows the kinesis:PutRecord action`,
    );
    assert.match(
      accessDenied(ALICE, 'kinesis:PutRecord', STREAM, 'explicit-deny-identity').message,
      / with an explicit deny in an identity-based policy$/,
    );
    assert.match(
      accessDenied(ALICE, 'kinesis:PutRecord', STREAM, 'explicit-deny-resource').message,
      / with an explicit deny in a resource-based policy$/,
    );
    assert.match(
      accessDenied(ALICE, 'kinesis:PutRecord', STREAM, 'no-resource-allow').message,
      / because no resource-based policy allows the kinesis:PutRecord action$/,
    );
  });

  test('the global condition keys of a request', () => {
    const facts = requestFacts(
      {
        account: A,
        region: 'eu-west-1',
        sourceIp: '::ffff:127.0.0.1',
        secureTransport: false,
        principal: { accessKeyId: 'AKIDALICE', arn: `arn:aws:iam::${A}:user/team/alice`, account: A, verified: true },
      },
      Date.UTC(2025, 5, 1, 12, 0, 0),
    );
    assert.deepEqual(Object.fromEntries(facts), {
      'aws:sourceip': '::ffff:127.0.0.1',
      'aws:securetransport': 'false',
      'aws:principalaccount': A,
      'aws:principalarn': `arn:aws:iam::${A}:user/team/alice`,
      'aws:principaltype': 'User',
      'aws:requestedregion': 'eu-west-1',
      'aws:currenttime': '2025-06-01T12:00:00Z',
      'aws:epochtime': '1748779200',
      'aws:username': 'alice',
      'aws:userid': 'AKIDALICE',
    });
  });
});
