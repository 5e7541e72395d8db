// Tree diff: two sorted entry tables → A / C / D records, with containerd's change rule.
//
// A tree is a table of fixed 72-byte entries (layout below) plus a byte arena holding paths,
// symlink targets and security.capability values. Entries are sorted in walk order: bytewise,
// with '/' below every other byte, so each directory's descendants follow it contiguously.
// The host turns any source (a merged index, one layer, a directory walk) into this form.
//
//   n = diffTrees(aEntries, aCount, aArena, bEntries, bCount, bArena, flags, out)
//   // out: n records of 16 bytes: kind u8 | pad | a index i32 | b index i32 | pad
//
// The kernel decides everything that metadata can decide. A regular file whose verdict rests on
// its bytes (both mtimes at whole seconds, or a --content comparison) comes back as MAYBE; the
// host compares the contents, which never enter WASM memory.

export const TREE_ENTRY_SIZE: usize = 72;
export const DIFF_RECORD_SIZE: usize = 16;

// Entry layout (offsets).
const PATH_OFF = 0; // u32, into the arena
const PATH_LEN = 4; // u32
const TYPE = 8; // u8: TYPE_*
const FLAGS = 9; // u8: ENTRY_HARDLINKED
const MODE = 12; // u32: permission bits + setuid/setgid/sticky
const UID = 16; // u32
const GID = 20; // u32
const SIZE = 24; // u64
const MTIME_SEC = 32; // i64
const MTIME_NSEC = 40; // u32
const DEV_MAJOR = 44; // u32
const DEV_MINOR = 48; // u32
const LINK_OFF = 52; // u32: symlink target
const LINK_LEN = 56; // u32
const CAP_OFF = 60; // u32: security.capability value
const CAP_LEN = 64; // u32, NO_VALUE when the xattr is absent

const NO_VALUE: u32 = 0xffffffff;
const TYPE_DIR: u8 = 1;
const TYPE_SYMLINK: u8 = 2;
const TYPE_FILE: u8 = 0;
const ENTRY_HARDLINKED: u8 = 1;

// Record kinds.
const KIND_ADDED: u8 = 1;
const KIND_CHANGED: u8 = 2;
const KIND_DELETED: u8 = 3;
/** A regular file whose content decides; the host compares the bytes. */
const KIND_MAYBE: u8 = 4;
/** Unchanged, but one name of a hard-linked inode (the layer writer needs these). */
const KIND_UNCHANGED_LINK: u8 = 5;

// Flags.
/** Compare content whenever sizes match, even when the mtimes say "unchanged". */
const FLAG_CONTENT: u32 = 2;
/** Ignore mtimes; then content decides whenever sizes match. */
const FLAG_IGNORE_MTIME: u32 = 4;
/** Report unchanged names of hard-linked inodes as KIND_UNCHANGED_LINK. */
const FLAG_REPORT_LINKS: u32 = 8;

const SLASH: u8 = 0x2f;

/** Walk-order comparison of two byte strings: '/' sorts below every other byte. */
@inline function walkKey(b: u32): u32 {
  return b == SLASH ? 0 : b + 1;
}

function comparePaths(p: usize, pLen: u32, q: usize, qLen: u32): i32 {
  const n = min<u32>(pLen, qLen);
  for (let k: u32 = 0; k < n; k++) {
    const x = <u32>load<u8>(p + k);
    const y = <u32>load<u8>(q + k);
    if (x != y) return walkKey(x) < walkKey(y) ? -1 : 1;
  }
  return pLen < qLen ? -1 : pLen > qLen ? 1 : 0;
}

function sameBytes(p: usize, q: usize, n: u32): bool {
  let k: u32 = 0;
  for (; k + 8 <= n; k += 8) if (load<u64>(p + k) != load<u64>(q + k)) return false;
  for (; k < n; k++) if (load<u8>(p + k) != load<u8>(q + k)) return false;
  return true;
}

/** True when entry `c` lies below directory entry `d` (same tree). */
function isBelow(c: usize, d: usize, arena: usize): bool {
  const dLen = load<u32>(d, PATH_LEN);
  const cLen = load<u32>(c, PATH_LEN);
  if (cLen <= dLen) return false;
  const cPath = arena + load<u32>(c, PATH_OFF);
  if (load<u8>(cPath + dLen) != SLASH) return false;
  return sameBytes(cPath, arena + load<u32>(d, PATH_OFF), dLen);
}

function sameValue(a: usize, aArena: usize, b: usize, bArena: usize, offAt: usize, lenAt: usize): bool {
  const aLen = load<u32>(a + lenAt);
  const bLen = load<u32>(b + lenAt);
  if (aLen != bLen) return false;
  if (aLen == NO_VALUE || aLen == 0) return true;
  return sameBytes(aArena + load<u32>(a + offAt), bArena + load<u32>(b + offAt), aLen);
}

/** containerd's sameFile: KIND_CHANGED, KIND_MAYBE or 0 (unchanged). */
function compareEntries(a: usize, aArena: usize, b: usize, bArena: usize, flags: u32): u8 {
  const type = load<u8>(a, TYPE);
  if (type != load<u8>(b, TYPE)) return KIND_CHANGED;
  if (load<u32>(a, MODE) != load<u32>(b, MODE)) return KIND_CHANGED;
  if (load<u32>(a, UID) != load<u32>(b, UID) || load<u32>(a, GID) != load<u32>(b, GID)) return KIND_CHANGED;
  if (load<u32>(a, DEV_MAJOR) != load<u32>(b, DEV_MAJOR) || load<u32>(a, DEV_MINOR) != load<u32>(b, DEV_MINOR)) return KIND_CHANGED;
  if (!sameValue(a, aArena, b, bArena, CAP_OFF, CAP_LEN)) return KIND_CHANGED;
  if (type == TYPE_DIR) return 0; // directories: size and times are not compared
  const size = load<u64>(a, SIZE);
  if (size != load<u64>(b, SIZE)) return KIND_CHANGED;
  if ((flags & FLAG_IGNORE_MTIME) == 0) {
    if (load<i64>(a, MTIME_SEC) != load<i64>(b, MTIME_SEC)) return KIND_CHANGED;
    const aNs = load<u32>(a, MTIME_NSEC);
    const bNs = load<u32>(b, MTIME_NSEC);
    const truncated = aNs == 0 && bNs == 0;
    if (!truncated) {
      if (aNs != bNs) return KIND_CHANGED;
      if ((flags & FLAG_CONTENT) == 0) return 0;
    }
  }
  // The content decides.
  if (type == TYPE_SYMLINK) return sameValue(a, aArena, b, bArena, LINK_OFF, LINK_LEN) ? 0 : KIND_CHANGED;
  if (size == 0 || type != TYPE_FILE) return 0;
  return KIND_MAYBE;
}

@inline function emit(out: usize, n: u32, kind: u8, ai: i32, bi: i32): u32 {
  const r = out + <usize>n * DIFF_RECORD_SIZE;
  store<u8>(r, kind);
  store<i32>(r, ai, 4);
  store<i32>(r, bi, 8);
  return n + 1;
}

/** Index of the first entry after `i` that is not below entry `i` (skips a subtree). */
function skipSubtree(entries: usize, count: u32, arena: usize, i: u32): u32 {
  const d = entries + <usize>i * TREE_ENTRY_SIZE;
  let k = i + 1;
  while (k < count && isBelow(entries + <usize>k * TREE_ENTRY_SIZE, d, arena)) k++;
  return k;
}

/**
 * The double walk. Writes at most aCount + bCount records to `out` and returns their number,
 * in walk order. Deleted directories are one record; a directory replaced by a non-directory
 * hides its old children; a non-directory replaced by a directory is followed by its new
 * children as added.
 */
export function diffTrees(
  aEntries: usize, aCount: u32, aArena: usize,
  bEntries: usize, bCount: u32, bArena: usize,
  flags: u32, out: usize,
): u32 {
  let i: u32 = 0;
  let j: u32 = 0;
  let n: u32 = 0;
  while (i < aCount || j < bCount) {
    const a = aEntries + <usize>i * TREE_ENTRY_SIZE;
    const b = bEntries + <usize>j * TREE_ENTRY_SIZE;
    let order: i32;
    if (i >= aCount) order = 1;
    else if (j >= bCount) order = -1;
    else order = comparePaths(aArena + load<u32>(a, PATH_OFF), load<u32>(a, PATH_LEN), bArena + load<u32>(b, PATH_OFF), load<u32>(b, PATH_LEN));
    if (order < 0) {
      n = emit(out, n, KIND_DELETED, <i32>i, -1);
      i = load<u8>(a, TYPE) == TYPE_DIR ? skipSubtree(aEntries, aCount, aArena, i) : i + 1;
    } else if (order > 0) {
      n = emit(out, n, KIND_ADDED, -1, <i32>j);
      j++;
    } else {
      const verdict = compareEntries(a, aArena, b, bArena, flags);
      if (verdict != 0) n = emit(out, n, verdict, <i32>i, <i32>j);
      else if ((flags & FLAG_REPORT_LINKS) != 0 && (load<u8>(b, FLAGS) & ENTRY_HARDLINKED) != 0) n = emit(out, n, KIND_UNCHANGED_LINK, <i32>i, <i32>j);
      const wasDir = load<u8>(a, TYPE) == TYPE_DIR;
      i = wasDir && load<u8>(b, TYPE) != TYPE_DIR ? skipSubtree(aEntries, aCount, aArena, i) : i + 1;
      j++;
    }
  }
  return n;
}
