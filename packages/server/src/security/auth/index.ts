/**
 * Authentication (`freshet serve --auth FILE`): SigV4 verification against the auth file's keys,
 * and the file reloaded on request (SIGHUP) without a restart. The gateway reads a request's
 * signature and checks its form and region for every request (with or without this); this is what
 * tells it who signed.
 */
import type { SignedRequest } from '@freshet/aws';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/context.js';
import type { Logger } from '../../core/logger.js';
import { loadAuthFile } from './authFile.js';
import { SigV4Verifier } from './verifier.js';

export { AuthFileError, loadAuthFile, parseAuthConfig, type AuthConfig } from './authFile.js';
export { SigV4Verifier } from './verifier.js';

export class Authentication {
  private verifier: SigV4Verifier;

  /** Reads the file; throws AuthFileError (one line naming the place in the file) if it is not right. */
  constructor(
    readonly file: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.verifier = new SigV4Verifier(loadAuthFile(file), clock);
  }

  verify(request: SignedRequest): Principal {
    return this.verifier.verify(request);
  }

  /**
   * Reads the file again. Requests in flight and connections are not touched; the next request is
   * verified against the new keys. A file that is not right is logged at error level and the keys
   * in use stay. Returns whether the new file was taken.
   */
  reload(): boolean {
    try {
      const config = loadAuthFile(this.file);
      this.verifier = new SigV4Verifier(config, this.clock);
      this.logger.info({ file: this.file, credentials: config.credentials.size }, 'auth file reloaded');
      return true;
    } catch (err) {
      this.logger.error({ file: this.file, err: (err as Error).message }, 'auth file not reloaded, the previous one stays in use');
      return false;
    }
  }
}
