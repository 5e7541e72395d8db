// Pure tar codec functions over raw memory: one 512-byte header block's fields, checksums and
// format magic, and the number syntaxes of headers and pax records. No state except the parse
// error flag (`numErr`), which mirrors Go archive/tar's `parser.err` and is reset by the caller.
//
//   numErr = false; const size = parseNumeric(block + 124, 12); if (numErr) … // invalid header

export const BLOCK: usize = 512;

export const FORMAT_UNKNOWN: u32 = 0;
export const FORMAT_V7: u32 = 1;
export const FORMAT_USTAR: u32 = 2; // also pax
export const FORMAT_GNU: u32 = 3;
export const FORMAT_STAR: u32 = 4;

// Field offsets (V7, ustar, GNU, star) as in Go's format.go.
export const H_NAME: usize = 0;
export const H_MODE: usize = 100;
export const H_UID: usize = 108;
export const H_GID: usize = 116;
export const H_SIZE: usize = 124;
export const H_MTIME: usize = 136;
export const H_CHKSUM: usize = 148;
export const H_TYPEFLAG: usize = 156;
export const H_LINKNAME: usize = 157;
export const H_MAGIC: usize = 257;
export const H_VERSION: usize = 263;
export const H_UNAME: usize = 265;
export const H_GNAME: usize = 297;
export const H_DEVMAJOR: usize = 329;
export const H_DEVMINOR: usize = 337;
export const H_PREFIX: usize = 345;
export const GNU_ATIME: usize = 345;
export const GNU_CTIME: usize = 357;
export const GNU_SPARSE: usize = 386;
export const GNU_IS_EXTENDED: usize = 482;
export const GNU_REAL_SIZE: usize = 483;
export const STAR_ATIME: usize = 476;
export const STAR_CTIME: usize = 488;
export const STAR_TRAILER: usize = 508;

/** Set by the parse functions when a field is malformed (Go's parser.err). */
export let numErr = false;
export function clearNumErr(): void {
  numErr = false;
}
export function setNumErr(): void {
  numErr = true;
}

/** Is the 512-byte block all zeros? */
export function isZeroBlock(b: usize): bool {
  for (let i: usize = 0; i < BLOCK; i += 8) if (load<u64>(b + i) != 0) return false;
  return true;
}

/** Length of the C string in a field: up to the first NUL (Go's parseString). */
export function cstrLen(p: usize, len: usize): usize {
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) == 0) return i;
  return len;
}

export function isAscii(p: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) >= 0x80) return false;
  return true;
}

/** Octal with leading/trailing spaces and NULs trimmed (Go's parseOctal); sets numErr on bad input. */
export function parseOctal(p: usize, len: usize): i64 {
  // One pass with Go's meaning: trim spaces and NULs at both ends, cut at the first NUL, then
  // every byte must be an octal digit. So after the digits only a NUL (anything may follow it)
  // or trailing padding of spaces and NULs may come.
  let i: usize = 0;
  while (i < len) {
    const c = load<u8>(p + i);
    if (c != 0x20 && c != 0) break;
    i++;
  }
  let x: u64 = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(p + i) - 0x30;
    if (c > 7) break;
    if (x >> 61 != 0) {
      numErr = true; // ParseUint range error: Go returns the max value and an error
      return -1;
    }
    x = (x << 3) | <u64>c;
  }
  if (i < len && load<u8>(p + i) != 0) {
    // a space ends the number only if nothing but spaces and NULs follow it
    for (let k = i; k < len; k++) {
      const c = load<u8>(p + k);
      if (c != 0x20 && c != 0) {
        numErr = true;
        return 0;
      }
    }
  }
  return <i64>x;
}

/** Base-256 (two's complement, high bit set) or octal (Go's parseNumeric). */
export function parseNumeric(p: usize, len: usize): i64 {
  if (len == 0) return 0;
  const first = load<u8>(p);
  if ((first & 0x80) == 0) return parseOctal(p, len);
  const inv: u8 = (first & 0x40) != 0 ? 0xff : 0;
  let x: u64 = 0;
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(p + i) ^ inv;
    if (i == 0) c &= 0x7f;
    if (x >> 56 != 0) {
      numErr = true;
      return 0;
    }
    x = (x << 8) | <u64>c;
  }
  if (x >> 63 != 0) {
    numErr = true;
    return 0;
  }
  return inv == 0xff ? ~<i64>x : <i64>x;
}

/** The format of a header block by checksum and magic (Go's getFormat): FORMAT_UNKNOWN if the checksum fails. */
export function headerFormat(b: usize): u32 {
  numErr = false;
  const value = parseOctal(b + H_CHKSUM, 8);
  const bad = numErr;
  numErr = false;
  let unsigned: i64 = 0;
  let signed: i64 = 0;
  if (ASC_FEATURE_SIMD) {
    // Sum all 512 bytes both ways 16 at a time, then count the checksum field as spaces.
    let su = i32x4.splat(0);
    let ss = i32x4.splat(0);
    for (let i: usize = 0; i < BLOCK; i += 16) {
      const v = v128.load(b + i);
      su = i32x4.add(su, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)));
      ss = i32x4.add(ss, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v)));
    }
    unsigned = <i64>(i32x4.extract_lane(su, 0) + i32x4.extract_lane(su, 1) + i32x4.extract_lane(su, 2) + i32x4.extract_lane(su, 3));
    signed = <i64>(i32x4.extract_lane(ss, 0) + i32x4.extract_lane(ss, 1) + i32x4.extract_lane(ss, 2) + i32x4.extract_lane(ss, 3));
    for (let i = H_CHKSUM; i < H_CHKSUM + 8; i++) {
      const c = load<u8>(b + i);
      unsigned += 0x20 - <i64>c;
      signed += 0x20 - <i64><i8>c;
    }
  } else {
    for (let i: usize = 0; i < BLOCK; i++) {
      let c = load<u8>(b + i);
      if (i >= H_CHKSUM && i < H_CHKSUM + 8) c = 0x20;
      unsigned += <i64>c;
      signed += <i64><i8>c;
    }
  }
  if (bad || (value != unsigned && value != signed)) return FORMAT_UNKNOWN;
  // magic "ustar\0" + version any; "ustar " + " \0" is GNU; star adds "tar\0" at 508.
  const m0 = load<u32>(b + H_MAGIC); // "usta"
  const m4 = load<u16>(b + H_MAGIC + 4);
  if (m0 == 0x61747375) {
    if (m4 == 0x0072) return load<u32>(b + STAR_TRAILER) == 0x00726174 ? FORMAT_STAR : FORMAT_USTAR;
    if (m4 == 0x2072 && load<u16>(b + H_VERSION) == 0x0020) return FORMAT_GNU;
  }
  return FORMAT_V7;
}

/** Go's strconv.ParseInt(s, 10, 64) (sign allowed, no underscores); sets numErr on failure. */
export function parseDecimal(p: usize, len: usize): i64 {
  if (len == 0) {
    numErr = true;
    return 0;
  }
  let i: usize = 0;
  let negative = false;
  const c0 = load<u8>(p);
  if (c0 == 0x2b || c0 == 0x2d) {
    negative = c0 == 0x2d;
    i = 1;
    if (len == 1) {
      numErr = true;
      return 0;
    }
  }
  let x: u64 = 0;
  for (; i < len; i++) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) {
      numErr = true;
      return 0;
    }
    if (x > 922337203685477580 || (x == 922337203685477580 && d > (negative ? <u32>8 : <u32>7))) {
      numErr = true;
      return 0;
    }
    x = x * 10 + <u64>d;
  }
  return negative ? -<i64>x : <i64>x;
}

/** Go's parsePAXTime: "sec[.frac]" → seconds (floored) and nanoseconds; sets numErr on failure. */
export let paxNsec: u32 = 0;
export function parsePaxTime(p: usize, len: usize): i64 {
  let dot = len;
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) == 0x2e) { dot = i; break; }
  const secs = parseDecimal(p, dot);
  paxNsec = 0;
  if (numErr) return 0;
  if (dot + 1 >= len) return secs; // no fraction, or "12." with an empty one: whole seconds, as Go
  let nsec: u32 = 0;
  let digits: u32 = 0;
  for (let i = dot + 1; i < len; i++) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) {
      numErr = true;
      return 0;
    }
    if (digits < 9) {
      nsec = nsec * 10 + d;
      digits++;
    }
  }
  for (; digits < 9; digits++) nsec *= 10;
  if (dot > 0 && load<u8>(p) == 0x2d && nsec > 0) {
    paxNsec = 1000000000 - nsec; // time.Unix(secs, -nsec) normalises to a floor
    return secs - 1;
  }
  paxNsec = nsec;
  return secs;
}

/** Bytes of zero padding after `size` bytes of data. */
@inline export function blockPadding(size: u64): u64 {
  return (BLOCK - <usize>(size & 511)) & 511;
}

/** Header-only types in Go: their size field does not announce data. */
@inline export function isHeaderOnly(flag: u8): bool {
  return flag >= 0x31 && flag <= 0x36;
}

/** Does `p, len` equal the ASCII string `s`? */
export function bytesEqual(p: usize, len: usize, s: string): bool {
  if (<usize>s.length != len) return false;
  for (let i: usize = 0; i < len; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(<i32>i)) return false;
  return true;
}

export function startsWith(p: usize, len: usize, s: string): bool {
  if (<usize>s.length > len) return false;
  return bytesEqual(p, <usize>s.length, s);
}
