// The tar reader state machine: fed arbitrary chunks, it resolves headers exactly as Go's
// archive/tar Reader.Next does (v7, ustar, pax x/g, GNU L/K, old GNU and pax 0.0/0.1/1.0 sparse),
// records entries in an entry table (assembly/entries.ts), skips or hands out contents, and
// hashes the stream (diffID) and, on request, each file's logical content. Header field codecs
// are pure functions in tar-codec.ts; pax records in tar-pax.ts.
//
//   ctx = tarCreate(FLAG_INDEX | FLAG_HASH_STREAM); copy ≤ 1 MiB to the ctx buffer;
//   tarFeed(ctx, n) → EV_NEED_INPUT … ; tarFinish(ctx) → EV_END | EV_ERROR
import { sha256Init, sha256Update, sha256Final, SHA256_CONTEXT_SIZE } from './sha256';
import {
  entriesCreate, entriesAppend, entriesClear, arenaPush, arenaPushPrefixed, internName, metaBegin, metaItem, metaPax, entryAt,
  NONE, NAME_IN_META, TABLE_COUNT, TABLE_DIGESTS, E_SIZE, E_DATA_OFFSET, E_MTIME_SEC, E_MTIME_NSEC, E_MODE, E_UID, E_GID,
  E_PATH_OFF, E_PATH_LEN, E_LINK_REF, E_META_REF, E_UNAME, E_GNAME, E_TYPEFLAG, E_KIND, E_FLAGS, F_DIGEST, F_SPARSE, F_WIDE,
  M_UNAME, M_GNAME, M_ATIME, M_CTIME, M_DEVICE, M_WIDE, M_SPARSE,
} from './entries';
import {
  BLOCK, FORMAT_UNKNOWN, FORMAT_V7, FORMAT_USTAR, FORMAT_GNU, FORMAT_STAR, H_NAME, H_MODE, H_UID, H_GID, H_SIZE, H_MTIME,
  H_TYPEFLAG, H_LINKNAME, H_UNAME, H_GNAME, H_DEVMAJOR, H_DEVMINOR, H_PREFIX, GNU_ATIME, GNU_CTIME, GNU_SPARSE,
  GNU_IS_EXTENDED, GNU_REAL_SIZE, STAR_ATIME, STAR_CTIME, numErr, clearNumErr, setNumErr, isZeroBlock, cstrLen, isAscii,
  parseNumeric, headerFormat, parseDecimal, parsePaxTime, paxNsec, blockPadding, isHeaderOnly,
} from './tar-codec';
import { Tar, reserveBuf, parsePax, paxValue, paxHasValue, paxValueIs, VALUE_PTR, VALUE_LEN, recordCount, recordAt, hashZeros } from './tar-state';

export const TAR_BUFFER_SIZE: usize = 1 << 20;

export const FLAG_INDEX: u32 = 1;
export const FLAG_HASH_FILES: u32 = 2;
export const FLAG_HASH_STREAM: u32 = 4;

const EV_NEED_INPUT: u32 = 0;
const EV_ENTRY: u32 = 1;
const EV_DATA: u32 = 2;
const EV_END: u32 = 3;
const EV_ERROR: u32 = 4;

const ST_HEADER: u32 = 0;
const ST_DATA: u32 = 1;
const ST_PAD: u32 = 2;
const ST_META: u32 = 3;
const ST_SPARSE_EXT: u32 = 4;
const ST_SPARSE_MAP: u32 = 5;
const ST_END: u32 = 6;
const ST_ERROR: u32 = 7;

// Error numbers (src/core/tar.ts maps them to TarError codes).
const ERR_HEADER: u32 = 0;
const ERR_CHECKSUM: u32 = 1;
const ERR_ZERO_THEN_DATA: u32 = 2;
const ERR_PAX: u32 = 3;
const ERR_SPARSE: u32 = 4;
const ERR_TOO_LONG: u32 = 5;
const ERR_NEGATIVE: u32 = 6;
const ERR_TRUNCATED: u32 = 7;
const ERR_LIMIT: u32 = 8;

const PHASE_HEADER: u32 = 0;
const PHASE_DATA: u32 = 1;

/** Pax headers and GNU long names larger than this are refused (Go's maxSpecialFileSize). */
const MAX_SPECIAL: i64 = 1 << 20;
/** Sparse maps with more regions are refused (bounded memory for hostile maps). */
const MAX_SPARSE: u32 = 1 << 18;

const T_X: u8 = 0x78;
const T_G: u8 = 0x67;
const T_L: u8 = 0x4c;
const T_K: u8 = 0x4b;
const T_S: u8 = 0x53;

export function tarCreate(flags: u32): usize {
  const ctx = heap.alloc(offsetof<Tar>());
  memory.fill(ctx, 0, offsetof<Tar>());
  const t = changetype<Tar>(ctx);
  assert(offsetof<Tar>('table') == 40 && offsetof<Tar>('d0') == 48, 'Tar result layout');
  const index = (flags & FLAG_INDEX) != 0;
  t.flags = flags;
  t.table = <u32>entriesCreate(index ? 1024 : 16, index ? 65536 : 4096, 1024, (flags & FLAG_HASH_FILES) != 0);
  t.buffer = <u32>heap.alloc(TAR_BUFFER_SIZE);
  t.block = <u32>heap.alloc(BLOCK);
  t.scratch = <u32>heap.alloc(1024);
  t.streamHash = <u32>heap.alloc(SHA256_CONTEXT_SIZE);
  t.fileHash = <u32>heap.alloc(SHA256_CONTEXT_SIZE);
  sha256Init(t.streamHash);
  return ctx;
}

/**
 * Makes a context ready for a new stream, keeping its buffers (so a pool of contexts allocates
 * nothing per stream). With `freshTable` the old table is left to its owner and a new one is made;
 * otherwise the old table is emptied in place.
 */
export function tarReset(ctx: usize, flags: u32, freshTable: bool): void {
  const t = changetype<Tar>(ctx);
  const table = t.table, buffer = t.buffer, block = t.block, scratch = t.scratch, streamHash = t.streamHash, fileHash = t.fileHash;
  const meta = t.meta, metaCap = t.metaCap, pax = t.pax, paxCap = t.paxCap, recs = t.recs, recsCap = t.recsCap;
  const smap = t.smap, smapCap = t.smapCap, longName = t.longName, longNameCap = t.longNameCap;
  const longLink = t.longLink, longLinkCap = t.longLinkCap, sparse = t.sparse, sparseCap = t.sparseCap;
  memory.fill(ctx, 0, offsetof<Tar>());
  t.table = table; t.buffer = buffer; t.block = block; t.scratch = scratch; t.streamHash = streamHash; t.fileHash = fileHash;
  t.meta = meta; t.metaCap = metaCap; t.pax = pax; t.paxCap = paxCap; t.recs = recs; t.recsCap = recsCap;
  t.smap = smap; t.smapCap = smapCap; t.longName = longName; t.longNameCap = longNameCap;
  t.longLink = longLink; t.longLinkCap = longLinkCap; t.sparse = sparse; t.sparseCap = sparseCap;
  t.flags = flags;
  const index = (flags & FLAG_INDEX) != 0;
  const digests = (flags & FLAG_HASH_FILES) != 0;
  if (freshTable || (digests && load<u32>(<usize>table + TABLE_DIGESTS) == 0)) {
    t.table = <u32>entriesCreate(index ? 1024 : 16, index ? 65536 : 4096, 1024, digests);
  } else {
    entriesClear(<usize>table);
  }
  sha256Init(<usize>t.streamHash);
}

export function tarFree(ctx: usize): void {
  const t = changetype<Tar>(ctx);
  // Growable buffers were allocated last, in no fixed order; the stub allocator reclaims what it can.
  if (t.sparse != 0) heap.free(<usize>t.sparse);
  if (t.longLink != 0) heap.free(<usize>t.longLink);
  if (t.longName != 0) heap.free(<usize>t.longName);
  if (t.smap != 0) heap.free(<usize>t.smap);
  if (t.recs != 0) heap.free(<usize>t.recs);
  if (t.pax != 0) heap.free(<usize>t.pax);
  if (t.meta != 0) heap.free(<usize>t.meta);
  heap.free(<usize>t.fileHash);
  heap.free(<usize>t.streamHash);
  heap.free(<usize>t.scratch);
  heap.free(<usize>t.block);
  heap.free(<usize>t.buffer);
  heap.free(ctx);
}

@inline function consume(t: Tar, n: u32): void {
  t.bufPos += n;
  t.streamPos += <u64>n;
}

function fail(t: Tar, code: u32, phase: u32): u32 {
  t.errorCode = code;
  t.errorPhase = phase;
  t.errorEntry = phase == PHASE_DATA ? t.entries - 1 : t.entries;
  t.errorOffset = t.streamPos;
  t.state = ST_ERROR;
  return EV_ERROR;
}

/** Runs the machine over the buffer: `loaded` new bytes (0 to continue with what is left). */
export function tarFeed(ctx: usize, loaded: u32): u32 {
  const t = changetype<Tar>(ctx);
  if (loaded > 0) {
    t.bufLen = loaded;
    t.bufPos = 0;
    if ((t.flags & FLAG_HASH_STREAM) != 0 && t.state != ST_ERROR) sha256Update(<usize>t.streamHash, <usize>t.buffer, loaded);
  }
  return (t.event = run(t));
}

/**
 * Skips up to `max` bytes of the current entry's data without reading them (a seekable source
 * jumps ahead by the returned count): only in the middle of an entry's data, with every loaded
 * byte consumed and nothing being hashed. Returns the bytes skipped (0 when it may not skip).
 * f64 carries the count: exact to 2^53, and no BigInt at the boundary.
 */
export function tarSkipData(ctx: usize, max: f64): f64 {
  const t = changetype<Tar>(ctx);
  if (t.state != ST_DATA || t.bufPos != t.bufLen || t.hashingFile != 0 || (t.flags & FLAG_HASH_STREAM) != 0 || !(max > 0)) return 0;
  const skip = min<u64>(t.remaining, <u64>max);
  t.remaining -= skip;
  t.streamPos += skip;
  return <f64>skip;
}

function run(t: Tar): u32 {
  for (;;) {
    const state = t.state;
    const avail = t.bufLen - t.bufPos;
    const p = <usize>t.buffer + <usize>t.bufPos;
    if (state == ST_ERROR) return EV_ERROR;
    if (state == ST_END) {
      consume(t, avail);
      return EV_END;
    }
    if (state == ST_DATA) {
      if (t.remaining == 0) {
        if (dataDone(t) == EV_ERROR) return EV_ERROR;
        continue;
      }
      if (avail == 0) return EV_NEED_INPUT;
      const take = <u32>min<u64>(t.remaining, <u64>avail);
      if (t.hashingFile != 0) hashContent(t, p, take);
      consume(t, take);
      t.remaining -= <u64>take;
      if ((t.flags & FLAG_INDEX) == 0) {
        t.dataPtr = <u32>p;
        t.dataLen = take;
        return EV_DATA;
      }
      continue;
    }
    if (state == ST_PAD) {
      if (t.pad == 0) {
        t.state = ST_HEADER;
        continue;
      }
      if (avail == 0) return EV_NEED_INPUT;
      const take = min<u32>(t.pad, avail);
      consume(t, take);
      t.pad -= take;
      continue;
    }
    if (state == ST_META) {
      if (t.remaining == 0) {
        const ev = metaDone(t);
        if (ev != EV_NEED_INPUT) return ev;
        continue;
      }
      if (avail == 0) return EV_NEED_INPUT;
      const take = <u32>min<u64>(t.remaining, <u64>avail);
      const f = changetype<usize>(t) + offsetof<Tar>('meta');
      if (!reserveBuf(f, take)) return fail(t, ERR_LIMIT, PHASE_HEADER);
      memory.copy(<usize>t.meta + <usize>t.metaLen, p, take);
      t.metaLen += take;
      consume(t, take);
      t.remaining -= <u64>take;
      continue;
    }
    // ST_HEADER, ST_SPARSE_EXT, ST_SPARSE_MAP: whole 512-byte blocks.
    if (avail == 0) return EV_NEED_INPUT;
    let ev: u32;
    if (t.blockFill == 0 && avail >= <u32>BLOCK) {
      // Common case: the block is whole in the buffer; parse it in place via a copy-free pointer.
      memory.copy(<usize>t.block, p, BLOCK);
      consume(t, <u32>BLOCK);
    } else {
      const take = min<u32>(<u32>BLOCK - t.blockFill, avail);
      memory.copy(<usize>t.block + <usize>t.blockFill, p, take);
      consume(t, take);
      t.blockFill += take;
      if (t.blockFill < <u32>BLOCK) return EV_NEED_INPUT;
      t.blockFill = 0;
    }
    if (state == ST_HEADER) ev = onHeader(t);
    else if (state == ST_SPARSE_EXT) ev = onSparseExtension(t);
    else ev = onSparseMapBlock(t);
    if (ev != EV_NEED_INPUT) return ev;
  }
  return EV_NEED_INPUT;
}

/** The stream ended: a clean end, or an error when it stopped inside a header or an entry's data. */
export function tarFinish(ctx: usize): u32 {
  const t = changetype<Tar>(ctx);
  t.bufPos = t.bufLen;
  let ev: u32 = EV_END;
  const state = t.state;
  if (state == ST_ERROR) ev = EV_ERROR;
  else if (state == ST_HEADER) ev = t.blockFill == 0 ? EV_END : fail(t, ERR_TRUNCATED, PHASE_HEADER);
  else if (state == ST_DATA) {
    if (t.remaining > 0) ev = fail(t, ERR_TRUNCATED, PHASE_DATA);
    else if (dataDone(t) == EV_ERROR) ev = EV_ERROR;
  } else if (state == ST_META || state == ST_SPARSE_EXT || state == ST_SPARSE_MAP) ev = fail(t, ERR_TRUNCATED, PHASE_HEADER);
  // ST_PAD: Go reads the padding with tryReadFull, so an end inside it is a clean end.
  if (ev == EV_END) t.state = ST_END;
  if (t.finalDone == 0) {
    t.finalDone = 1;
    sha256Final(<usize>t.streamHash, changetype<usize>(t) + offsetof<Tar>('d0'));
  }
  return (t.event = ev);
}

// ---- headers ----

function onHeader(t: Tar): u32 {
  const b = <usize>t.block;
  if (isZeroBlock(b)) {
    if (t.zeroSeen != 0) {
      t.state = ST_END;
      return EV_NEED_INPUT;
    }
    t.zeroSeen = 1;
    return EV_NEED_INPUT;
  }
  if (t.zeroSeen != 0) return fail(t, ERR_ZERO_THEN_DATA, PHASE_HEADER);
  const format = headerFormat(b);
  if (format == FORMAT_UNKNOWN) return fail(t, ERR_CHECKSUM, PHASE_HEADER);
  t.format = format;
  clearNumErr();
  const s = <usize>t.scratch;
  t.typeflag = load<u8>(b + H_TYPEFLAG);
  t.size = parseNumeric(b + H_SIZE, 12);
  t.mode = parseNumeric(b + H_MODE, 8);
  t.uid = parseNumeric(b + H_UID, 8);
  t.gid = parseNumeric(b + H_GID, 8);
  t.mtime = parseNumeric(b + H_MTIME, 12);
  t.mtimeNsec = 0;
  t.hasAtime = 0;
  t.hasCtime = 0;
  t.devmajor = 0;
  t.devminor = 0;
  // Scratch: name at 0 (prefix/name ≤ 256), link at 512, uname at 640, gname at 704.
  let nameLen = <u32>cstrLen(b + H_NAME, 100);
  const linkLen = <u32>cstrLen(b + H_LINKNAME, 100);
  memory.copy(s + 512, b + H_LINKNAME, linkLen);
  let unameLen: u32 = 0;
  let gnameLen: u32 = 0;
  let prefixLen: u32 = 0;
  if (format > FORMAT_V7) {
    unameLen = <u32>cstrLen(b + H_UNAME, 32);
    gnameLen = <u32>cstrLen(b + H_GNAME, 32);
    memory.copy(s + 640, b + H_UNAME, unameLen);
    memory.copy(s + 704, b + H_GNAME, gnameLen);
    t.devmajor = parseNumeric(b + H_DEVMAJOR, 8);
    t.devminor = parseNumeric(b + H_DEVMINOR, 8);
    if (format == FORMAT_USTAR) {
      prefixLen = <u32>cstrLen(b + H_PREFIX, 155);
    } else if (format == FORMAT_STAR) {
      prefixLen = <u32>cstrLen(b + H_PREFIX, 131);
      t.atime = parseNumeric(b + STAR_ATIME, 12);
      t.ctime = parseNumeric(b + STAR_CTIME, 12);
      t.hasAtime = 1;
      t.hasCtime = 1;
      t.atimeNsec = 0;
      t.ctimeNsec = 0;
    } else if (format == FORMAT_GNU) {
      // Go parses GNU atime/ctime with a second parser: if they fail, it reads the field as a
      // pre-Go1.8 prefix instead (golang.org/issues/12594) and the header stays valid.
      const saved = numErr;
      clearNumErr();
      if (load<u8>(b + GNU_ATIME) != 0) {
        t.atime = parseNumeric(b + GNU_ATIME, 12);
        t.hasAtime = 1;
        t.atimeNsec = 0;
      }
      if (load<u8>(b + GNU_CTIME) != 0) {
        t.ctime = parseNumeric(b + GNU_CTIME, 12);
        t.hasCtime = 1;
        t.ctimeNsec = 0;
      }
      if (numErr) {
        t.hasAtime = 0;
        t.hasCtime = 0;
        const n = <u32>cstrLen(b + H_PREFIX, 155);
        if (isAscii(b + H_PREFIX, n)) prefixLen = n;
      }
      clearNumErr();
      if (saved) setNumErr();
    }
  }
  if (prefixLen > 0) {
    memory.copy(s, b + H_PREFIX, prefixLen);
    store<u8>(s + prefixLen, 0x2f);
    memory.copy(s + prefixLen + 1, b + H_NAME, nameLen);
    nameLen += prefixLen + 1;
  } else {
    memory.copy(s, b + H_NAME, nameLen);
  }
  t.hnameLen = nameLen;
  t.hlinkLen = linkLen;
  t.hunameLen = unameLen;
  t.hgnameLen = gnameLen;
  if (numErr) return fail(t, ERR_HEADER, PHASE_HEADER);

  // Go's first handleRegularFile: a negative size is an error for every type that has data.
  const flag = <u8>t.typeflag;
  const nb: i64 = isHeaderOnly(flag) ? 0 : t.size;
  if (nb < 0) return fail(t, ERR_NEGATIVE, PHASE_HEADER);
  if (flag == T_X || flag == T_G || flag == T_L || flag == T_K) {
    if (nb > MAX_SPECIAL) return fail(t, ERR_TOO_LONG, PHASE_HEADER);
    t.metaKind = flag;
    t.metaLen = 0;
    t.remaining = <u64>nb;
    t.pad = <u32>blockPadding(<u64>nb);
    t.state = ST_META;
    return EV_NEED_INPUT;
  }
  return resolveEntry(t);
}


// ---- meta headers (pax x/g, GNU L/K) ----

function swapBuffers(t: Tar, a: usize, b: usize): void {
  const base = changetype<usize>(t);
  for (let k: usize = 0; k < 12; k += 4) {
    const x = load<u32>(base + a + k);
    store<u32>(base + a + k, load<u32>(base + b + k));
    store<u32>(base + b + k, x);
  }
}

function metaDone(t: Tar): u32 {
  const kind = <u8>t.metaKind;
  t.state = ST_PAD;
  if (kind == T_X || kind == T_G) {
    // The pending records live in `pax`; a later x header replaces them wholly (Go: paxHdrs = …).
    swapBuffers(t, offsetof<Tar>('meta'), offsetof<Tar>('pax'));
    if (!parsePax(t)) return fail(t, ERR_PAX, PHASE_HEADER);
    if (kind == T_G) return emitGlobal(t);
    return EV_NEED_INPUT;
  }
  const len = <u32>cstrLen(<usize>t.meta, <usize>t.metaLen);
  if (kind == T_L) {
    swapBuffers(t, offsetof<Tar>('meta'), offsetof<Tar>('longName'));
    t.longNameLen = len;
  } else {
    swapBuffers(t, offsetof<Tar>('meta'), offsetof<Tar>('longLink'));
    t.longLinkLen = len;
  }
  return EV_NEED_INPUT;
}

/** A pax global header is an entry of its own in Go: its name (pax path wins) and records only. */
function emitGlobal(t: Tar): u32 {
  const s = <usize>t.scratch;
  t.namePtr = <u32>s;
  t.nameLen = t.hnameLen;
  if (paxHasValue(t, 'path')) {
    t.namePtr = <u32>VALUE_PTR;
    t.nameLen = VALUE_LEN;
  }
  t.linkLen = 0;
  t.unameLen = 0;
  t.gnameLen = 0;
  t.size = 0;
  t.mode = 0;
  t.uid = 0;
  t.gid = 0;
  t.mtime = 0;
  t.mtimeNsec = 0;
  t.hasAtime = 0;
  t.hasCtime = 0;
  t.devmajor = 0;
  t.devminor = 0;
  t.isSparse = 0;
  t.physical = 0;
  const ev = emit(t);
  t.longNameLen = 0; // next() returned: Go drops pending long names too
  t.longLinkLen = 0;
  return ev;
}

// ---- entries ----

/** Applies pax records and long names to the header just read (Go's mergePAX and the rest of next()). */
function resolveEntry(t: Tar): u32 {
  const s = <usize>t.scratch;
  t.namePtr = <u32>s;
  t.nameLen = t.hnameLen;
  t.linkPtr = <u32>(s + 512);
  t.linkLen = t.hlinkLen;
  t.unamePtr = <u32>(s + 640);
  t.unameLen = t.hunameLen;
  t.gnamePtr = <u32>(s + 704);
  t.gnameLen = t.hgnameLen;
  if (recordCount(t) > 0 && !mergePax(t)) return fail(t, ERR_PAX, PHASE_HEADER);
  if (t.longNameLen > 0) {
    t.namePtr = t.longName;
    t.nameLen = t.longNameLen;
  }
  if (t.longLinkLen > 0) {
    t.linkPtr = t.longLink;
    t.linkLen = t.longLinkLen;
  }
  if (t.typeflag == 0) {
    // V7 regular file; a trailing slash marks a directory in legacy archives.
    t.typeflag = t.nameLen > 0 && load<u8>(<usize>t.namePtr + <usize>t.nameLen - 1) == 0x2f ? 0x35 : 0x30;
  }
  const flag = <u8>t.typeflag;
  const nb: i64 = isHeaderOnly(flag) ? 0 : t.size;
  if (nb < 0) return fail(t, ERR_NEGATIVE, PHASE_HEADER);
  t.physical = <u64>nb;
  t.pad = <u32>blockPadding(<u64>nb);
  t.isSparse = 0;
  t.sparseLen = 0;
  if (flag == T_S) return oldGnuSparse(t);
  return paxSparse(t);
}

function mergePax(t: Tar): bool {
  clearNumErr();
  if (paxHasValue(t, 'path')) {
    t.namePtr = <u32>VALUE_PTR;
    t.nameLen = VALUE_LEN;
  }
  if (paxHasValue(t, 'linkpath')) {
    t.linkPtr = <u32>VALUE_PTR;
    t.linkLen = VALUE_LEN;
  }
  if (paxHasValue(t, 'uname')) {
    t.unamePtr = <u32>VALUE_PTR;
    t.unameLen = VALUE_LEN;
  }
  if (paxHasValue(t, 'gname')) {
    t.gnamePtr = <u32>VALUE_PTR;
    t.gnameLen = VALUE_LEN;
  }
  if (paxHasValue(t, 'uid')) t.uid = parseDecimal(VALUE_PTR, VALUE_LEN);
  if (paxHasValue(t, 'gid')) t.gid = parseDecimal(VALUE_PTR, VALUE_LEN);
  if (paxHasValue(t, 'size')) t.size = parseDecimal(VALUE_PTR, VALUE_LEN);
  if (paxHasValue(t, 'mtime')) {
    t.mtime = parsePaxTime(VALUE_PTR, VALUE_LEN);
    t.mtimeNsec = paxNsec;
  }
  if (paxHasValue(t, 'atime')) {
    t.atime = parsePaxTime(VALUE_PTR, VALUE_LEN);
    t.atimeNsec = paxNsec;
    t.hasAtime = 1;
  }
  if (paxHasValue(t, 'ctime')) {
    t.ctime = parsePaxTime(VALUE_PTR, VALUE_LEN);
    t.ctimeNsec = paxNsec;
    t.hasCtime = 1;
  }
  return !numErr;
}

function pushRegion(t: Tar, offset: i64, length: i64): bool {
  if ((t.sparseLen >> 4) >= MAX_SPARSE) return false;
  const f = changetype<usize>(t) + offsetof<Tar>('sparse');
  if (!reserveBuf(f, 16)) return false;
  const at = <usize>t.sparse + <usize>t.sparseLen;
  store<i64>(at, offset);
  store<i64>(at, length, 8);
  t.sparseLen += 16;
  return true;
}

/** Reads `count` old GNU sparse entries of 24 bytes from `p` (stops at an entry whose offset starts with NUL). */
function readGnuRegions(t: Tar, p: usize, count: u32): u32 {
  clearNumErr();
  for (let i: u32 = 0; i < count; i++) {
    const e = p + <usize>i * 24;
    if (load<u8>(e) == 0) break;
    const offset = parseNumeric(e, 12);
    const length = parseNumeric(e + 12, 12);
    if (numErr) return fail(t, ERR_HEADER, PHASE_HEADER);
    if (!pushRegion(t, offset, length)) return fail(t, ERR_TOO_LONG, PHASE_HEADER);
  }
  return EV_NEED_INPUT;
}

function oldGnuSparse(t: Tar): u32 {
  const b = <usize>t.block;
  if (t.format != FORMAT_GNU) return fail(t, ERR_HEADER, PHASE_HEADER);
  clearNumErr();
  t.size = parseNumeric(b + GNU_REAL_SIZE, 12);
  if (numErr) return fail(t, ERR_HEADER, PHASE_HEADER);
  t.isSparse = 1;
  if (readGnuRegions(t, b + GNU_SPARSE, 4) == EV_ERROR) return EV_ERROR;
  if (load<u8>(b + GNU_IS_EXTENDED) != 0) {
    t.state = ST_SPARSE_EXT;
    return EV_NEED_INPUT;
  }
  return sparseReady(t);
}

function onSparseExtension(t: Tar): u32 {
  const b = <usize>t.block;
  if (readGnuRegions(t, b, 21) == EV_ERROR) return EV_ERROR;
  if (load<u8>(b + 504) != 0) return EV_NEED_INPUT;
  return sparseReady(t);
}

/** GNU sparse in pax records: 0.0 (offset/numbytes, turned into a map), 0.1 (map) or 1.0 (map in the data). */
function paxSparse(t: Tar): u32 {
  if (recordCount(t) == 0) return emit(t);
  let v1 = false;
  const major0 = paxValueIs(t, 'GNU.sparse.major', '0');
  const major1 = paxValueIs(t, 'GNU.sparse.major', '1');
  const majorEmpty = paxValueIs(t, 'GNU.sparse.major', '');
  const minor0 = paxValueIs(t, 'GNU.sparse.minor', '0');
  const minor1 = paxValueIs(t, 'GNU.sparse.minor', '1');
  const minorEmpty = paxValueIs(t, 'GNU.sparse.minor', '');
  if (major0 && (minor0 || minor1)) v1 = false;
  else if (major1 && minor0) v1 = true;
  else if (!majorEmpty || !minorEmpty) return emit(t); // an unknown sparse version: a plain file
  else if (!paxHasValue(t, 'GNU.sparse.map')) return emit(t);
  t.isSparse = 1;
  if (paxHasValue(t, 'GNU.sparse.name')) {
    t.namePtr = <u32>VALUE_PTR;
    t.nameLen = VALUE_LEN;
  }
  let hasSize = paxHasValue(t, 'GNU.sparse.size');
  if (!hasSize) hasSize = paxHasValue(t, 'GNU.sparse.realsize');
  if (hasSize) {
    clearNumErr();
    t.size = parseDecimal(VALUE_PTR, VALUE_LEN);
    if (numErr) return fail(t, ERR_HEADER, PHASE_HEADER);
  }
  if (v1) {
    t.mapTokens = 0;
    t.mapWant = 0;
    t.tokLen = 0;
    t.tokBad = 0;
    t.tokNeg = 0;
    t.tokVal = 0;
    if (t.physical < <u64>BLOCK) return fail(t, ERR_TRUNCATED, PHASE_HEADER);
    t.state = ST_SPARSE_MAP;
    return EV_NEED_INPUT;
  }
  // 0.1: GNU.sparse.numblocks and a comma-separated map.
  paxValue(t, 'GNU.sparse.numblocks');
  clearNumErr();
  const n = parseDecimal(VALUE_PTR, VALUE_LEN);
  if (numErr || n < 0 || n > 0x3fffffffffffffff) return fail(t, ERR_HEADER, PHASE_HEADER);
  if (n > <i64>MAX_SPARSE) return fail(t, ERR_TOO_LONG, PHASE_HEADER);
  paxValue(t, 'GNU.sparse.map');
  const map = VALUE_PTR;
  const mapLen = <usize>VALUE_LEN;
  let parts: i64 = 0;
  if (mapLen > 0) {
    parts = 1;
    for (let i: usize = 0; i < mapLen; i++) if (load<u8>(map + i) == 0x2c) parts++;
  }
  if (parts != 2 * n) return fail(t, ERR_HEADER, PHASE_HEADER);
  let start: usize = 0;
  let pending: i64 = 0;
  let k: i64 = 0;
  clearNumErr();
  for (let i: usize = 0; i <= mapLen && mapLen > 0; i++) {
    if (i < mapLen && load<u8>(map + i) != 0x2c) continue;
    const value = parseDecimal(map + start, i - start);
    if (numErr) return fail(t, ERR_HEADER, PHASE_HEADER);
    if ((k & 1) == 0) pending = value;
    else if (!pushRegion(t, pending, value)) return fail(t, ERR_TOO_LONG, PHASE_HEADER);
    k++;
    start = i + 1;
  }
  return sparseReady(t);
}

/** One 512-byte block of a pax 1.0 sparse map, read from the entry's data (Go's readGNUSparseMap1x0). */
function onSparseMapBlock(t: Tar): u32 {
  const b = <usize>t.block;
  t.physical -= <u64>BLOCK;
  for (let i: usize = 0; i < BLOCK; i++) {
    if (t.mapWant != 0 && t.mapTokens >= t.mapWant) break;
    const c = load<u8>(b + i);
    if (c != 0x0a) {
      mapTokenByte(t, c);
      continue;
    }
    // A token ends: parse it as Go's strconv.ParseInt(token, 10, 64).
    const bad = t.tokBad != 0 || t.tokLen == 0 || (t.tokLen == 1 && t.tokNeg > 1);
    const value: i64 = t.tokNeg == 1 ? -<i64>t.tokVal : <i64>t.tokVal;
    if (bad) return fail(t, ERR_HEADER, PHASE_HEADER);
    if (t.mapTokens == 0) {
      if (value < 0 || value > 0x3fffffffffffffff) return fail(t, ERR_HEADER, PHASE_HEADER);
      if (value > <i64>MAX_SPARSE) return fail(t, ERR_TOO_LONG, PHASE_HEADER);
      t.mapWant = 1 + 2 * <u32>value;
    } else if ((t.mapTokens & 1) == 1) t.pendingOffset = value;
    else if (!pushRegion(t, t.pendingOffset, value)) return fail(t, ERR_TOO_LONG, PHASE_HEADER);
    t.mapTokens++;
    t.tokLen = 0;
    t.tokBad = 0;
    t.tokNeg = 0;
    t.tokVal = 0;
  }
  if (t.mapWant != 0 && t.mapTokens >= t.mapWant) {
    t.pad = <u32>blockPadding(t.physical);
    return sparseReady(t);
  }
  if (t.physical < <u64>BLOCK) return fail(t, ERR_TRUNCATED, PHASE_HEADER);
  return EV_NEED_INPUT;
}

// tokNeg: 0 no sign, 1 '-', 2 '+'.
function mapTokenByte(t: Tar, c: u8): void {
  if (t.tokLen == 0 && (c == 0x2d || c == 0x2b)) {
    t.tokNeg = c == 0x2d ? 1 : 2;
    t.tokLen = 1;
    return;
  }
  t.tokLen++;
  const d = <u32>c - 0x30;
  if (d > 9) {
    t.tokBad = 1;
    return;
  }
  if (t.tokVal > 922337203685477580 || (t.tokVal == 922337203685477580 && d > (t.tokNeg == 1 ? <u32>8 : <u32>7))) t.tokBad = 1;
  else t.tokVal = t.tokVal * 10 + <u64>d;
}

/** The sparse map is complete: validate it as Go's validateSparseEntries, then emit. */
function sparseReady(t: Tar): u32 {
  if (isHeaderOnly(<u8>t.typeflag) || t.size < 0) return fail(t, ERR_HEADER, PHASE_HEADER);
  let prevEnd: i64 = 0;
  let needed: u64 = 0;
  const base = <usize>t.sparse;
  for (let at: usize = 0; at < <usize>t.sparseLen; at += 16) {
    const offset = load<i64>(base + at);
    const length = load<i64>(base + at, 8);
    if (offset < 0 || length < 0 || offset > i64.MAX_VALUE - length) return fail(t, ERR_HEADER, PHASE_HEADER);
    if (offset + length > t.size || prevEnd > offset) return fail(t, ERR_HEADER, PHASE_HEADER);
    prevEnd = offset + length;
    needed += <u64>length;
  }
  t.needed = needed;
  return emit(t);
}

function kindOf(flag: u8): u8 {
  if (flag >= 0x30 && flag <= 0x37) return flag - 0x30;
  if (flag == T_S) return 8;
  if (flag == T_G) return 9;
  return 10;
}

@inline function fitsU32(v: i64): bool {
  return v >= 0 && v <= 0xffffffff;
}

/** Records the resolved entry in the table and starts its data section. */
function emit(t: Tar): u32 {
  const table = <usize>t.table;
  if ((t.flags & FLAG_INDEX) == 0) entriesClear(table);
  const e = entriesAppend(table);
  if (e == 0) return fail(t, ERR_LIMIT, PHASE_HEADER);
  const pathOff = arenaPush(table, <usize>t.namePtr, t.nameLen);
  const linkRef = t.linkLen > 0 ? arenaPushPrefixed(table, <usize>t.linkPtr, t.linkLen) : NONE;
  const uname = internName(table, <usize>t.unamePtr, t.unameLen);
  const gname = internName(table, <usize>t.gnamePtr, t.gnameLen);
  if (pathOff == NONE || (t.linkLen > 0 && linkRef == NONE)) return fail(t, ERR_LIMIT, PHASE_HEADER);
  const flag = <u8>t.typeflag;
  const wide = !fitsU32(t.mode) || !fitsU32(t.uid) || !fitsU32(t.gid);
  store<i64>(e + E_SIZE, t.size);
  store<u64>(e + E_DATA_OFFSET, t.streamPos);
  store<i64>(e + E_MTIME_SEC, t.mtime);
  store<u32>(e + E_MTIME_NSEC, t.mtimeNsec);
  store<u32>(e + E_MODE, <u32>t.mode);
  store<u32>(e + E_UID, <u32>t.uid);
  store<u32>(e + E_GID, <u32>t.gid);
  store<u32>(e + E_PATH_OFF, pathOff);
  store<u32>(e + E_PATH_LEN, t.nameLen);
  store<u32>(e + E_LINK_REF, linkRef);
  store<u16>(e + E_UNAME, uname);
  store<u16>(e + E_GNAME, gname);
  store<u8>(e + E_TYPEFLAG, flag);
  store<u8>(e + E_KIND, kindOf(flag));
  store<u16>(e + E_FLAGS, (t.isSparse != 0 ? F_SPARSE : 0) | (wide ? F_WIDE : 0));
  let metaRef = NONE;
  const count = recordCount(t);
  if (count > 0 || uname == NAME_IN_META || gname == NAME_IN_META || t.hasAtime != 0 || t.hasCtime != 0 || t.devmajor != 0 || t.devminor != 0 || wide || t.isSparse != 0) {
    metaRef = writeExtras(t, table, uname == NAME_IN_META, gname == NAME_IN_META, wide);
    if (metaRef == NONE) return fail(t, ERR_LIMIT, PHASE_HEADER);
  }
  const index = load<u32>(table + TABLE_COUNT) - 1;
  store<u32>(entryAt(table, index) + E_META_REF, metaRef);
  t.record = index;
  t.entries++;
  t.recsLen = 0; // the records applied to this entry; the next one starts clean
  t.longNameLen = 0;
  t.longLinkLen = 0;
  t.remaining = t.physical;
  t.hashingFile = 0;
  // A sparse entry whose data does not fill its map fails when its data ends (as Go's reader
  // does): no digest will be reported, so do not hash its (possibly huge) holes.
  const doomed = t.isSparse != 0 && t.physical != t.needed;
  if ((t.flags & FLAG_HASH_FILES) != 0 && !isHeaderOnly(flag) && flag != T_G && !doomed) {
    sha256Init(<usize>t.fileHash);
    t.hashingFile = 1;
    t.fragIndex = 0;
    t.fragUsed = 0;
    t.logical = 0;
  }
  t.state = ST_DATA;
  return (t.flags & FLAG_INDEX) != 0 ? EV_NEED_INPUT : EV_ENTRY;
}

function writeExtras(t: Tar, table: usize, unameInMeta: bool, gnameInMeta: bool, wide: bool): u32 {
  const rec = metaBegin(table);
  if (rec == NONE) return NONE;
  let ok = true;
  if (unameInMeta) ok = ok && metaItem(table, rec, M_UNAME, <usize>t.unamePtr, t.unameLen, 0, 0);
  if (gnameInMeta) ok = ok && metaItem(table, rec, M_GNAME, <usize>t.gnamePtr, t.gnameLen, 0, 0);
  const s = <usize>t.scratch + 768; // 24 bytes of scratch for fixed-size items
  if (t.hasAtime != 0) {
    store<i64>(s, t.atime);
    store<u32>(s, t.atimeNsec, 8);
    ok = ok && metaItem(table, rec, M_ATIME, s, 12, 0, 0);
  }
  if (t.hasCtime != 0) {
    store<i64>(s, t.ctime);
    store<u32>(s, t.ctimeNsec, 8);
    ok = ok && metaItem(table, rec, M_CTIME, s, 12, 0, 0);
  }
  if (t.devmajor != 0 || t.devminor != 0) {
    store<i64>(s, t.devmajor);
    store<i64>(s, t.devminor, 8);
    ok = ok && metaItem(table, rec, M_DEVICE, s, 16, 0, 0);
  }
  if (wide) {
    store<i64>(s, t.mode);
    store<i64>(s, t.uid, 8);
    store<i64>(s, t.gid, 16);
    ok = ok && metaItem(table, rec, M_WIDE, s, 24, 0, 0);
  }
  if (t.isSparse != 0) {
    store<u64>(s, t.physical);
    ok = ok && metaItem(table, rec, M_SPARSE, s, 8, <usize>t.sparse, t.sparseLen);
  }
  const count = recordCount(t);
  for (let i: u32 = 0; i < count && ok; i++) {
    const r = recordAt(t, i);
    ok = metaPax(table, rec, <usize>load<u32>(r), load<u32>(r, 4), <usize>load<u32>(r, 8), load<u32>(r, 12));
  }
  return ok ? rec : NONE;
}

// ---- contents ----

/** Hashes content bytes: straight for plain files, through the region map for sparse ones. */
function hashContent(t: Tar, p: usize, n: u32): void {
  const ctx = <usize>t.fileHash;
  if (t.isSparse == 0) {
    sha256Update(ctx, p, n);
    return;
  }
  const regions = <usize>t.sparse;
  const count = t.sparseLen >> 4;
  while (n > 0) {
    while (t.fragIndex < count && t.fragUsed == <u64>load<i64>(regions + (<usize>t.fragIndex << 4), 8)) {
      t.fragIndex++;
      t.fragUsed = 0;
    }
    if (t.fragIndex >= count) return; // unreferenced data: reported when the section ends
    const r = regions + (<usize>t.fragIndex << 4);
    const offset = <u64>load<i64>(r);
    const length = <u64>load<i64>(r, 8);
    if (t.fragUsed == 0 && t.logical < offset) {
      hashZeros(ctx, offset - t.logical);
      t.logical = offset;
    }
    const take = <u32>min<u64>(length - t.fragUsed, <u64>n);
    sha256Update(ctx, p, take);
    p += take;
    n -= take;
    t.fragUsed += <u64>take;
    t.logical += <u64>take;
  }
}

/** The entry's data section is complete: check sparse data against its map, store the digest. */
function dataDone(t: Tar): u32 {
  if (t.isSparse != 0 && t.physical != t.needed) return fail(t, ERR_SPARSE, PHASE_DATA);
  if (t.hashingFile != 0) {
    if (t.isSparse != 0 && <u64>t.size > t.logical) hashZeros(<usize>t.fileHash, <u64>t.size - t.logical);
    const table = <usize>t.table;
    const digests = <usize>load<u32>(table + TABLE_DIGESTS);
    sha256Final(<usize>t.fileHash, digests + (<usize>t.record << 5));
    const e = entryAt(table, t.record);
    store<u16>(e + E_FLAGS, load<u16>(e + E_FLAGS) | F_DIGEST);
    t.hashingFile = 0;
  }
  t.state = ST_PAD;
  return EV_NEED_INPUT;
}
