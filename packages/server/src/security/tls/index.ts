/** TLS credentials: given PEM files or a generated self-signed certificate (`--tls auto`). */
export { AUTO_NAMES, autoCertificate, loadTls, selfSigned, TlsError, type LoadedTls, type TlsSource } from './credentials.js';
