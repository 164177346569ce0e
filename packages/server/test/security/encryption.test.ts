/**
 * Encryption at rest through the API, with real clients: after StartStreamEncryption, records put
 * with PutRecord, PutRecords (JSON, and CBOR as the Java SDK sends it) are nowhere under the data
 * directory in the clear, as hex or as base64; GetRecords returns them, after a restart too; key
 * rotation keeps old records readable; a disabled key gives KMSDisabledException on writes and
 * reads and loses nothing; the KMS errors of StartStreamEncryption; StopStreamEncryption stores
 * new records as before.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  DescribeStreamSummaryCommand,
  PutRecordCommand,
  PutRecordsCommand,
  StartStreamEncryptionCommand,
  StopStreamEncryptionCommand,
} from '@aws-sdk/client-kinesis';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCOUNT, createActiveStream, readShard, rejects, text } from '../helpers/api.js';
import { encodeCbor } from '../helpers/cbor.js';
import { TEST_CREDENTIALS, uniqueName } from '../helpers/clients.js';
import { startNode, type TestNode } from '../helpers/fixture.js';
import { countFiles, filesHolding, newKey, writeKeyring, type TestKey } from '../storage/encryptionHelpers.js';
import { tempDir } from '../storage/helpers.js';

const SHARD = 'shardId-000000000000';

function secret(label: string): Buffer {
  return Buffer.from(`${label}:${randomBytes(24).toString('hex')}:confidential`);
}

/** A PutRecords in CBOR, as the Java SDK sends it (blobs as byte strings), signed by AWS's signer. */
async function putRecordsCbor(node: TestNode, stream: string, data: Buffer): Promise<void> {
  const body = encodeCbor({ StreamName: stream, Records: [{ PartitionKey: 'cbor', Data: data }] });
  const url = new URL(node.url);
  const signer = new SignatureV4({ credentials: TEST_CREDENTIALS, region: 'us-east-1', service: 'kinesis', sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-amz-cbor-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords' },
    body,
  });
  const res = await fetch(node.url, { method: 'POST', headers: signed.headers, body: new Uint8Array(body) });
  assert.equal(res.status, 200, Buffer.from(await res.arrayBuffer()).toString('latin1'));
}

/** node:crypto's SHA-256 behind the Checksum interface the signer takes. */
class Sha256 {
  private readonly hash = createHash('sha256');
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

async function dataOf(node: TestNode, stream: string): Promise<string[]> {
  return (await readShard(node.kinesis, stream, SHARD)).map((r) => text(r.Data));
}

/** A node with a keyring (outside its data directory) holding `alias/orders`. */
async function nodeWithKeyring(): Promise<{ node: TestNode; keyringFile: string; key: TestKey; root: string }> {
  const root = tempDir('freshet-kms-');
  const keyringFile = path.join(root, 'keyring.json');
  const key = newKey('alias/orders');
  writeKeyring(keyringFile, [key]);
  const node = await startNode({ kmsKeyring: keyringFile });
  return { node, keyringFile, key, root };
}

describe('encryption at rest', () => {
  it('stores no plaintext after StartStreamEncryption (alias/aws/kinesis), reads it back, after a restart too', async () => {
    let node = await startNode({ clock: 'manual', engine: { updateStreamMs: 1000 } });
    const stream = uniqueName('enc');
    await createActiveStream(node.kinesis, { StreamName: stream, ShardCount: 1 });
    await node.kinesis.send(new StartStreamEncryptionCommand({ StreamName: stream, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    const describe = () => node.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    let summary = (await describe()).StreamDescriptionSummary!;
    assert.equal(summary.StreamStatus, 'UPDATING');
    assert.equal(summary.EncryptionType, 'KMS');
    assert.equal(summary.KeyId, 'alias/aws/kinesis');
    await node.clock.advance(1000);
    await node.waitForStream(stream);

    const secrets = [secret('put-record'), secret('put-records'), secret('put-records-cbor')];
    const put = await node.kinesis.send(
      new PutRecordCommand({ StreamName: stream, PartitionKey: 'secret-partition-key', Data: secrets[0] }),
    );
    assert.equal(put.EncryptionType, 'KMS');
    const many = await node.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: [{ PartitionKey: 'p', Data: secrets[1] }] }));
    assert.equal(many.EncryptionType, 'KMS');
    await putRecordsCbor(node, stream, secrets[2]!);
    const expected = secrets.map((s) => s.toString());
    assert.deepEqual(await dataOf(node, stream), expected);

    await node.close();
    assert.ok(countFiles(node.dataDir) >= 4, 'segments, metadata and the rest were searched');
    for (const plain of [...secrets, Buffer.from('secret-partition-key')]) {
      assert.deepEqual(filesHolding(node.dataDir, plain), [], `no trace of ${plain.toString()}`);
    }
    assert.ok(fs.existsSync(`${node.dataDir}.keys/aws-kinesis.json`), 'the AWS-managed key is kept beside the data directory');

    node = await node.restart();
    assert.deepEqual(await dataOf(node, stream), expected);
    summary = (await describe()).StreamDescriptionSummary!;
    assert.equal(summary.KeyId, 'alias/aws/kinesis');

    // StopStreamEncryption: new records are stored as before; the old ones still read.
    await node.kinesis.send(new StopStreamEncryptionCommand({ StreamName: stream, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
    await node.clock.advance(1000);
    await node.waitForStream(stream);
    assert.equal((await describe()).StreamDescriptionSummary!.EncryptionType, 'NONE');
    const clear = secret('after-stop');
    const after = await node.kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'p', Data: clear }));
    assert.equal(after.EncryptionType, undefined);
    assert.deepEqual(await dataOf(node, stream), [...expected, clear.toString()]);
    await node.close();
    assert.notDeepEqual(filesHolding(node.dataDir, clear), [], 'records after StopStreamEncryption are stored in the clear');
    assert.deepEqual(filesHolding(node.dataDir, secrets[0]!), []);
    await node.dispose();
  });

  it("StartStreamEncryption checks the key as AWS does: KMS's errors for a missing, disabled or deleted key", async () => {
    const { node, keyringFile, key, root } = await nodeWithKeyring();
    const disabled = { ...newKey('alias/disabled'), state: 'Disabled' as const };
    const deleting = { ...newKey('alias/deleting'), state: 'PendingDeletion' as const };
    writeKeyring(keyringFile, [key, disabled, deleting]);
    assert.ok(node.reloadKeys());
    const stream = uniqueName('enc');
    await createActiveStream(node.kinesis, { StreamName: stream, ShardCount: 1 });
    const start = (KeyId: string) =>
      node.kinesis.send(new StartStreamEncryptionCommand({ StreamName: stream, EncryptionType: 'KMS', KeyId }));
    await rejects(start('alias/nope'), {
      name: 'KMSNotFoundException',
      message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/nope is not found.`,
    });
    await rejects(start('00000000-0000-4000-8000-000000000000'), { name: 'KMSNotFoundException', message: /does not exist/ });
    await rejects(start('not-a-key'), { name: 'KMSNotFoundException', message: 'Invalid keyId not-a-key' });
    await rejects(start(disabled.keyId), {
      name: 'KMSDisabledException',
      message: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${disabled.keyId} is disabled.`,
    });
    await rejects(start('alias/deleting'), { name: 'KMSInvalidStateException', message: /is pending deletion\.$/ });
    assert.equal(
      (await node.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!.EncryptionType,
      'NONE',
    );
    // Every form of KeyId AWS accepts names the key.
    for (const KeyId of [
      key.keyId,
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/${key.keyId}`,
      'alias/orders',
      `arn:aws:kms:us-east-1:${ACCOUNT}:alias/orders`,
    ]) {
      await start(KeyId);
      await node.waitForStream(stream);
    }
    await rejects(start(`arn:aws:kms:us-east-1:111122223333:key/${key.keyId}`), { name: 'KMSNotFoundException' });
    await node.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a disabled key: writes and reads get KMSDisabledException, nothing is lost, all works again once enabled; rotation', async () => {
    const { node: first, keyringFile, key, root } = await nodeWithKeyring();
    let node = first;
    const stream = uniqueName('enc');
    await createActiveStream(node.kinesis, { StreamName: stream, ShardCount: 1 });
    await node.kinesis.send(new StartStreamEncryptionCommand({ StreamName: stream, EncryptionType: 'KMS', KeyId: 'alias/orders' }));
    await node.waitForStream(stream);
    await node.kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'p', Data: Buffer.from('one') }));

    writeKeyring(keyringFile, [{ ...key, state: 'Disabled' }]);
    assert.ok(node.reloadKeys());
    const disabledMessage = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${key.keyId} is disabled.`;
    await rejects(node.kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'p', Data: Buffer.from('lost?') })), {
      name: 'KMSDisabledException',
      message: disabledMessage,
    });
    await rejects(
      node.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: [{ PartitionKey: 'p', Data: Buffer.from('lost?') }] })),
      {
        name: 'KMSDisabledException',
      },
    );
    await rejects(readShard(node.kinesis, stream, SHARD), { name: 'KMSDisabledException', message: disabledMessage });

    // Rotation while enabling again: new records under version 2, old ones still read with version 1.
    key.versions.push(randomBytes(32).toString('base64'));
    writeKeyring(keyringFile, [key]);
    assert.ok(node.reloadKeys());
    await node.kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'p', Data: Buffer.from('two') }));
    assert.deepEqual(await dataOf(node, stream), ['one', 'two']);
    node = await node.restart();
    assert.deepEqual(await dataOf(node, stream), ['one', 'two']);

    fs.writeFileSync(keyringFile, '{ not json');
    assert.equal(node.reloadKeys(), false, 'a broken keyring is refused and the keys stay');
    assert.deepEqual(await dataOf(node, stream), ['one', 'two']);
    await node.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });
});
