/**
 * Sequence numbers in AWS's own layout (its "version 2"). Read as hexadecimal, one is 47 digits:
 *
 *   2 | shard creation, s (9) | shard index & 15 (1) | sequence index (16) | flags 00 (2) |
 *     record arrival, s (9) | shard index (8) | 2
 *
 * printed as a 56-digit decimal. Freshet's sequence index is the storage cursor of the record, so
 * a sequence number still tells the shard and the exact place in the log with no lookup. Within a
 * shard every field before the sequence index is fixed, so numbers compare as big integers exactly
 * as their cursors do (what KCL relies on): the arrival time sits below the index and can never
 * reorder two records. A child shard's creation time is after its parents' (see
 * `childSequenceSeconds`), so its numbers are above theirs.
 *
 * Numbers of two older layouts are still understood: AWS's versions 0 and 1 (enough to answer as
 * AWS does when a client hands one over), and Freshet's previous `4·10^50 + shard·10^26 + cursor`
 * (51 digits), accepted as an alias of the same cursor so a checkpoint taken before the upgrade
 * still resumes where it was. See docs/compatibility.md.
 */

/** The sequence index is below 2^63 (AWS's own numbers never set the index's top bit). */
export const MAX_CURSOR = (1n << 63n) - 1n;

const VERSION_2_BASE = 2n << 184n;
/** One step of the sequence index: it sits above flags (8 bits), arrival (36), shard index (32), version (4). */
const INDEX_SHIFT = 80n;

/**
 * Encodes one record's sequence number. `shardSeconds` is the shard's creation time as its numbers
 * carry it (`sequenceSecondsOf`), `arrivalMs` the record's arrival. The arrival field is never
 * below the creation time: the StartingSequenceNumber (index 0, stamped with the creation time)
 * must not be above the number of a record at cursor 0, and a child's creation time can be a
 * second or two ahead of the clock (`childSequenceSeconds`), or the clock may step back.
 */
export function encodeSequenceNumber(shardIndex: number, shardSeconds: number, cursor: bigint, arrivalMs: number): string {
  return layoutValue(shardIndex, shardSeconds, cursor, arrivalMs).toString();
}

function layoutValue(shardIndex: number, shardSeconds: number, cursor: bigint, arrivalMs: number): bigint {
  checkCursor(cursor);
  return (
    VERSION_2_BASE |
    (BigInt(seconds36(shardSeconds)) << 148n) |
    (BigInt(shardIndex & 15) << 144n) |
    (cursor << INDEX_SHIFT) |
    (BigInt(seconds36(Math.max(Math.floor(arrivalMs / 1000), shardSeconds))) << 36n) |
    (BigInt(shardIndex >>> 0) << 4n) |
    2n
  );
}

/**
 * A cursor past 2^63 cannot be written in the layout: refuse (an InternalFailure) rather than issue
 * a number that decodes elsewhere. The local engine reaches it after 8 TiB of log in one stream
 * (docs/storage.md, Cursors).
 */
function checkCursor(cursor: bigint): void {
  if (cursor < 0n || cursor > MAX_CURSOR) throw new Error(`cursor ${cursor} does not fit a sequence number's 63-bit index`);
}

/** Nine hex digits of seconds (good until the year 4147); a clock before 1970 counts as 0. */
function seconds36(seconds: number): number {
  return Math.min(Math.max(0, seconds), 2 ** 36 - 1);
}

const LIMB = 1e14;
const LIMB_BIG = 10n ** 14n;
const STEP = 1n << INDEX_SHIFT;
const STEP_LOW = Number(STEP % LIMB_BIG);
const STEP_HIGH = Number(STEP / LIMB_BIG);

/**
 * Encodes `count` consecutive sequence numbers (cursors firstCursor, firstCursor + 1, ...) of
 * records that arrived together. This runs for every record written (500 per PutRecords), so it
 * converts to decimal once per run: consecutive numbers differ by 2^80, added to the low 28 digits
 * held as two 14-digit limbs (exact as doubles), the digits above re-printed only on a carry.
 * About half the cost of a BigInt toString per record.
 */
export function encodeSequenceRun(
  shardIndex: number,
  shardSeconds: number,
  firstCursor: bigint,
  count: number,
  arrivalMs: number,
): string[] {
  if (count > 1) checkCursor(firstCursor + BigInt(count - 1));
  const first = layoutValue(shardIndex, shardSeconds, firstCursor, arrivalMs);
  let top = first / (LIMB_BIG * LIMB_BIG);
  let topText = top.toString();
  let high = Number((first / LIMB_BIG) % LIMB_BIG);
  let low = Number(first % LIMB_BIG);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    out[i] = topText + String(high).padStart(14, '0') + String(low).padStart(14, '0');
    low += STEP_LOW;
    if (low >= LIMB) {
      low -= LIMB;
      high++;
    }
    high += STEP_HIGH;
    if (high >= LIMB) {
      high -= LIMB;
      topText = (++top).toString();
    }
  }
  return out;
}

/**
 * The sequence numbers of records read back, in order. Reads return runs of consecutive cursors
 * that share an arrival time (the records of one chunk), so this encodes run by run, as appends do.
 */
export function encodeSequenceNumbers(
  shardIndex: number,
  shardSeconds: number,
  records: readonly { cursor: bigint; arrivalMs: number }[],
): string[] {
  const out: string[] = [];
  for (let start = 0; start < records.length;) {
    const first = records[start]!;
    const second = Math.floor(first.arrivalMs / 1000);
    let end = start + 1;
    while (
      end < records.length &&
      records[end]!.cursor === records[end - 1]!.cursor + 1n &&
      Math.floor(records[end]!.arrivalMs / 1000) === second
    ) {
      end++;
    }
    for (const sequence of encodeSequenceRun(shardIndex, shardSeconds, first.cursor, end - start, first.arrivalMs)) out.push(sequence);
    start = end;
  }
  return out;
}

/** What a sequence number says, in each layout this module understands. */
export type ParsedSequence =
  /** AWS's current layout: Freshet's own numbers, or a foreign number of the same form. */
  | { layout: 2; shardIndex: number; shardSeconds: number; cursor: bigint; arrivalSeconds: number }
  /** AWS's earlier layouts: they name a shard, but no place Freshet can seek to. `printed` is how AWS echoes it. */
  | { layout: 0 | 1; shardIndex: number; shardSeconds: number; arrivalSeconds?: number; printed: string }
  /** A 47-digit number ending in 3, which AWS answers with an InternalFailure in PutRecord. */
  | { layout: 3 }
  /** Freshet's previous layout, `4·10^50 + shard·10^26 + cursor`. */
  | { layout: 'freshet-51'; shardIndex: number; cursor: bigint };

const BELOW_VERSION_0 = 1n << 124n;
const END_OF_VERSION_0 = 1n << 129n;
const END_OF_VERSION_2 = 3n << 184n;
const LEGACY_BASE = 4n * 10n ** 50n;
const LEGACY_END = 5n * 10n ** 50n;
const LEGACY_CURSOR_LIMIT = 10n ** 26n;
/** AWS refuses version-0 numbers whose creation time is at or past this many seconds. */
const VERSION_0_MAX_SECONDS = 16_025_175_000;
const DECIMAL = /^(0|[1-9]\d{0,128})$/;

/**
 * Reads a sequence number the way AWS does (the boundaries between layouts and what makes one
 * invalid were recorded against AWS), plus Freshet's previous layout. Undefined when it is none.
 */
export function parseSequenceNumber(text: string): ParsedSequence | undefined {
  if (!DECIMAL.test(text)) return undefined;
  let value = BigInt(text);
  if (value >= LEGACY_BASE && value < LEGACY_END) return parseLegacy(value - LEGACY_BASE);
  if (value < BELOW_VERSION_0) value += BELOW_VERSION_0;
  if (value < END_OF_VERSION_0) return parseVersion0(value.toString(16));
  if (value <= VERSION_2_BASE || value >= END_OF_VERSION_2) return undefined;
  const hex = value.toString(16);
  switch (hex[46]) {
    case '2':
      return parseVersion2(hex);
    case '1':
      return {
        layout: 1,
        shardSeconds: parseInt(hex.slice(1, 10), 16),
        arrivalSeconds: parseInt(hex.slice(13, 22), 16),
        shardIndex: parseInt(hex.slice(38, 46), 16),
        printed: text,
      };
    case '3':
      return { layout: 3 };
    default:
      return undefined;
  }
}

function parseVersion2(hex: string): ParsedSequence | undefined {
  const index = hex.slice(11, 27);
  const shard = hex.slice(38, 46);
  // The top bit of the sequence index and of the shard index is never set in a valid number.
  if (parseInt(index[0]!, 16) > 7 || parseInt(shard[0]!, 16) > 7) return undefined;
  return {
    layout: 2,
    shardSeconds: parseInt(hex.slice(1, 10), 16),
    cursor: BigInt('0x' + index),
    arrivalSeconds: parseInt(hex.slice(29, 38), 16),
    shardIndex: parseInt(shard, 16),
  };
}

/** 32 or 33 hex digits: `1`, creation (9), flags (2), 16 digits, shard index (4). */
function parseVersion0(hex: string): ParsedSequence | undefined {
  const shardSeconds = parseInt(hex.slice(1, 10), 16);
  if (shardSeconds >= VERSION_0_MAX_SECONDS) return undefined;
  return {
    layout: 0,
    shardSeconds,
    shardIndex: parseInt(hex.slice(28, 32), 16),
    printed: BigInt('0x1' + hex.slice(1, 32)).toString(),
  };
}

function parseLegacy(offset: bigint): ParsedSequence | undefined {
  const shardIndex = offset / LEGACY_CURSOR_LIMIT;
  if (shardIndex > 0x7fffffffn) return undefined;
  return { layout: 'freshet-51', shardIndex: Number(shardIndex), cursor: offset % LEGACY_CURSOR_LIMIT };
}
