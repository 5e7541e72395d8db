// The tar reader's context (one per stream) and its growable buffers, plus pax record parsing
// and lookup. The first 80 bytes are results the host reads at fixed offsets (src/core/tar.ts).
//
//   const t = changetype<Tar>(ctx); if (!parsePax(t)) … ; if (paxHasValue(t, "path")) use VALUE_PTR/VALUE_LEN
import { sha256Update } from './sha256';
import { numErr, clearNumErr, parseDecimal } from './tar-codec';

@unmanaged export class Tar {
  // ---- results, read by the host ----
  event: u32 = 0;       // 0
  dataPtr: u32 = 0;     // 4  bytes of the last data event
  dataLen: u32 = 0;     // 8
  errorCode: u32 = 0;   // 12
  errorPhase: u32 = 0;  // 16
  errorEntry: u32 = 0;  // 20
  errorOffset: u64 = 0; // 24
  streamPos: u64 = 0;   // 32 bytes consumed
  table: u32 = 0;       // 40 entry table
  buffer: u32 = 0;      // 44 input buffer (TAR_BUFFER_SIZE)
  d0: u64 = 0;          // 48..80 sha256 of the stream, after tarFinish
  d1: u64 = 0;
  d2: u64 = 0;
  d3: u64 = 0;
  // ---- machine ----
  flags: u32 = 0;
  state: u32 = 0;
  bufLen: u32 = 0;
  bufPos: u32 = 0;
  block: u32 = 0;
  blockFill: u32 = 0;
  zeroSeen: u32 = 0;
  pad: u32 = 0;
  remaining: u64 = 0;   // bytes left in the current data or meta section
  entries: u32 = 0;     // entries returned so far
  format: u32 = 0;
  metaKind: u32 = 0;
  scratch: u32 = 0;     // header name/link/uname/gname copies
  finalDone: u32 = 0;
  // growable buffers: (ptr, len, cap) triplets, see reserveBuf
  meta: u32 = 0;        // content of the x/g/L/K header being read
  metaLen: u32 = 0;
  metaCap: u32 = 0;
  pax: u32 = 0;         // content of the pending x header (records point into it)
  paxLen: u32 = 0;
  paxCap: u32 = 0;
  recs: u32 = 0;        // records: (keyPtr, keyLen, valuePtr, valueLen) × u32
  recsLen: u32 = 0;
  recsCap: u32 = 0;
  smap: u32 = 0;        // GNU.sparse.map built from pax 0.0 offset/numbytes records
  smapLen: u32 = 0;
  smapCap: u32 = 0;
  longName: u32 = 0;
  longNameLen: u32 = 0;
  longNameCap: u32 = 0;
  longLink: u32 = 0;
  longLinkLen: u32 = 0;
  longLinkCap: u32 = 0;
  sparse: u32 = 0;      // regions: (offset i64, length i64)
  sparseLen: u32 = 0;
  sparseCap: u32 = 0;
  sparseValues: u32 = 0; // pax 0.0 offset/numbytes values seen
  // hashing
  streamHash: u32 = 0;
  fileHash: u32 = 0;
  hashingFile: u32 = 0;
  // the entry being resolved
  typeflag: u32 = 0;
  hnameLen: u32 = 0;
  hlinkLen: u32 = 0;
  hunameLen: u32 = 0;
  hgnameLen: u32 = 0;
  namePtr: u32 = 0;
  nameLen: u32 = 0;
  linkPtr: u32 = 0;
  linkLen: u32 = 0;
  unamePtr: u32 = 0;
  unameLen: u32 = 0;
  gnamePtr: u32 = 0;
  gnameLen: u32 = 0;
  mtimeNsec: u32 = 0;
  atimeNsec: u32 = 0;
  ctimeNsec: u32 = 0;
  hasAtime: u32 = 0;
  hasCtime: u32 = 0;
  isSparse: u32 = 0;
  record: u32 = 0;      // table index of the entry whose data flows
  size: i64 = 0;
  mode: i64 = 0;
  uid: i64 = 0;
  gid: i64 = 0;
  mtime: i64 = 0;
  atime: i64 = 0;
  ctime: i64 = 0;
  devmajor: i64 = 0;
  devminor: i64 = 0;
  physical: u64 = 0;    // data bytes in the archive
  needed: u64 = 0;      // sparse: sum of region lengths
  // sparse content walk (hashing) and the 1.0 map parse
  fragIndex: u32 = 0;
  fragUsed: u64 = 0;
  logical: u64 = 0;
  mapTokens: u32 = 0;   // tokens parsed so far
  mapWant: u32 = 0;     // tokens wanted (1 + 2n once n is known)
  tokVal: u64 = 0;
  tokLen: u32 = 0;
  tokNeg: u32 = 0;
  tokBad: u32 = 0;
  pendingOffset: i64 = 0;
}

/** Grows the buffer whose (ptr, len, cap) u32 fields are at `f` to hold `more` bytes past len. */
export function reserveBuf(f: usize, more: u32): bool {
  const len = <u64>load<u32>(f, 4);
  let cap = <u64>load<u32>(f, 8);
  const need = len + <u64>more;
  if (need <= cap && load<u32>(f) != 0) return true;
  if (need > 0x7fff0000) return false;
  if (cap < 256) cap = 256;
  while (cap < need) cap <<= 1;
  const old = <usize>load<u32>(f);
  store<u32>(f, <u32>(old == 0 ? heap.alloc(<usize>cap) : heap.realloc(old, <usize>cap)));
  store<u32>(f, <u32>cap, 8);
  return true;
}

@inline function field(t: Tar, offset: usize): usize {
  return changetype<usize>(t) + offset;
}

function pushRecord(t: Tar, key: usize, keyLen: u32, value: usize, valueLen: u32): bool {
  const f = field(t, offsetof<Tar>('recs'));
  if (!reserveBuf(f, 16)) return false;
  const at = <usize>t.recs + <usize>t.recsLen;
  store<u32>(at, <u32>key);
  store<u32>(at, keyLen, 4);
  store<u32>(at, <u32>value, 8);
  store<u32>(at, valueLen, 12);
  t.recsLen += 16;
  return true;
}

@inline export function recordCount(t: Tar): u32 {
  return t.recsLen >> 4;
}
@inline export function recordAt(t: Tar, i: u32): usize {
  return <usize>t.recs + (<usize>i << 4);
}

const KEY_SPARSE_MAP = memory.data<u8>([0x47, 0x4e, 0x55, 0x2e, 0x73, 0x70, 0x61, 0x72, 0x73, 0x65, 0x2e, 0x6d, 0x61, 0x70]); // "GNU.sparse.map"

@inline function indexOf(p: usize, len: usize, c: u8): isize {
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) == c) return <isize>i;
  return -1;
}

/**
 * Parses the pending pax content (t.pax, t.paxLen) into records, as Go's parsePAX: each record
 * "%d %s=%s\n" with a length that covers it exactly; GNU.sparse.offset/numbytes pairs (format 0.0)
 * become one GNU.sparse.map record. False when a record is malformed.
 */
export function parsePax(t: Tar): bool {
  t.recsLen = 0;
  t.smapLen = 0;
  t.sparseValues = 0;
  let s = <usize>t.pax;
  let rem = <usize>t.paxLen;
  while (rem > 0) {
    const sp = indexOf(s, rem, 0x20);
    if (sp < 0) return false;
    clearNumErr();
    const n = parseDecimal(s, <usize>sp);
    if (numErr || n < 5 || <u64>n > <u64>rem) return false;
    const afterSpace = <usize>sp + 1;
    const newline = <usize>n - 1;
    if (afterSpace >= newline || load<u8>(s + newline) != 0x0a) return false;
    const rec = s + afterSpace;
    const recLen = newline - afterSpace;
    const eq = indexOf(rec, recLen, 0x3d);
    if (eq <= 0) return false; // no '=' or an empty key
    const key = rec;
    const keyLen = <u32>eq;
    const value = rec + <usize>eq + 1;
    const valueLen = <u32>(recLen - <usize>eq - 1);
    // Go's validPAXRecord: no NUL in path/linkpath/uname/gname values, nor in any key.
    if (isNameKey(key, keyLen)) {
      if (indexOf(value, valueLen, 0) >= 0) return false;
    } else if (indexOf(key, keyLen, 0) >= 0) return false;
    const isOffset = keyIs(key, keyLen, 'GNU.sparse.offset');
    if (isOffset || keyIs(key, keyLen, 'GNU.sparse.numbytes')) {
      const even = (t.sparseValues & 1) == 0;
      if (even != isOffset || indexOf(value, valueLen, 0x2c) >= 0) return false;
      const f = field(t, offsetof<Tar>('smap'));
      if (!reserveBuf(f, valueLen + 1)) return false;
      if (t.sparseValues > 0) {
        store<u8>(<usize>t.smap + <usize>t.smapLen, 0x2c);
        t.smapLen++;
      }
      memory.copy(<usize>t.smap + <usize>t.smapLen, value, valueLen);
      t.smapLen += valueLen;
      t.sparseValues++;
    } else if (!pushRecord(t, key, keyLen, value, valueLen)) return false;
    s += <usize>n;
    rem -= <usize>n;
  }
  if (t.sparseValues > 0 && !pushRecord(t, KEY_SPARSE_MAP, 14, <usize>t.smap, t.smapLen)) return false;
  return true;
}

function isNameKey(key: usize, len: u32): bool {
  return keyIs(key, len, 'path') || keyIs(key, len, 'linkpath') || keyIs(key, len, 'uname') || keyIs(key, len, 'gname');
}

function keyIs(p: usize, len: u32, s: string): bool {
  if (<u32>s.length != len) return false;
  for (let i: u32 = 0; i < len; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(<i32>i)) return false;
  return true;
}

/** Set by paxValue: the value of the last record with the key (Go's map: a later record wins). */
export let VALUE_PTR: usize = 0;
export let VALUE_LEN: u32 = 0;

/** Finds the last record with `key`; false (and an empty value) when there is none. */
export function paxValue(t: Tar, key: string): bool {
  VALUE_PTR = 0;
  VALUE_LEN = 0;
  for (let i = <i32>recordCount(t) - 1; i >= 0; i--) {
    const r = recordAt(t, <u32>i);
    if (keyIs(<usize>load<u32>(r), load<u32>(r, 4), key)) {
      VALUE_PTR = <usize>load<u32>(r, 8);
      VALUE_LEN = load<u32>(r, 12);
      return true;
    }
  }
  return false;
}

/** Is there a record with `key` and a non-empty value (Go's mergePAX skips empty values)? */
export function paxHasValue(t: Tar, key: string): bool {
  return paxValue(t, key) && VALUE_LEN > 0;
}

/** Is the value of `key` exactly `expected` (absent counts as "")? */
export function paxValueIs(t: Tar, key: string, expected: string): bool {
  paxValue(t, key);
  return keyIs(VALUE_PTR, VALUE_LEN, expected);
}

const ZEROS = memory.data(4096);

/** Hashes `n` zero bytes (sparse holes). */
export function hashZeros(ctx: usize, n: u64): void {
  while (n > 0) {
    const take = <u32>min<u64>(n, 4096);
    sha256Update(ctx, ZEROS, take);
    n -= <u64>take;
  }
}
