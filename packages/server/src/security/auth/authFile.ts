/**
 * The auth file of `freshet serve --auth FILE` (JSON or YAML): the accounts, the principals (IAM
 * users and roles) that act in them, their credentials, and the identity policies attached to
 * them. Read strictly: anything unknown or malformed is refused with one line naming its place in
 * the file (`principals[1].credentials[0].expiration: ...`), so a typo never silently opens or
 * closes a door. docs/security.md describes the format.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { AttachedPolicy } from '../../core/context.js';
import { parsePolicy } from '../policy/index.js';

/** A mistake in the auth file: its message names the file and the place in it. */
export class AuthFileError extends Error {
  override readonly name = 'AuthFileError';
}

export interface AuthAccount {
  id: string;
  name?: string;
}

export interface AuthPrincipal {
  kind: 'user' | 'role';
  name: string;
  account: string;
  policies: readonly AttachedPolicy[];
}

/** One access key: whose it is, its secret, and for temporary credentials their token and end. */
export interface AuthCredential {
  accessKeyId: string;
  secretAccessKey: string;
  principal: AuthPrincipal;
  sessionToken?: string;
  /** Milliseconds since the epoch after which the session token is expired. */
  expiresAtMs?: number;
  /** A role's session name (the last part of its assumed-role ARN). */
  sessionName?: string;
}

export interface AuthConfig {
  accounts: ReadonlyMap<string, AuthAccount>;
  /** By access key id. */
  credentials: ReadonlyMap<string, AuthCredential>;
}

/** Reads and checks an auth file; throws AuthFileError naming the file and what is wrong. */
export function loadAuthFile(path: string): AuthConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuthFileError(`cannot read the auth file ${path}: ${(err as Error).message}`);
  }
  try {
    return parseAuthConfig(text);
  } catch (err) {
    if (err instanceof AuthFileError) throw new AuthFileError(`auth file ${path}: ${err.message}`);
    throw err;
  }
}

/** Parses the text of an auth file (JSON is YAML too); throws AuthFileError. */
export function parseAuthConfig(text: string): AuthConfig {
  let root: unknown;
  try {
    // JSON is a subset of YAML 1.2: one parser reads both. Duplicate keys are an error in it.
    root = parseYaml(text, { prettyErrors: false });
  } catch (err) {
    throw new AuthFileError(`not valid JSON or YAML: ${((err as Error).message.split('\n')[0] ?? '').trim()}`);
  }
  const top = object(root, '(the file)', ['accounts', 'principals']);
  const accounts = new Map<string, AuthAccount>();
  list(top.accounts, 'accounts', true).forEach((item, i) => {
    const at = `accounts[${i}]`;
    const entry = object(item, at, ['id', 'name']);
    const id = accountId(entry.id, `${at}.id`);
    if (accounts.has(id)) throw new AuthFileError(`${at}.id: account ${id} is listed twice`);
    const name = entry.name === undefined ? undefined : text1(entry.name, `${at}.name`);
    accounts.set(id, name === undefined ? { id } : { id, name });
  });
  const credentials = new Map<string, AuthCredential>();
  list(top.principals, 'principals', true).forEach((item, i) => readPrincipal(item, `principals[${i}]`, accounts, credentials));
  return { accounts, credentials };
}

const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

function readPrincipal(item: unknown, at: string, accounts: Map<string, AuthAccount>, credentials: Map<string, AuthCredential>): void {
  const entry = object(item, at, ['user', 'role', 'account', 'credentials', 'policies']);
  if ((entry.user === undefined) === (entry.role === undefined)) throw new AuthFileError(`${at}: give exactly one of 'user' and 'role'`);
  const kind = entry.user !== undefined ? 'user' : 'role';
  const name = text1(entry[kind], `${at}.${kind}`);
  if (!IAM_NAME.test(name)) throw new AuthFileError(`${at}.${kind}: '${name}' is not an IAM name (1-64 of letters, digits, _+=,.@-)`);
  const account = accountId(entry.account, `${at}.account`);
  if (!accounts.has(account)) throw new AuthFileError(`${at}.account: account ${account} is not listed under 'accounts'`);
  const policies = list(entry.policies ?? [], `${at}.policies`, false).map((policy, j) => readPolicy(policy, `${at}.policies[${j}]`));
  const principal: AuthPrincipal = { kind, name, account, policies };
  list(entry.credentials, `${at}.credentials`, true).forEach((cred, j) => {
    const credential = readCredential(cred, `${at}.credentials[${j}]`, principal);
    if (credentials.has(credential.accessKeyId)) {
      throw new AuthFileError(`${at}.credentials[${j}].accessKeyId: ${credential.accessKeyId} is given twice in the file`);
    }
    credentials.set(credential.accessKeyId, credential);
  });
}

function readCredential(item: unknown, at: string, principal: AuthPrincipal): AuthCredential {
  const entry = object(item, at, ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration', 'session']);
  const accessKeyId = text1(entry.accessKeyId, `${at}.accessKeyId`);
  // The access key id is the first element of the credential scope: it cannot hold a '/'.
  if (!/^[\w+=.@-]{1,128}$/.test(accessKeyId)) throw new AuthFileError(`${at}.accessKeyId: '${accessKeyId}' is not an access key id`);
  const credential: AuthCredential = { accessKeyId, secretAccessKey: text1(entry.secretAccessKey, `${at}.secretAccessKey`), principal };
  if (entry.sessionToken !== undefined) credential.sessionToken = text1(entry.sessionToken, `${at}.sessionToken`);
  if (entry.expiration !== undefined) {
    if (credential.sessionToken === undefined)
      throw new AuthFileError(`${at}.expiration: only temporary credentials (with a sessionToken) expire`);
    const when = typeof entry.expiration === 'string' ? Date.parse(entry.expiration) : NaN;
    if (!Number.isFinite(when)) throw new AuthFileError(`${at}.expiration: must be an ISO 8601 time like 2030-01-01T00:00:00Z`);
    credential.expiresAtMs = when;
  }
  if (principal.kind === 'role') {
    // A role has no long-term keys: its credentials are sessions of it.
    if (credential.sessionToken === undefined)
      throw new AuthFileError(`${at}.sessionToken: a role's credentials are temporary: give their sessionToken`);
    credential.sessionName = entry.session === undefined ? accessKeyId : text1(entry.session, `${at}.session`);
    if (!/^[\w+=,.@-]{2,64}$/.test(credential.sessionName))
      throw new AuthFileError(`${at}.session: '${credential.sessionName}' is not a role session name`);
  } else if (entry.session !== undefined) {
    throw new AuthFileError(`${at}.session: only a role's credentials name a session`);
  }
  return credential;
}

function readPolicy(item: unknown, at: string): AttachedPolicy {
  const entry = object(item, at, ['name', 'document']);
  const name = text1(entry.name, `${at}.name`);
  if (entry.document === undefined) throw new AuthFileError(`${at}.document: missing (the policy document, an object or its JSON text)`);
  try {
    parsePolicy(entry.document, 'identity');
  } catch (err) {
    throw new AuthFileError(`${at}.document: ${(err as Error).message}`);
  }
  return { name, document: entry.document };
}

function object(value: unknown, at: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AuthFileError(`${at}: must be an object`);
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) throw new AuthFileError(`${at}.${key}: unknown field (the fields are ${fields.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, at: string, required: boolean): unknown[] {
  if (value === undefined && required) throw new AuthFileError(`${at}: missing (a list)`);
  if (!Array.isArray(value)) throw new AuthFileError(`${at}: must be a list`);
  return value;
}

function text1(value: unknown, at: string): string {
  if (value === undefined) throw new AuthFileError(`${at}: missing`);
  if (typeof value !== 'string' || value === '') throw new AuthFileError(`${at}: must be a non-empty string`);
  return value;
}

function accountId(value: unknown, at: string): string {
  // YAML reads an unquoted 111122223333 as a number: accepted when it is 12 digits.
  const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value).padStart(12, '0') : value;
  if (typeof id !== 'string' || !/^\d{12}$/.test(id))
    throw new AuthFileError(`${at}: must be a 12-digit account id, got ${JSON.stringify(value)}`);
  return id;
}
