/**
 * Shard iterators are opaque, tamper-evident tokens: they carry everything needed to continue
 * reading (stream, shard, cursor) and when they were issued, sealed with an HMAC so that any
 * node holding the installation's secret can serve them and nobody can forge a position.
 *
 * Layout before base64: version u8 | issuedMs f64 | shardIndex u32 | cursor (16 bytes, u128 BE) |
 * streamId (u8 length + ascii) | account | region | streamName (each u8 length + ascii) | mac[16]
 * (the MAC is tokenSeal.ts's).
 */
import { TokenSeal } from './tokenSeal.js';

const VERSION = 1;
/** The fixed fields and four empty strings: the shortest body there is. */
const MIN_BODY_BYTES = 1 + 8 + 4 + 16 + 4;
/** A string of the layout has a one-byte length. */
const MAX_STRING_BYTES = 255;
/** AWS: a shard iterator expires 5 minutes after it is returned. */
export const ITERATOR_TTL_MS = 300_000;

export interface IteratorPosition {
  account: string;
  region: string;
  streamName: string;
  /** The stream incarnation: a recreated stream of the same name does not accept old iterators. */
  streamId: string;
  shardIndex: number;
  cursor: bigint;
  issuedMs: number;
}

export class ShardIteratorCodec {
  private readonly seal: TokenSeal;

  constructor(secret: Buffer) {
    this.seal = new TokenSeal(secret, undefined, 'base64');
  }

  encode(position: IteratorPosition): string {
    const strings = [position.streamId, position.account, position.region, position.streamName];
    for (const s of strings) {
      // Names are checked long before they get here (regions at the gateway, stream names by the
      // model): one that is not short ASCII would write an iterator that never reads back.
      if (s.length > MAX_STRING_BYTES || !/^[\x20-\x7e]*$/.test(s)) throw new Error(`cannot put '${s.slice(0, 64)}' in a shard iterator`);
    }
    const stringBytes = strings.reduce((n, s) => n + 1 + Buffer.byteLength(s, 'latin1'), 0);
    const body = Buffer.allocUnsafe(1 + 8 + 4 + 16 + stringBytes);
    let at = body.writeUInt8(VERSION, 0);
    at = body.writeDoubleBE(position.issuedMs, at);
    at = body.writeUInt32BE(position.shardIndex, at);
    at = body.writeBigUInt64BE(position.cursor >> 64n, at);
    at = body.writeBigUInt64BE(position.cursor & 0xffffffffffffffffn, at);
    for (const s of strings) {
      at = body.writeUInt8(s.length, at);
      at += body.write(s, at, 'latin1');
    }
    return this.seal.seal(body);
  }

  /** Undefined when the token is malformed or was not issued with this secret. */
  decode(token: string): IteratorPosition | undefined {
    const body = this.seal.open(token, MIN_BODY_BYTES);
    if (!body || body.readUInt8(0) !== VERSION) return undefined;
    const issuedMs = body.readDoubleBE(1);
    const shardIndex = body.readUInt32BE(9);
    const cursor = (body.readBigUInt64BE(13) << 64n) | body.readBigUInt64BE(21);
    const strings: string[] = [];
    let at = 29;
    for (let i = 0; i < 4; i++) {
      if (at >= body.length) return undefined;
      const length = body.readUInt8(at);
      strings.push(body.toString('latin1', at + 1, at + 1 + length));
      at += 1 + length;
    }
    if (at !== body.length) return undefined;
    const [streamId, account, region, streamName] = strings as [string, string, string, string];
    return { account, region, streamName, streamId, shardIndex, cursor, issuedMs };
  }
}

/** AWS prints times in its messages like `Thu Jan 22 01:22:02 UTC 2015`. */
export function awsUtcString(ms: number): string {
  const match = /^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(new Date(ms).toUTCString());
  if (!match) return new Date(ms).toISOString();
  const [, weekday, day, month, year, time] = match;
  return `${weekday} ${month} ${day} ${time} UTC ${year}`;
}
