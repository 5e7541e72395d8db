// The entry table: the storage of a LayerIndex, in linear memory so other kernels (union, diff)
// read it in place. A table is a 48-byte descriptor pointing at four regions that grow by
// doubling (so pointers inside change on growth: hold offsets, never addresses):
//
//   descriptor (TABLE_*)     entries    count × 64-byte records (layout below)
//                            arena      path and link bytes (links as [u32 len][bytes])
//                            meta       rarely needed per-entry extras (layout below)
//                            digests    count × 32-byte sha256 of content (only with digests on)
//                            names      NAME_CAP × u32: arena offsets of interned uname/gname
//
// Entry record, 64 bytes, little-endian (E_*):
//    0 u64 size        logical size (sparse: expanded)      8 u64 dataOffset  first data byte in the stream
//   16 i64 mtimeSec                                         24 u32 mtimeNsec
//   28 u32 mode        low 32 bits of the mode field        32 u32 uid, 36 u32 gid (low 32 bits)
//   40 u32 pathOff     arena offset of the path bytes      44 u32 pathLen
//   48 u32 linkRef     arena offset of [u32 len][bytes], NONE when empty
//   52 u32 metaRef     meta offset of the extras record, NONE when there are none
//   56 u16 unameIdx    names index (0 = empty, NAME_IN_META = in the extras)   58 u16 gnameIdx
//   60 u8  typeflag    as Go reports it                     61 u8 kind (KIND_*)
//   62 u16 flags       F_*
//
// Extras record at metaRef: [u32 byteLength] then items [u8 tag, 3 pad, u32 len][payload, padded to 4]:
//   M_UNAME/M_GNAME bytes · M_PAX [u32 keyLen][key][value] (one per record, in order; later wins)
//   M_ATIME/M_CTIME [i64 sec][u32 nsec] · M_DEVICE [i64 major][i64 minor]
//   M_WIDE [i64 mode][i64 uid][i64 gid] (when any does not fit u32)
//   M_SPARSE [u64 physicalSize][n × (i64 offset, i64 length)]

export const NONE: u32 = 0xffffffff;
export const ENTRY_SIZE: u32 = 64;
export const NAME_CAP: u32 = 1024;
export const NAME_IN_META: u16 = 0xffff;

export const E_SIZE = 0;
export const E_DATA_OFFSET = 8;
export const E_MTIME_SEC = 16;
export const E_MTIME_NSEC = 24;
export const E_MODE = 28;
export const E_UID = 32;
export const E_GID = 36;
export const E_PATH_OFF = 40;
export const E_PATH_LEN = 44;
export const E_LINK_REF = 48;
export const E_META_REF = 52;
export const E_UNAME = 56;
export const E_GNAME = 58;
export const E_TYPEFLAG = 60;
export const E_KIND = 61;
export const E_FLAGS = 62;

export const F_DIGEST: u16 = 1; // digests[i] holds the sha256 of the content
export const F_SPARSE: u16 = 2;
export const F_WIDE: u16 = 4;

export const M_UNAME: u8 = 1;
export const M_GNAME: u8 = 2;
export const M_PAX: u8 = 3;
export const M_ATIME: u8 = 4;
export const M_CTIME: u8 = 5;
export const M_DEVICE: u8 = 6;
export const M_WIDE: u8 = 7;
export const M_SPARSE: u8 = 8;

// Table descriptor fields.
export const TABLE_ENTRIES = 0;
export const TABLE_COUNT = 4;
export const TABLE_CAPACITY = 8;
export const TABLE_ARENA = 12;
export const TABLE_ARENA_LEN = 16;
export const TABLE_ARENA_CAP = 20;
export const TABLE_META = 24;
export const TABLE_META_LEN = 28;
export const TABLE_META_CAP = 32;
export const TABLE_DIGESTS = 36;
export const TABLE_NAMES = 40;
export const TABLE_NAME_COUNT = 44;
export const TABLE_SIZE: usize = 48;

/** Largest arena or extras region (1 GiB): bounded memory for hostile archives, and u32 offsets. */
const REGION_LIMIT: u64 = 1 << 30;
/** Most entries one table holds (4 Mi: 256 MiB of records); more is TAR_TOO_MANY_ENTRIES. */
export const MAX_ENTRIES: u32 = 1 << 22;

/** A new table with room for `capacity` entries, `arena` path bytes and `meta` extras bytes. */
export function entriesCreate(capacity: u32, arena: u32, meta: u32, digests: bool): usize {
  const t = heap.alloc(TABLE_SIZE);
  capacity = max<u32>(capacity, 16);
  arena = max<u32>(arena, 1024);
  meta = max<u32>(meta, 256);
  store<u32>(t, <u32>heap.alloc(<usize>capacity * ENTRY_SIZE), TABLE_ENTRIES);
  store<u32>(t, 0, TABLE_COUNT);
  store<u32>(t, capacity, TABLE_CAPACITY);
  store<u32>(t, <u32>heap.alloc(arena), TABLE_ARENA);
  store<u32>(t, 0, TABLE_ARENA_LEN);
  store<u32>(t, arena, TABLE_ARENA_CAP);
  store<u32>(t, <u32>heap.alloc(meta), TABLE_META);
  store<u32>(t, 0, TABLE_META_LEN);
  store<u32>(t, meta, TABLE_META_CAP);
  store<u32>(t, digests ? <u32>heap.alloc(<usize>capacity * 32) : 0, TABLE_DIGESTS);
  const names = heap.alloc(<usize>NAME_CAP * 4);
  store<u32>(names, 0); // index 0 is the empty name: its slot is never read, but serialized (so it must not be stale memory)
  store<u32>(t, <u32>names, TABLE_NAMES);
  store<u32>(t, 1, TABLE_NAME_COUNT);
  return t;
}

/** Releases a table's regions (with the stub allocator only the topmost block is reclaimed). */
export function entriesFree(t: usize): void {
  heap.free(<usize>load<u32>(t, TABLE_NAMES));
  const digests = load<u32>(t, TABLE_DIGESTS);
  if (digests != 0) heap.free(<usize>digests);
  heap.free(<usize>load<u32>(t, TABLE_META));
  heap.free(<usize>load<u32>(t, TABLE_ARENA));
  heap.free(<usize>load<u32>(t, TABLE_ENTRIES));
  heap.free(t);
}

@inline export function entryAt(t: usize, i: u32): usize {
  return <usize>load<u32>(t, TABLE_ENTRIES) + <usize>i * ENTRY_SIZE;
}

/** Appends a zeroed record and returns its address (valid until the next append). 0 when full. */
export function entriesAppend(t: usize): usize {
  const count = load<u32>(t, TABLE_COUNT);
  let capacity = load<u32>(t, TABLE_CAPACITY);
  if (count == capacity) {
    if (capacity >= MAX_ENTRIES) return 0;
    capacity <<= 1;
    store<u32>(t, <u32>heap.realloc(<usize>load<u32>(t, TABLE_ENTRIES), <usize>capacity * ENTRY_SIZE), TABLE_ENTRIES);
    const digests = load<u32>(t, TABLE_DIGESTS);
    if (digests != 0) store<u32>(t, <u32>heap.realloc(<usize>digests, <usize>capacity * 32), TABLE_DIGESTS);
    store<u32>(t, capacity, TABLE_CAPACITY);
  }
  store<u32>(t, count + 1, TABLE_COUNT);
  const e = entryAt(t, count);
  memory.fill(e, 0, ENTRY_SIZE);
  return e;
}

/** Makes room for `more` bytes in the region whose (ptr, len, cap) fields start at `field`. */
function reserve(t: usize, field: usize, more: u64): bool {
  const len = <u64>load<u32>(t + field + 4);
  let cap = <u64>load<u32>(t + field + 8);
  const need = len + more;
  if (need <= cap) return true;
  if (need > REGION_LIMIT) return false;
  while (cap < need) cap <<= 1;
  if (cap > REGION_LIMIT) cap = REGION_LIMIT;
  store<u32>(t + field, <u32>heap.realloc(<usize>load<u32>(t + field), <usize>cap));
  store<u32>(t + field + 8, <u32>cap);
  return true;
}

/** Copies bytes into the arena; returns their offset, or NONE when the arena is full. */
export function arenaPush(t: usize, src: usize, len: u32): u32 {
  if (!reserve(t, TABLE_ARENA, len)) return NONE;
  const off = load<u32>(t, TABLE_ARENA_LEN);
  memory.copy(<usize>load<u32>(t, TABLE_ARENA) + off, src, len);
  store<u32>(t, off + len, TABLE_ARENA_LEN);
  return off;
}

/** Copies bytes into the arena behind a u32 length; returns the offset of the length. */
export function arenaPushPrefixed(t: usize, src: usize, len: u32): u32 {
  if (!reserve(t, TABLE_ARENA, <u64>len + 4)) return NONE;
  const off = load<u32>(t, TABLE_ARENA_LEN);
  const at = <usize>load<u32>(t, TABLE_ARENA) + off;
  store<u32>(at, len);
  memory.copy(at + 4, src, len);
  store<u32>(t, off + 4 + len, TABLE_ARENA_LEN);
  return off;
}

/** The index of an interned name (0 for empty), interning it if there is room; NAME_IN_META if not. */
export function internName(t: usize, src: usize, len: u32): u16 {
  if (len == 0) return 0;
  const names = <usize>load<u32>(t, TABLE_NAMES);
  const count = load<u32>(t, TABLE_NAME_COUNT);
  const arena = <usize>load<u32>(t, TABLE_ARENA);
  for (let i: u32 = count - 1; i >= 1; i--) {
    const at = arena + <usize>load<u32>(names + (<usize>i << 2));
    if (load<u32>(at) == len && memory.compare(at + 4, src, len) == 0) return <u16>i;
  }
  if (count >= NAME_CAP || len > 256) return NAME_IN_META;
  const ref = arenaPushPrefixed(t, src, len);
  if (ref == NONE) return NAME_IN_META;
  store<u32>(names + (<usize>count << 2), ref);
  store<u32>(t, count + 1, TABLE_NAME_COUNT);
  return <u16>count;
}

/** Starts an extras record; returns its offset (NONE when the region is full). */
export function metaBegin(t: usize): u32 {
  if (!reserve(t, TABLE_META, 4)) return NONE;
  const off = load<u32>(t, TABLE_META_LEN);
  store<u32>(<usize>load<u32>(t, TABLE_META) + off, 0);
  store<u32>(t, off + 4, TABLE_META_LEN);
  return off;
}

/** Appends one item to the record begun at `rec`: header, then `len` bytes from `src`, then `len2` from `src2`. */
export function metaItem(t: usize, rec: u32, tag: u8, src: usize, len: u32, src2: usize, len2: u32): bool {
  const total = <u64>len + <u64>len2;
  const padded = (total + 3) & ~<u64>3;
  if (!reserve(t, TABLE_META, 8 + padded)) return false;
  const base = <usize>load<u32>(t, TABLE_META);
  const off = load<u32>(t, TABLE_META_LEN);
  const at = base + off;
  store<u32>(at, <u32>tag);
  store<u32>(at, <u32>total, 4);
  memory.copy(at + 8, src, len);
  if (len2 > 0) memory.copy(at + 8 + len, src2, len2);
  if (padded > total) memory.fill(at + 8 + <usize>total, 0, <usize>(padded - total));
  const end = off + 8 + <u32>padded;
  store<u32>(t, end, TABLE_META_LEN);
  store<u32>(base + rec, end - rec - 4);
  return true;
}

/** Appends a pax record item ([u32 keyLen][key][value]) to the record begun at `rec`. */
export function metaPax(t: usize, rec: u32, key: usize, keyLen: u32, value: usize, valueLen: u32): bool {
  const total = <u64>keyLen + <u64>valueLen + 4;
  const padded = (total + 3) & ~<u64>3;
  if (!reserve(t, TABLE_META, 8 + padded)) return false;
  const base = <usize>load<u32>(t, TABLE_META);
  const off = load<u32>(t, TABLE_META_LEN);
  const at = base + off;
  store<u32>(at, <u32>M_PAX);
  store<u32>(at, <u32>total, 4);
  store<u32>(at, keyLen, 8);
  memory.copy(at + 12, key, keyLen);
  memory.copy(at + 12 + keyLen, value, valueLen);
  if (padded > total) memory.fill(at + 8 + <usize>total, 0, <usize>(padded - total));
  const end = off + 8 + <u32>padded;
  store<u32>(t, end, TABLE_META_LEN);
  store<u32>(base + rec, end - rec - 4);
  return true;
}

/** Empties a table, keeping its regions (the streaming reader keeps one entry at a time). */
export function entriesClear(t: usize): void {
  store<u32>(t, 0, TABLE_COUNT);
  store<u32>(t, 0, TABLE_ARENA_LEN);
  store<u32>(t, 0, TABLE_META_LEN);
  store<u32>(t, 1, TABLE_NAME_COUNT);
}
