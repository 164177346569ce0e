/**
 * Sealing of the tokens the engine hands to clients and takes back (shard iterators, NextTokens):
 * the token is its body followed by a truncated HMAC-SHA256 of it, so any node holding the
 * installation's secret can open it, and nobody can forge or edit one. One primitive for every
 * kind of token, so that there is one place to get right.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** 128 bits of MAC: forging one takes 2^128 guesses. */
const MAC_BYTES = 16;

export type TokenEncoding = 'base64' | 'base64url';

export class TokenSeal {
  private readonly key: Buffer;

  /**
   * `purpose` derives a key of its own from the secret, so that a token sealed for one purpose
   * (a NextToken) never opens as another (a shard iterator). Without it the secret is the key, as
   * shard iterators have always been sealed (iterators issued before an upgrade stay good).
   */
  constructor(
    secret: Buffer,
    purpose: string | undefined,
    private readonly encoding: TokenEncoding,
  ) {
    this.key = purpose === undefined ? secret : createHmac('sha256', secret).update(`freshet token purpose: ${purpose}`).digest();
  }

  seal(body: Buffer): string {
    return Buffer.concat([body, this.mac(body)]).toString(this.encoding);
  }

  /** The body of a token this seal made, or undefined for anything else (malformed, edited, another key's). */
  open(token: string, minBodyBytes = 0): Buffer | undefined {
    const raw = Buffer.from(token, this.encoding);
    // Node's decoder skips what is not of the alphabet: only the canonical spelling is the token.
    if (raw.length < minBodyBytes + MAC_BYTES || raw.toString(this.encoding) !== token) return undefined;
    const body = raw.subarray(0, raw.length - MAC_BYTES);
    return timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), this.mac(body)) ? body : undefined;
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC_BYTES);
  }
}
