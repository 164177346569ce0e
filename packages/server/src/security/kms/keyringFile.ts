/**
 * The keyring file of `freshet serve --kms-keyring FILE`: JSON naming the master keys streams may
 * be encrypted with (README.md and docs/security.md, "Encryption at rest", show it):
 *
 *   { "keys": [ { "keyId": "<uuid>", "aliases": ["alias/orders"], "account": "123456789012",
 *                 "region": "us-east-1", "state": "Enabled",
 *                 "versions": ["<64 hex digits or base64 of 32 bytes>", { "file": "orders-2.key" }] } ] }
 *
 * `versions` lists the key material oldest first; the last wraps new data keys (rotation: add one).
 * A `file` is read relative to the keyring's directory and holds 32 raw bytes, or hex or base64.
 */
import { readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';
const KEY_STATES: readonly KeyState[] = ['Enabled', 'Disabled', 'PendingDeletion'];

export interface MasterKey {
  /** A UUID, as AWS KMS key ids are. */
  keyId: string;
  aliases: string[];
  /** When set, an ARN naming the key must name this account (else the node's account). */
  account?: string;
  region?: string;
  state: KeyState;
  /** Key material, oldest first; version n is versions[n - 1]. */
  versions: Buffer[];
}

export const KEY_BYTES = 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

export function isKeyId(text: string): boolean {
  return UUID.test(text);
}

export function isAliasName(text: string): boolean {
  return ALIAS.test(text);
}

/** A keyring file that cannot be used, with the reason and where. */
export class KeyringError extends Error {
  constructor(file: string, reason: string) {
    super(`KMS keyring ${file}: ${reason}`);
    this.name = 'KeyringError';
  }
}

/**
 * Reads and checks a keyring file. `forbiddenDir` is the data directory: neither the keyring nor
 * a key file may be inside it (a copy of the data would carry its keys).
 */
export function readKeyringFile(file: string, forbiddenDir: string): MasterKey[] {
  const fail = (reason: string): never => {
    throw new KeyringError(file, reason);
  };
  refuseInside(file, forbiddenDir, fail);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(err instanceof SyntaxError ? `not JSON (${err.message})` : `cannot be read (${(err as Error).message})`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return fail('expected {"keys": [...]}');
  const seenIds = new Set<string>();
  const seenAliases = new Set<string>();
  return keys.map((entry: unknown, i) => {
    const key = parseKey(entry, (reason) => fail(`keys[${i}]: ${reason}`), path.dirname(file), forbiddenDir);
    if (seenIds.has(key.keyId)) fail(`keys[${i}]: key id ${key.keyId} appears twice`);
    seenIds.add(key.keyId);
    for (const alias of key.aliases) {
      if (seenAliases.has(alias)) fail(`keys[${i}]: alias ${alias} names two keys`);
      seenAliases.add(alias);
    }
    return key;
  });
}

function parseKey(entry: unknown, fail: (reason: string) => never, baseDir: string, forbiddenDir: string): MasterKey {
  if (typeof entry !== 'object' || entry === null) fail('a key is an object');
  const { keyId, aliases = [], account, region, state = 'Enabled', versions } = entry as Record<string, unknown>;
  if (typeof keyId !== 'string' || !isKeyId(keyId)) fail('keyId must be a lower-case UUID (12345678-1234-1234-1234-123456789012)');
  if (!Array.isArray(aliases) || !aliases.every((a): a is string => typeof a === 'string' && isAliasName(a))) {
    fail('aliases must be a list of names like "alias/orders"');
  }
  if (account !== undefined && (typeof account !== 'string' || !/^\d{12}$/.test(account))) fail('account must be 12 digits');
  if (region !== undefined && typeof region !== 'string') fail('region must be a string');
  if (!KEY_STATES.includes(state as KeyState)) fail(`state must be one of ${KEY_STATES.join(', ')}`);
  if (!Array.isArray(versions) || versions.length === 0) fail('versions must list at least one key material');
  return {
    keyId: keyId as string,
    aliases: aliases as string[],
    ...(account !== undefined ? { account: account as string } : {}),
    ...(region !== undefined ? { region: region as string } : {}),
    state: state as KeyState,
    versions: (versions as unknown[]).map((v, n) => keyMaterial(v, (reason) => fail(`versions[${n}]: ${reason}`), baseDir, forbiddenDir)),
  };
}

function keyMaterial(value: unknown, fail: (reason: string) => never, baseDir: string, forbiddenDir: string): Buffer {
  if (typeof value === 'string') return decodeKeyText(value) ?? fail('key material must be 32 bytes, as 64 hex digits or base64');
  const file = (value as { file?: unknown } | null)?.file;
  if (typeof file !== 'string') return fail('a version is key material (hex or base64) or {"file": "path"}');
  const resolved = path.resolve(baseDir, file);
  refuseInside(resolved, forbiddenDir, fail);
  let bytes: Buffer;
  try {
    bytes = readFileSync(resolved);
  } catch (err) {
    return fail(`key file ${resolved} cannot be read (${(err as Error).message})`);
  }
  if (bytes.length === KEY_BYTES) return bytes;
  return decodeKeyText(bytes.toString('utf8').trim()) ?? fail(`key file ${resolved} must hold 32 bytes, raw, hex or base64`);
}

/** 32 bytes from 64 hex digits or base64 text; undefined otherwise. */
export function decodeKeyText(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  return undefined;
}

/** Refuses a file inside the data directory: encryption at rest is worthless if the key sits beside the data. */
export function refuseInside(file: string, dataDir: string, fail: (reason: string) => never): void {
  const relative = path.relative(realPath(dataDir), realPath(file));
  // Outside is `..` or `../...` (or another drive): a name inside that begins with two dots (`..keys`) is inside.
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  if (!outside) {
    fail(`${file} is inside the data directory ${dataDir}; keep keys outside it, so that a copy of the data does not carry them`);
  }
}

/** The path with symbolic links resolved where it exists (a link into the data directory is inside it). */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
