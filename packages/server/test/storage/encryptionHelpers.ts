/**
 * What the encryption tests share: a keyring file they can rewrite (disable, rotate) and a search
 * of every file under a directory for a plaintext, in the clear, as hex and as base64.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestKey {
  keyId: string;
  aliases: string[];
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  versions: string[];
}

export function newKey(alias: string): TestKey {
  return { keyId: randomUUID(), aliases: [alias], state: 'Enabled', versions: [randomBytes(32).toString('hex')] };
}

export function writeKeyring(file: string, keys: TestKey[]): void {
  fs.writeFileSync(file, JSON.stringify({ keys }, null, 2));
}

/** The forms a plaintext could take in a file: itself, hex (both cases), base64 at each of the three alignments. */
export function plaintextForms(plain: Buffer): Array<{ form: string; bytes: Buffer }> {
  const forms = [
    { form: 'raw', bytes: plain },
    { form: 'hex', bytes: Buffer.from(plain.toString('hex')) },
    { form: 'HEX', bytes: Buffer.from(plain.toString('hex').toUpperCase()) },
  ];
  for (let skip = 0; skip < 3; skip++) {
    // Base64 of the plaintext starting `skip` bytes in: its whole groups are what any base64 text
    // holding the plaintext at that alignment contains, whatever comes before and after.
    const tail = plain.subarray(skip);
    const whole = Math.floor(tail.length / 3) * 3;
    for (const encoding of ['base64', 'base64url'] as const) {
      forms.push({ form: `${encoding}@${skip}`, bytes: Buffer.from(tail.subarray(0, whole).toString(encoding)) });
    }
  }
  return forms;
}

/** Every file under dir (recursively) holding the plaintext in any of its forms, with the form. */
export function filesHolding(dir: string, plain: Buffer): string[] {
  const forms = plaintextForms(plain);
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const content = fs.readFileSync(file);
    for (const { form, bytes } of forms) if (content.includes(bytes)) found.push(`${path.relative(dir, file)} (${form})`);
  }
  return found;
}

/** Every file under dir, for a test to be sure the search looked at something. */
export function countFiles(dir: string): number {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}
