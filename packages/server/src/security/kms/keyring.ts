/**
 * The local KMS: master keys from a keyring file (keyringFile.ts) and the AWS-managed key
 * `alias/aws/kinesis` (managedKey.ts), serving the storage's envelope encryption as AWS KMS does
 * (GenerateDataKey, Decrypt) and resolving the key references Kinesis accepts (key id, key ARN,
 * alias name, alias ARN). Master keys never leave this module: the storage gets data keys, and
 * stores them only wrapped.
 *
 * A wrapped data key (79 bytes) names its master key and version, so old data stays readable
 * after a rotation without being rewritten:
 *
 *   0   u8   format 1
 *   1   16   master key id (the UUID's bytes)
 *   17  u16  master key version (1 = the first material listed), big endian
 *   19  12   AES-256-GCM nonce
 *   31  16   GCM tag
 *   47  32   the data key, encrypted; bytes [0, 19) are the AAD
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseArn } from '../../core/arn.js';
import { KeyUnavailableError, type DataKeySource } from '../../storage/types.js';
import { isAliasName, isKeyId, KEY_BYTES, readKeyringFile, type MasterKey } from './keyringFile.js';
import { ManagedKeyFile } from './managedKey.js';

/** The alias of the key AWS manages for Kinesis (`aws/kinesis` in the console). */
export const AWS_MANAGED_ALIAS = 'alias/aws/kinesis';

const FORMAT = 1;
const AT_KEY_ID = 1;
const AT_VERSION = 17;
const AT_NONCE = 19;
const AT_TAG = 31;
const AT_CIPHERTEXT = 47;
const WRAPPED_BYTES = AT_CIPHERTEXT + KEY_BYTES;

export interface KeyringOptions {
  /** The keyring file (`--kms-keyring`); without one, only `alias/aws/kinesis` exists. */
  file?: string;
  /** The data directory, which must hold neither the keyring nor any key. */
  dataDir: string;
  /** Where the AWS-managed key is kept when the keyring does not name `alias/aws/kinesis`. */
  managedKeyDir: string;
  /** The account keys belong to unless they say otherwise (the node's account). */
  account: string;
  /** The region named in key ARNs of keys that do not say (default us-east-1). */
  region?: string;
}

/** A key reference resolved: the key, and how it was named (for messages). */
interface Resolved {
  key: MasterKey;
  arn: string;
}

/**
 * Where an AES-GCM wrap or unwrap runs. Node's crypto is synchronous for 32 bytes, so every call
 * here is synchronous: the storage chooses a data key inside an append, before anything is queued.
 */
export class LocalKeyring implements DataKeySource {
  private keys: MasterKey[] = [];
  private readonly managed: ManagedKeyFile;
  generation = 0;

  constructor(private readonly options: KeyringOptions) {
    this.managed = new ManagedKeyFile(options.managedKeyDir, options.dataDir);
    this.reload();
  }

  /**
   * Reads the keyring file again (SIGHUP): keys added, disabled, enabled or rotated take effect for
   * the next append and read. A file that cannot be used throws and leaves the keys as they were.
   */
  reload(): void {
    const file = this.options.file;
    this.keys = file === undefined ? [] : readKeyringFile(file, this.options.dataDir);
    this.generation++;
  }

  /** StartStreamEncryption's check: the key exists and may be used. Throws KeyUnavailableError. */
  checkKey(keyRef: string): void {
    usable(this.resolve(keyRef));
  }

  generateDataKey(keyRef: string): { plaintext: Buffer; wrapped: Buffer } {
    const { key } = usable(this.resolve(keyRef));
    const version = key.versions.length;
    const plaintext = randomBytes(KEY_BYTES);
    const wrapped = Buffer.alloc(WRAPPED_BYTES);
    wrapped[0] = FORMAT;
    Buffer.from(key.keyId.replaceAll('-', ''), 'hex').copy(wrapped, AT_KEY_ID);
    wrapped.writeUInt16BE(version, AT_VERSION);
    const nonce = randomBytes(AT_TAG - AT_NONCE);
    nonce.copy(wrapped, AT_NONCE);
    const cipher = createCipheriv('aes-256-gcm', key.versions[version - 1]!, nonce);
    cipher.setAAD(wrapped.subarray(0, AT_NONCE));
    Buffer.concat([cipher.update(plaintext), cipher.final()]).copy(wrapped, AT_CIPHERTEXT);
    cipher.getAuthTag().copy(wrapped, AT_TAG);
    return { plaintext, wrapped };
  }

  unwrapDataKey(wrapped: Buffer): Buffer {
    if (wrapped.length !== WRAPPED_BYTES || wrapped[0] !== FORMAT) throw accessDenied();
    const hex = wrapped.toString('hex', AT_KEY_ID, AT_VERSION);
    const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const { key } = usable(this.byKeyId(keyId) ?? notFound(`Key '${this.keyArn(keyId)}' does not exist`));
    const material = key.versions[wrapped.readUInt16BE(AT_VERSION) - 1];
    if (!material) throw accessDenied(); // a version removed from the keyring
    const decipher = createDecipheriv('aes-256-gcm', material, wrapped.subarray(AT_NONCE, AT_TAG));
    decipher.setAAD(wrapped.subarray(0, AT_NONCE));
    decipher.setAuthTag(wrapped.subarray(AT_TAG, AT_CIPHERTEXT));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(AT_CIPHERTEXT)), decipher.final()]);
    } catch {
      throw accessDenied(); // the material of this version was changed in the keyring
    }
  }

  /** The key a reference names, as Kinesis' KeyId accepts it, or KMSNotFoundException's error. */
  private resolve(keyRef: string): Resolved {
    if (keyRef === AWS_MANAGED_ALIAS) return this.managedKey();
    if (isAliasName(keyRef)) return this.byAlias(keyRef) ?? notFound(`Alias ${this.aliasArn(keyRef)} is not found.`);
    if (isKeyId(keyRef)) return this.byKeyId(keyRef) ?? notFound(`Key '${this.keyArn(keyRef)}' does not exist`);
    const arn = parseArn(keyRef);
    if (!arn || arn.service !== 'kms') return notFound(`Invalid keyId ${keyRef}`);
    let found: Resolved | undefined;
    if (arn.resource.startsWith('key/') && isKeyId(arn.resource.slice(4))) found = this.byKeyId(arn.resource.slice(4));
    else if (arn.resource === AWS_MANAGED_ALIAS) found = this.managedKey();
    else if (isAliasName(arn.resource)) found = this.byAlias(arn.resource);
    else return notFound(`Invalid keyId ${keyRef}`);
    // A key lives in one account (and region, when it says): an ARN elsewhere names another key.
    const owner = found && (found.key.account ?? this.options.account);
    const region = found?.key.region;
    if (!found || arn.account !== owner || (region !== undefined && arn.region !== region)) {
      return notFound(arn.resource.startsWith('key/') ? `Key '${keyRef}' does not exist` : `Alias ${keyRef} is not found.`);
    }
    return found;
  }

  private byKeyId(keyId: string): Resolved | undefined {
    const key = this.keys.find((k) => k.keyId === keyId) ?? this.managed.withId(keyId);
    return key && { key, arn: this.keyArn(key.keyId, key) };
  }

  private byAlias(alias: string): Resolved | undefined {
    const key = this.keys.find((k) => k.aliases.includes(alias));
    return key && { key, arn: this.keyArn(key.keyId, key) };
  }

  /** `alias/aws/kinesis`: the keyring's key of that alias, else the managed key file (made on first use). */
  private managedKey(): Resolved {
    const key = this.keys.find((k) => k.aliases.includes(AWS_MANAGED_ALIAS)) ?? this.managed.getOrCreate();
    return { key, arn: this.keyArn(key.keyId, key) };
  }

  private keyArn(keyId: string, key?: MasterKey): string {
    return `arn:aws:kms:${key?.region ?? this.options.region ?? 'us-east-1'}:${key?.account ?? this.options.account}:key/${keyId}`;
  }

  private aliasArn(alias: string): string {
    return `arn:aws:kms:${this.options.region ?? 'us-east-1'}:${this.options.account}:${alias}`;
  }
}

/** The key, if its state lets it encrypt and decrypt; AWS KMS's error for its state otherwise. */
function usable(resolved: Resolved): Resolved {
  switch (resolved.key.state) {
    case 'Enabled':
      return resolved;
    case 'Disabled':
      throw new KeyUnavailableError('Disabled', `${resolved.arn} is disabled.`);
    case 'PendingDeletion':
      throw new KeyUnavailableError('InvalidState', `${resolved.arn} is pending deletion.`);
  }
}

function notFound(message: string): never {
  throw new KeyUnavailableError('NotFound', message);
}

function accessDenied(): KeyUnavailableError {
  return new KeyUnavailableError('AccessDenied', "The ciphertext references a key that doesn't exist or that you don't have access to.");
}
