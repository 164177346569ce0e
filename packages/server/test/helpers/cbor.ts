/**
 * A small, strict CBOR writer and reader for wire tests. Unlike a general library, it keeps what
 * the tests must see: tags stay tags (AWS's tag 1 holds epoch milliseconds, not seconds),
 * integers and floats stay apart, byte strings and text strings stay apart, and maps can be
 * written with indefinite length, as the Java SDK's Jackson generator writes them.
 */

export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

/** A float, kept apart from integers. */
export class CborFloat {
  constructor(readonly value: number) {}
}

/** A map to write with indefinite length (0xbf ... 0xff). */
export class IndefiniteMap {
  constructor(readonly entries: Record<string, CborValue>) {}
}

export type CborValue =
  number | string | boolean | null | undefined | Buffer | CborTag | CborFloat | IndefiniteMap | CborValue[] | { [key: string]: CborValue };

/** Tag 1 holding an integer count of epoch milliseconds, as AWS and the Java SDK write it. */
export function epochMillis(ms: number): CborTag {
  return new CborTag(1, ms);
}

function head(major: number, length: number | bigint): Buffer {
  const n = BigInt(length);
  if (n < 24n) return Buffer.from([(major << 5) | Number(n)]);
  if (n < 0x100n) return Buffer.from([(major << 5) | 24, Number(n)]);
  if (n < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(Number(n), 1);
    return b;
  }
  if (n < 0x100000000n) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(Number(n), 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(n, 1);
  return b;
}

export function encodeCbor(value: CborValue): Buffer {
  if (value === null || value === undefined) return Buffer.from([0xf6]);
  if (value === true) return Buffer.from([0xf5]);
  if (value === false) return Buffer.from([0xf4]);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}; use CborFloat`);
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof CborFloat) {
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(value.value, 1);
    return b;
  }
  if (value instanceof CborTag) return Buffer.concat([head(6, value.tag), encodeCbor(value.value)]);
  if (value instanceof IndefiniteMap) {
    const parts = Object.entries(value.entries).flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)]);
    return Buffer.concat([Buffer.from([0xbf]), ...parts, Buffer.from([0xff])]);
  }
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)]);
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)])]);
}

/** Decodes one CBOR item (the whole buffer). Integers beyond 2^53 throw: Kinesis sends none. */
export function decodeCbor(bytes: Buffer): CborValue {
  let at = 0;
  const byte = () => {
    if (at >= bytes.length) throw new Error('CBOR: unexpected end');
    return bytes[at++]!;
  };
  const argument = (info: number): number => {
    if (info < 24) return info;
    let n = 0n;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
    if (size < 0) throw new Error(`CBOR: bad additional info ${info}`);
    for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(byte());
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`CBOR: integer ${n} too large`);
    return Number(n);
  };
  const take = (n: number) => {
    if (at + n > bytes.length) throw new Error('CBOR: unexpected end');
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const item = (): CborValue | typeof BREAK => {
    const initial = byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (initial === 0xff) return BREAK;
    switch (major) {
      case 0:
        return argument(info);
      case 1:
        return -1 - argument(info);
      case 2:
      case 3: {
        let raw: Buffer;
        if (info === 31) {
          const chunks: Buffer[] = [];
          for (let chunk = item(); chunk !== BREAK; chunk = item()) {
            chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, 'utf8'));
          }
          raw = Buffer.concat(chunks);
        } else {
          raw = Buffer.from(take(argument(info)));
        }
        return major === 2 ? raw : raw.toString('utf8');
      }
      case 4: {
        const out: CborValue[] = [];
        if (info === 31) for (let v = item(); v !== BREAK; v = item()) out.push(v);
        else for (let n = argument(info); n > 0; n--) out.push(item() as CborValue);
        return out;
      }
      case 5: {
        const out: Record<string, CborValue> = {};
        const entry = (key: CborValue | typeof BREAK) => {
          if (typeof key !== 'string') throw new Error('CBOR: non-text map key');
          out[key] = item() as CborValue;
        };
        if (info === 31) for (let k = item(); k !== BREAK; k = item()) entry(k);
        else for (let n = argument(info); n > 0; n--) entry(item());
        return out;
      }
      case 6:
        return new CborTag(argument(info), item() as CborValue);
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) {
          const h = take(2).readUInt16BE(0);
          const exp = (h >> 10) & 0x1f;
          const mant = h & 0x3ff;
          const v = exp === 0 ? mant * 2 ** -24 : exp === 31 ? (mant ? NaN : Infinity) : (mant + 1024) * 2 ** (exp - 25);
          return new CborFloat(h & 0x8000 ? -v : v);
        }
        if (info === 26) return new CborFloat(take(4).readFloatBE(0));
        if (info === 27) return new CborFloat(take(8).readDoubleBE(0));
        throw new Error(`CBOR: unsupported simple value ${info}`);
    }
  };
  const BREAK = Symbol('break');
  const value = item();
  if (value === BREAK) throw new Error('CBOR: unexpected break');
  if (at !== bytes.length) throw new Error(`CBOR: ${bytes.length - at} trailing bytes`);
  return value;
}
