/**
 * NextToken values for paginated listings (ListStreams, ListShards, ListStreamConsumers): opaque
 * to clients, carrying where to resume, the listing's parameters and when they were issued (AWS
 * lets them expire after 300 seconds). They are sealed as shard iterators are (tokenSeal.ts, with
 * a key of their own), and bound to their listing: the operation, the caller's account and region,
 * and the stream they page through. So a token cannot be edited (to live forever, to change its
 * filter, to name another stream) and a token of one listing is refused by any other.
 *
 * Layout before base64url: version u8 | JSON of SealedPage | mac[16].
 */
import type { Clock } from '../../../core/clock.js';
import { expiredNextToken, invalidArgument } from '../errors.js';
import type { StreamAddress } from './streamState.js';
import type { TokenSeal } from './tokenSeal.js';

export const NEXT_TOKEN_TTL_MS = 300_000;

const VERSION = 1;

export type Listing = 'ListStreams' | 'ListShards' | 'ListStreamConsumers';

/** The stream a listing pages through, in the incarnation it was issued for. */
export interface PagedStream extends StreamAddress {
  id: string;
}

/** Who lists what: a token opens only for the same. */
export interface ListingScope {
  listing: Listing;
  /** The caller's account and region (from the request context), whatever stream it names. */
  account: string;
  region: string;
}

export interface Page {
  /** The last item returned; the next page starts after it. */
  after: string;
  /** The stream paged through (ListShards, ListStreamConsumers). */
  stream?: PagedStream;
  /** Listing parameters carried forward (ListShards' filter). */
  filter?: { type: string; timestampMs?: number };
}

interface SealedPage extends ListingScope, Page {
  issuedMs: number;
}

export class PageTokens {
  constructor(
    private readonly seal: TokenSeal,
    private readonly clock: Clock,
  ) {}

  issue(scope: ListingScope, page: Page): string {
    const sealed: SealedPage = { ...scope, ...page, issuedMs: this.clock.now() };
    return this.seal.seal(Buffer.concat([Buffer.of(VERSION), Buffer.from(JSON.stringify(sealed), 'utf8')]));
  }

  /**
   * The page a token resumes, if this node issued it for the same listing less than 300 s ago.
   * Anything else is InvalidArgumentException ("Invalid NextToken."); an expired token is
   * ExpiredNextTokenException, whose message quotes the token: only a token known to be ours, and
   * so short, is ever quoted back.
   */
  open(token: string, scope: ListingScope): Page {
    const sealed = this.unseal(token);
    if (!sealed || sealed.listing !== scope.listing || sealed.account !== scope.account || sealed.region !== scope.region) {
      throw invalidArgument('Invalid NextToken.');
    }
    if (this.clock.now() - sealed.issuedMs > NEXT_TOKEN_TTL_MS) {
      throw expiredNextToken(`The timestamp in the NextToken has expired: ${token}`);
    }
    return {
      after: sealed.after,
      ...(sealed.stream ? { stream: sealed.stream } : {}),
      ...(sealed.filter ? { filter: sealed.filter } : {}),
    };
  }

  private unseal(token: string): SealedPage | undefined {
    const body = this.seal.open(token, 1);
    if (!body || body[0] !== VERSION) return undefined;
    try {
      // Sealed bodies are only ever what issue() wrote; parsing is still checked, not trusted
      // blindly, so that a token of another version or a bug here fails as an invalid token.
      const parsed = JSON.parse(body.toString('utf8', 1)) as SealedPage;
      return typeof parsed.after === 'string' && typeof parsed.issuedMs === 'number' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
}
