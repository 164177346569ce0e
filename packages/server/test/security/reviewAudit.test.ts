/**
 * Review of the audit log (issue 16): a refused call's errorMessage is AWS's, and AWS's messages
 * quote refused values: a partition key too long, an explicit hash key out of range, an expired
 * NextToken. The log keeps partition keys, hash keys and tokens out of requestParameters; it must
 * keep them out of errorMessage too, where they arrived before this fix.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateStreamCommand, ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { rejects } from '../helpers/api.js';
import { startNode } from '../helpers/fixture.js';

describe('review: the audit log quotes no concealed value in error messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-review-audit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the error code and message of a refused call with its partition key, hash key and token left out', async () => {
    const file = join(dir, 'audit.log');
    const node = await startNode({ clock: 'manual', auditLog: { file } });
    const longKey = `pk-concealed-${'x'.repeat(250)}`;
    const hashKey = '9'.repeat(39); // a valid number, above 2^128 - 1
    let token = '';
    try {
      for (const name of ['audited-a', 'audited-b']) {
        await node.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
        await node.waitForStream(name);
      }
      await rejects(node.kinesis.send(new PutRecordCommand({ StreamName: 'audited-a', PartitionKey: longKey, Data: Buffer.from('d') })), {
        name: 'ValidationException',
      });
      await rejects(
        node.kinesis.send(
          new PutRecordCommand({ StreamName: 'audited-a', PartitionKey: 'k', ExplicitHashKey: hashKey, Data: Buffer.from('d') }),
        ),
        { name: 'InvalidArgumentException', message: new RegExp(hashKey) },
      );
      token = (await node.kinesis.send(new ListStreamsCommand({ Limit: 1 }))).NextToken!;
      await node.clock.advance(301_000);
      await rejects(node.kinesis.send(new ListStreamsCommand({ NextToken: token })), { name: 'ExpiredNextTokenException' });
    } finally {
      await node.dispose();
    }
    const text = readFileSync(file, 'utf8');
    const refused = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { errorCode?: string; errorMessage?: string })
      .filter((line) => line.errorCode !== undefined);
    assert.deepEqual(
      refused.map((line) => line.errorCode),
      ['ValidationException', 'InvalidArgumentException', 'ExpiredNextTokenException'],
    );
    for (const line of refused) assert.match(line.errorMessage!, /\*\*\*/, 'the message says where a value was left out');
    assert.match(refused[0]!.errorMessage!, /at 'partitionKey' failed to satisfy constraint/);
    for (const concealed of ['pk-concealed', hashKey, token]) assert.ok(!text.includes(concealed), `the log does not hold ${concealed}`);
  });
});
