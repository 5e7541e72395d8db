// The union's lookup table: path bytes → position in the merged result, built once after a merge.
// Memory beyond a few MB costs ~40 ns a random cache line here even with many loads in flight
// (~200 ns one at a time), so a lookup in a large union is made to miss once:
//   - an index, 4 bytes a slot (2 MB for 271k paths, so mostly cached): position + 1 and an
//     8-bit tag from the hash, open addressing;
//   - one 64-byte record a position, holding the path's length and first INLINE bytes (the rest,
//     for longer paths, is compared in the arena): the one line a lookup misses on.
// Paths are hashed and compared a word at a time: V8 runs byte loops at ~5 ns a byte.
//
//   lookupReset(count); lookupInsert(hash, arena, off, len, pos) ...
//   lookupFind(arena, ptr, len, hashBytes(ptr, len)) → position, or -1
//   lookupMany(arena, ptr, len, results)           → NUL-separated paths answered in one call
import { cleanPath } from './path';

// a record: length, arena offset, then the path's first INLINE bytes
const R_LEN = 0, R_OFF = 4, R_BYTES = 8;
const R_STRIDE: usize = 64;
const INLINE: i32 = <i32>R_STRIDE - R_BYTES; // 56
// an index slot: (position + 1) << TAG_BITS | tag; 0 is empty. Unions of 2^24 paths or more go
// untagged (every candidate is checked by its record).
const TAG_BITS: u32 = 8;
const TAGGED_LIMIT: i32 = 1 << 24;

let index: usize = 0, indexCap: i32 = 0;
let records: usize = 0, recordsBlock: usize = 0, recordsCap: i32 = 0;
let tagMask: u32 = 0, posShift: u32 = 0;

@inline function slotAt(s: u32): usize { return index + (<usize>s << 2); }
@inline function recordAt(pos: u32): usize { return records + <usize>pos * R_STRIDE; }
/** The tag of hash `h`: its top bits, which the slot (its low bits) does not use. */
@inline function tagOf(h: u32): u32 { return (h >> 24) & tagMask; }

/** The bytes of a path short of a whole word, as one little-endian u64 (at most three loads). */
@inline function tailWord(p: usize, n: i32): u64 {
  let w: u64 = 0;
  let k = 0;
  if (n & 4) { w = <u64>load<u32>(p); k = 4; }
  if (n & 2) { w |= <u64>load<u16>(p + <usize>k) << (<u64>k << 3); k += 2; }
  if (n & 1) w |= <u64>load<u8>(p + <usize>k) << (<u64>k << 3);
  return w;
}

const HASH_SEED: u64 = 0x9e3779b97f4a7c15;

/** One whole word into the hash. */
@inline function mixWord(h: u64, w: u64): u64 {
  h = (h ^ w) * 0xff51afd7ed558ccd;
  return h ^ (h >> 32);
}

/** The last 0-7 bytes (a word, zero above them) and the length, into the hash's final value. */
@inline function finishHash(h: u64, tail: u64, n: i32): u32 {
  // the tail leaves its top byte zero: the length's low byte goes there
  h = (h ^ tail ^ (<u64>n << 56)) * 0xc4ceb9fe1a85ec53;
  return <u32>(h ^ (h >> 29));
}

/** Hash state `h` carried on over the `n` bytes at `p`, then finished for a path of `length` bytes. */
@inline function hashOn(h: u64, p: usize, n: i32, length: i32): u32 {
  let i = 0;
  for (; i + 8 <= n; i += 8) h = mixWord(h, load<u64>(p + <usize>i));
  return finishHash(h, tailWord(p + <usize>i, n - i), length);
}

/** A word-at-a-time hash of `n` bytes (scanPath computes the same while it scans). */
export function hashBytes(p: usize, n: i32): u32 {
  return hashOn(HASH_SEED, p, n, n);
}

/**
 * Whether `n` bytes at `a` and `b` are equal: 16 bytes at a time, the last block overlapping the
 * one before (so no byte-wise tail), words below 16 bytes. Inlined, as scanPath is: V8 does not
 * inline wasm calls, and the two calls cost lookupMany's kernel 5-8% (paired runs in one process).
 */
@inline export function sameBytes(a: usize, b: usize, n: i32): bool {
  if (n >= 16) {
    const last = <usize>(n - 16);
    for (let i: usize = 0; i < last; i += 16) {
      if (!i8x16.all_true(i8x16.eq(v128.load(a + i), v128.load(b + i)))) return false;
    }
    return i8x16.all_true(i8x16.eq(v128.load(a + last), v128.load(b + last)));
  }
  if (n >= 8) return load<u64>(a) == load<u64>(b) && load<u64>(a + <usize>(n - 8)) == load<u64>(b + <usize>(n - 8));
  return tailWord(a, n) == tailWord(b, n);
}

/** Empties the table and sizes it for `count` paths (index at most 3/4 full). */
export function lookupReset(count: i32): void {
  let cap = 1024;
  while (cap * 3 < count * 4 + 4) cap <<= 1;
  if (cap != indexCap) {
    if (index != 0) heap.free(index);
    index = heap.alloc(<usize>cap << 2); indexCap = cap;
  }
  memory.fill(index, 0, <usize>cap << 2);
  if (count > recordsCap || count < recordsCap >> 2) { // room for count; a far smaller union gives it back
    if (recordsBlock != 0) heap.free(recordsBlock);
    recordsBlock = heap.alloc(<usize>count * R_STRIDE + R_STRIDE);
    records = (recordsBlock + R_STRIDE - 1) & ~(R_STRIDE - 1); // one record, one cache line
    recordsCap = count;
  }
  const tagged = count < TAGGED_LIMIT;
  tagMask = tagged ? (1 << TAG_BITS) - 1 : 0;
  posShift = tagged ? TAG_BITS : 0;
}

/** Adds a path (its `len` bytes at `arena + off`) at result position `pos`. */
export function lookupInsert(h: u32, arena: usize, off: u32, len: i32, pos: i32): void {
  const mask = <u32>(indexCap - 1);
  let s = h & mask;
  while (load<u32>(slotAt(s)) != 0) s = (s + 1) & mask;
  store<u32>(slotAt(s), (<u32>(pos + 1) << posShift) | tagOf(h));
  const rec = recordAt(<u32>pos);
  store<u32>(rec, <u32>len, R_LEN); store<u32>(rec, off, R_OFF);
  memory.copy(rec + R_BYTES, arena + <usize>off, <usize>min(len, INLINE));
}

/** The first index slot from `s` on whose tag matches, or -1 at an empty slot. */
@inline function probe(s: u32, tag: u32): i32 {
  const mask = <u32>(indexCap - 1);
  while (true) {
    const v = load<u32>(slotAt(s));
    if (v == 0) return -1;
    if ((v & tagMask) == tag) return <i32>s;
    s = (s + 1) & mask;
  }
}

/** Whether the record at `pos` is the path of `n` bytes at `p`. */
@inline function holds(arena: usize, pos: u32, p: usize, n: i32): bool {
  const rec = recordAt(pos);
  if (<i32>load<u32>(rec, R_LEN) != n) return false;
  if (n <= INLINE) return sameBytes(rec + R_BYTES, p, n);
  return sameBytes(rec + R_BYTES, p, INLINE)
    && sameBytes(arena + <usize>load<u32>(rec, R_OFF) + <usize>INLINE, p + <usize>INLINE, n - INLINE);
}

@inline function positionIn(s: i32): u32 { return (load<u32>(slotAt(<u32>s)) >> posShift) - 1; }

/** Confirms candidate slot `s` by its record, probing on past false matches: a position or -1. */
function confirm(arena: usize, s: i32, p: usize, n: i32, tag: u32): i32 {
  while (s >= 0) {
    const pos = positionIn(s);
    if (holds(arena, pos, p, n)) return <i32>pos;
    s = probe((<u32>s + 1) & <u32>(indexCap - 1), tag);
  }
  return -1;
}

/** The position of the cleaned, non-empty path at `p`, or -1. */
export function lookupFind(arena: usize, p: usize, n: i32, h: u32): i32 {
  if (indexCap == 0) return -1;
  return confirm(arena, probe(h & <u32>(indexCap - 1), tagOf(h)), p, n, tagOf(h));
}

const SLASH: u32 = 0x2f;
const DOT: u32 = 0x2e;

/** The low `n` (0-7) bytes of `w`. */
@inline function lowBytes(w: u64, n: u32): u64 { return w & ((<u64>1 << (<u64>n << 3)) - 1); }

/** The hash of the path scanPath last scanned: hashBytes of its bytes as they were. */
let scannedHash: u32 = 0;

/**
 * Finds the end of the path that starts at `start` (the next NUL, or `len`) 16 bytes at a time,
 * hashing it on the way (into scannedHash: one read of each path), and whether it may need
 * cleaning: a `/` or `.` at its start or right after a `/`, or a `/` at its end. Returns
 * end << 1 | needsCleaning. Never reads at or past `len`. Inlined into lookupMany's one call site.
 */
@inline function scanPath(ptr: usize, start: i32, len: i32): i32 {
  const zero = i8x16.splat(0), slash = i8x16.splat(<i8>SLASH), dot = i8x16.splat(<i8>DOT);
  let i = start;
  let afterSlash: u32 = 1; // the first byte counts as following a separator
  let bad: u32 = 0;
  let h = HASH_SEED;
  while (i + 16 <= len) {
    const v = v128.load(ptr + <usize>i);
    const nul = <u32>i8x16.bitmask(i8x16.eq(v, zero));
    const sl = <u32>i8x16.bitmask(i8x16.eq(v, slash));
    const dt = <u32>i8x16.bitmask(i8x16.eq(v, dot));
    let hits = ((sl << 1) | afterSlash) & (sl | dt);
    const lo = i64x2.extract_lane(v, 0), hi = i64x2.extract_lane(v, 1);
    if (nul != 0) {
      const e = ctz(nul);
      hits &= (<u32>1 << e) - 1;
      // a `/` just before the NUL: in this block, or ending the previous one
      if (e > 0 ? (sl & (<u32>1 << (e - 1))) != 0 : i > start && afterSlash != 0) hits |= 1;
      const n = i + <i32>e - start;
      scannedHash = e >= 8 ? finishHash(mixWord(h, lo), lowBytes(hi, e - 8), n) : finishHash(h, lowBytes(lo, e), n);
      return ((i + <i32>e) << 1) | <i32>((bad | hits) != 0);
    }
    h = mixWord(mixWord(h, lo), hi);
    bad |= hits;
    afterSlash = (sl >> 15) & 1;
    i += 16;
  }
  const blocks = i;
  let prev: u32 = afterSlash ? SLASH : 0;
  let last: u32 = i > start && afterSlash ? SLASH : 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(ptr + <usize>i);
    if (c == 0) break;
    if (prev == SLASH && (c == SLASH || c == DOT)) bad = 1;
    prev = c; last = c;
  }
  if (last == SLASH) bad = 1;
  // the bytes past the last whole block (the end of the input only)
  scannedHash = hashOn(h, ptr + <usize>blocks, i - blocks, i - start);
  return (i << 1) | <i32>(bad != 0);
}

/** Bytes of `results` room lookupMany needs per path. */
export const LOOKUP_BATCH_STRIDE: usize = 16;
// a parked path: its start in the input, cleaned length, tag, and candidate slot (then its answer)
const B_START = 0, B_LEN = 4, B_TAG = 8, B_SLOT = 12;
const NONE: i32 = -1;
/** Paths whose records one touch loop brings in before they are compared (see lookupMany). */
const TOUCH_GROUP = 256;

/** Where the touch loop's sums go, so that no optimizer drops its loads. */
let sink: u32 = 0;

/**
 * Looks up many paths in one call: `len` bytes at `ptr` hold paths separated by NUL (no NUL after
 * the last; tar names cannot hold one). Each is cleaned in place and its answer — a position, -1
 * absent, -2 the root, -3 it climbs out — stored as an i32 at `results`, in order. Returns the
 * number of paths (NULs + 1), or `capacity + 1`, having answered none, when there are more paths
 * than `results` has room for (a path held a NUL).
 *
 * Pass 1 cleans and hashes every path. Then, in groups of TOUCH_GROUP: a loop that only loads
 * each path's index slot, one that finds its candidate by tag, one that only loads each
 * candidate's record (many misses in flight at once: a loop that also compares bytes fills the
 * CPU's reorder window after a few paths and waits for each miss in turn), and one that compares
 * from cache.
 */
export function lookupMany(arena: usize, ptr: usize, len: i32, results: usize, capacity: i32): i32 {
  let count = 0;
  let start = 0;
  const mask = <u32>(indexCap - 1);
  for (;;) {
    if (count == capacity) return capacity + 1;
    const scan = scanPath(ptr, start, len);
    const end = scan >> 1;
    const at = ptr + <usize>start;
    const n = scan & 1 ? cleanPath(at, end - start, at) : end - start;
    const rec = results + <usize>count * LOOKUP_BATCH_STRIDE;
    // a path that was cleaned is hashed again: the scan hashed it as it came
    const h = n <= 0 ? 0 : scan & 1 ? hashBytes(at, n) : scannedHash;
    store<i32>(rec, start, B_START);
    store<i32>(rec, n, B_LEN);
    store<u32>(rec, tagOf(h), B_TAG);
    store<i32>(rec, n > 0 && indexCap > 0 ? <i32>(h & mask) : NONE, B_SLOT);
    count++;
    if (end >= len) break;
    start = end + 1;
  }
  for (let from = 0; from < count; from += TOUCH_GROUP) {
    const to = min(from + TOUCH_GROUP, count);
    let touched: u32 = 0;
    // the index slots (mostly cached; pure loads all the same), then the candidates by tag
    for (let k = from; k < to; k++) {
      const s = load<i32>(results + <usize>k * LOOKUP_BATCH_STRIDE, B_SLOT);
      if (s != NONE) touched += load<u32>(slotAt(<u32>s));
    }
    for (let k = from; k < to; k++) {
      const rec = results + <usize>k * LOOKUP_BATCH_STRIDE;
      const s = load<i32>(rec, B_SLOT);
      if (s != NONE) store<i32>(rec, probe(<u32>s, load<u32>(rec, B_TAG)), B_SLOT);
    }
    // the candidates' records: the one miss
    for (let k = from; k < to; k++) {
      const s = load<i32>(results + <usize>k * LOOKUP_BATCH_STRIDE, B_SLOT);
      if (s != NONE) touched += load<u32>(recordAt(positionIn(s)), R_LEN);
    }
    sink += touched;
    for (let k = from; k < to; k++) {
      const rec = results + <usize>k * LOOKUP_BATCH_STRIDE;
      const n = load<i32>(rec, B_LEN);
      const s = load<i32>(rec, B_SLOT);
      const answer = n < 0 ? -3 : n == 0 ? -2 : s == NONE ? -1
        : confirm(arena, s, ptr + <usize>load<i32>(rec, B_START), n, load<u32>(rec, B_TAG));
      store<i32>(rec, answer, B_SLOT);
    }
  }
  // answers, compactly (4 bytes each) and in order: answer k lands at or below record k, read before it
  for (let k = 0; k < count; k++) store<i32>(results + (<usize>k << 2), load<i32>(results + <usize>k * LOOKUP_BATCH_STRIDE, B_SLOT));
  return count;
}
