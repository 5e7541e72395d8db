// Lexical path rules shared by every kernel that names files: cleaning a tar entry name into a
// root-relative path, rejecting names that climb out of the root, and the OCI whiteout names.
// Pure functions over bytes in linear memory; no allocation.
//
//   cleanPath("./usr//bin/../lib/") → "usr/lib"      cleanPath("/../x") → PATH_ESCAPE
//   classifyPath("etc/.wh.passwd")  → WHITEOUT (hides "etc/passwd")

/** `..` would leave the root. */
export const PATH_ESCAPE: i32 = -1;
/** A whiteout name that names no sibling (`.wh.`, `.wh..`, `.wh...`) or is used as a directory. */
export const WHITEOUT_INVALID: i32 = -2;

/** An ordinary name. */
export const NAME_PLAIN: i32 = 0;
/** `DIR/.wh.NAME`: hides DIR/NAME in lower layers. */
export const NAME_WHITEOUT: i32 = 1;
/** `DIR/.wh..wh..opq`: hides DIR's lower children. */
export const NAME_OPAQUE: i32 = 2;
/** `.wh..wh.*` other than the opaque marker: aufs bookkeeping (hardlink store); never materialised. */
export const NAME_AUFS_META: i32 = 3;

const SLASH: u8 = 0x2f;
const DOT: u8 = 0x2e;

/**
 * Writes the cleaned form of `len` bytes at `src` to `dst` (which may equal `src`) and returns its
 * length, or PATH_ESCAPE. Leading `/` and `./` are stripped, empty and `.` components dropped,
 * `..` removes the previous component; the root is the empty path. Backslashes are ordinary bytes
 * (POSIX names), so `a\b` and `a/b` stay distinct.
 */
export function cleanPath(src: usize, len: i32, dst: usize): i32 {
  let out: i32 = 0;
  let i: i32 = 0;
  while (i < len) {
    while (i < len && load<u8>(src + <usize>i) == SLASH) i++;
    const start = i;
    while (i < len && load<u8>(src + <usize>i) != SLASH) i++;
    const n = i - start;
    if (n == 0) break;
    if (n == 1 && load<u8>(src + <usize>start) == DOT) continue;
    if (n == 2 && load<u8>(src + <usize>start) == DOT && load<u8>(src + <usize>start + 1) == DOT) {
      if (out == 0) return PATH_ESCAPE;
      out--;
      while (out > 0 && load<u8>(dst + <usize>out) != SLASH) out--;
      continue;
    }
    if (out > 0) store<u8>(dst + <usize>(out++), SLASH);
    // in place and nothing dropped so far: the component is where it belongs already. Otherwise
    // copy by hand: names are short, and V8 runs memory.copy as a call costing ~40 ns each
    if (dst + <usize>out != src + <usize>start) {
      for (let k = 0; k < n; k++) store<u8>(dst + <usize>(out + k), load<u8>(src + <usize>(start + k)));
    }
    out += n;
  }
  return out;
}

/** The offset of the last component of a cleaned path (0 when it has one component). */
export function baseOffset(path: usize, len: i32): i32 {
  let i = len - 1;
  while (i >= 0 && load<u8>(path + <usize>i) != SLASH) i--;
  return i + 1;
}

/** The length of the parent of a cleaned path (0 for a top-level name: the parent is the root). */
export function parentLength(path: usize, len: i32): i32 {
  const base = baseOffset(path, len);
  return base == 0 ? 0 : base - 1;
}

@inline function startsWithWh(p: usize, n: i32): bool {
  return n >= 4 && load<u8>(p) == DOT && load<u8>(p + 1) == 0x77 && load<u8>(p + 2) == 0x68 && load<u8>(p + 3) == DOT;
}

/**
 * Classifies a cleaned path by its whiteout role. A `.wh.` prefix on a directory component, or a
 * whiteout naming `.`/`..`/nothing, is WHITEOUT_INVALID: such a layer is rejected rather than
 * guessed at (containerd and moby reject the same names).
 */
export function classifyPath(path: usize, len: i32): i32 {
  const base = baseOffset(path, len);
  // a whiteout prefix on any directory component
  let start = 0;
  while (start < base) {
    let end = start;
    while (load<u8>(path + <usize>end) != SLASH) end++;
    if (startsWithWh(path + <usize>start, end - start)) {
      return startsWithWh(path + <usize>start + 4, end - start - 4) ? NAME_AUFS_META : WHITEOUT_INVALID;
    }
    start = end + 1;
  }
  const p = path + <usize>base;
  const n = len - base;
  if (!startsWithWh(p, n)) return NAME_PLAIN;
  if (startsWithWh(p + 4, n - 4)) {
    // ".wh..wh..opq" is exactly 12 bytes
    if (n == 12 && load<u32>(p + 8) == 0x71706f2e) return NAME_OPAQUE; // ".opq"
    return NAME_AUFS_META;
  }
  const rest = n - 4;
  if (rest == 0) return WHITEOUT_INVALID;
  if (rest == 1 && load<u8>(p + 4) == DOT) return WHITEOUT_INVALID;
  if (rest == 2 && load<u8>(p + 4) == DOT && load<u8>(p + 5) == DOT) return WHITEOUT_INVALID;
  return NAME_WHITEOUT;
}

/** Byte order on paths with `/` below every other byte: a depth-first, name-sorted walk order. */
export function comparePaths(a: usize, aLen: i32, b: usize, bLen: i32): i32 {
  const n = aLen < bLen ? aLen : bLen;
  for (let i = 0; i < n; i++) {
    let x = <i32>load<u8>(a + <usize>i);
    let y = <i32>load<u8>(b + <usize>i);
    if (x != y) {
      if (x == SLASH) x = -1;
      if (y == SLASH) y = -1;
      return x - y;
    }
  }
  return aLen - bLen;
}
