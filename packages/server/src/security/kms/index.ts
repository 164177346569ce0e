/** The local KMS: master keys for encryption at rest (docs/security.md, "Encryption at rest"). */
export { AWS_MANAGED_ALIAS, LocalKeyring, type KeyringOptions } from './keyring.js';
export { KeyringError } from './keyringFile.js';
