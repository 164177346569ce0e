/**
 * Where the node's TLS certificate comes from: PEM files the user gives (`--tls-cert`,
 * `--tls-key`), or `--tls auto`, a self-signed certificate for localhost, 127.0.0.1 and ::1 made at
 * the first start and kept in `<data-dir>/tls/` for the next ones, where clients find it to trust
 * (`cert.pem` is its own CA: `aws --ca-bundle`, boto3's `verify=`, Node's `ca`).
 */
import { createPrivateKey, X509Certificate, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { TlsCredentials } from '../../gateway/listener.js';

/** Files given by the user, or a certificate made and kept by Freshet. */
export type TlsSource = { kind: 'files'; certFile: string; keyFile: string } | { kind: 'auto' };

export interface LoadedTls extends TlsCredentials {
  /** The certificate file clients should trust (auto) or the one given. */
  certFile: string;
}

/** The names a generated certificate is valid for: what a local client dials. */
export const AUTO_NAMES = ['localhost', '127.0.0.1', '::1'];
/** A generated certificate lives a year, and is made again when less than a day of it is left. */
const AUTO_VALID_DAYS = 365;
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate or key that cannot be used: the start stops with this one line (a reload keeps the old ones). */
export class TlsError extends Error {
  override name = 'TlsError';
}

/**
 * The credentials to serve with, checked (readable PEM, the key the certificate's); read again on
 * SIGHUP, so renewed files are taken up.
 */
export async function loadTls(source: TlsSource, dataDir: string, now = Date.now()): Promise<LoadedTls> {
  const loaded =
    source.kind === 'files' ? await readGiven(source.certFile, source.keyFile) : await autoCertificate(join(dataDir, 'tls'), now);
  try {
    createSecureContext(loaded);
  } catch (err) {
    const files = source.kind === 'files' ? `--tls-cert ${source.certFile} and --tls-key ${source.keyFile}` : loaded.certFile;
    throw new TlsError(`TLS: ${files} cannot be used: ${(err as Error).message}`);
  }
  return loaded;
}

async function readGiven(certFile: string, keyFile: string): Promise<LoadedTls> {
  const read = (option: string, file: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new TlsError(`${option} ${file}: cannot read it (${err.code ?? err.message})`);
    });
  const [cert, key] = await Promise.all([read('--tls-cert', certFile), read('--tls-key', keyFile)]);
  return { cert, key, certFile };
}

/** The self-signed certificate kept in `dir`, made anew when absent, unreadable or near its end. */
export async function autoCertificate(dir: string, now = Date.now()): Promise<LoadedTls> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const kept = await readKept(certFile, keyFile, now);
  if (kept) return kept;
  const { cert, key } = await selfSigned(AUTO_NAMES, new Date(now));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first and each through a rename: a crash in between leaves the old pair or a pair that
  // does not match, which the next start detects (the context fails) and replaces.
  await writeAtomically(keyFile, key, 0o600);
  await writeAtomically(certFile, cert, 0o644);
  return { cert, key, certFile };
}

async function readKept(certFile: string, keyFile: string, now: number): Promise<LoadedTls | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    const parsed = new X509Certificate(cert);
    const usable =
      Date.parse(parsed.validTo) - now > RENEW_BEFORE_MS &&
      Date.parse(parsed.validFrom) <= now &&
      AUTO_NAMES.every((name) => (isIP(name) ? parsed.checkIP(name) : parsed.checkHost(name))) &&
      parsed.checkPrivateKey(createPrivateKey(key));
    return usable ? { cert, key, certFile } : undefined;
  } catch {
    return undefined;
  }
}

/** A self-signed ECDSA P-256 certificate (its own CA) for the DNS names and IP addresses given. */
export async function selfSigned(names: readonly string[], notBefore: Date): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as Crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    // Random, so that a browser never meets two certificates of one issuer with one serial; the
    // first hex digit below 8 keeps the DER integer positive, as RFC 5280 requires.
    serialNumber: `1${Buffer.from(webcrypto.getRandomValues(new Uint8Array(15))).toString('hex')}`,
    name: 'CN=Freshet local certificate',
    // A minute back: a client whose clock is a little behind ours still takes it.
    notBefore: new Date(notBefore.getTime() - 60_000),
    notAfter: new Date(notBefore.getTime() + AUTO_VALID_DAYS * DAY_MS),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      // CA:TRUE so that the file itself can be given to clients as their CA bundle.
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: (isIP(value) ? 'ip' : 'dns') as x509.GeneralNameType, value })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
  return { cert: certificate.toString('pem') + '\n', key };
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}
