/**
 * NextToken values for paginated listings: opaque to clients, carrying where to resume and when
 * they were issued (AWS lets them expire after 300 seconds).
 */
export const NEXT_TOKEN_TTL_MS = 300_000;

export interface PageToken {
  /** The listing the token belongs to: the stream id for ListShards, '' for ListStreams. */
  scope: string;
  /** The last item returned; the next page starts after it. */
  after: string;
  issuedMs: number;
  /** Extra listing parameters the token carries forward (ListShards' filter). */
  extra?: Record<string, string | number>;
}

export function encodePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

export function decodePageToken(text: string): PageToken | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<PageToken>;
    if (typeof parsed.scope !== 'string' || typeof parsed.after !== 'string' || typeof parsed.issuedMs !== 'number') {
      return undefined;
    }
    return parsed as PageToken;
  } catch {
    return undefined;
  }
}
