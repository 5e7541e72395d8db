// The union kernel: merges a chain of layers' entry lists into one index, as overlayfs shows
// the stack. Layers are fed bottom first (each as batches of records, in tar order); the merge
// then walks them top-down with tombstones:
//   - `.wh.NAME` hides NAME and everything under it in lower layers only;
//   - `.wh..wh..opq` hides its directory's lower children, wherever it sits in the layer;
//   - a non-directory hides the lower path and all below it; a directory over a lower directory
//     merges with it; a directory over a lower file hides the file;
//   - a hardlink resolves to its target as seen from its layer (overlayfs copies a lower target up
//     into the link's layer: both names then share one inode);
//   - parents without an entry of their own appear as directories, with the metadata of the
//     directory below them when there is one.
// Whiteouts never reach the result. The result is sorted depth-first by name (each directory's
// subtree is contiguous) and served by a hash lookup.
//
//   unionReset(0, 0); unionBeginLayer(); unionAddEntries(ptr, len) ...; unionMerge() → node count
//   unionLookup(ptr, len) → position in the sorted result, or -1
import { hashBytes, sameBytes, lookupReset, lookupInsert, lookupFind, lookupMany, LOOKUP_BATCH_STRIDE } from './union-lookup';
import { cleanPath, classifyPath, comparePaths, parentLength, baseOffset,
  NAME_PLAIN, NAME_WHITEOUT, NAME_OPAQUE, NAME_AUFS_META, PATH_ESCAPE, WHITEOUT_INVALID } from './path';

// entry types as the host encodes them (tar type flags, normalised)
export const TYPE_FILE: u32 = 0;
export const TYPE_HARDLINK: u32 = 1;
export const TYPE_SYMLINK: u32 = 2;
export const TYPE_DIR: u32 = 5;
/** Not a file: pax global headers and the like; counted (entry numbers stay the layer's) but never placed. */
export const TYPE_SKIP: u32 = 8;
// kinds beyond the tar types: markers that are never materialised
const KIND_WHITEOUT: u32 = 16;
const KIND_OPAQUE: u32 = 17;
const KIND_SKIP: u32 = 18;

export const HARDLINK_INVALID: i32 = -3;
export const ROOT_TYPE_CHANGE: i32 = -4;
export const PATH_TOO_DEEP: i32 = -5;
export const TOO_MANY_LAYERS: i32 = -6;
const MAX_DEPTH: i32 = 1024;
const MAX_LAYERS: i32 = 1024;
const MAX_LINK_HOPS: i32 = 40;

// node states
const NONE: u32 = 0;
const ENTRY: u32 = 1;
const IMPLICIT: u32 = 2;
const TOMB: u32 = 3;

// unique-path table: one record per path (entries, implicit parents, link targets)
const P_OFF = 0, P_LEN = 4, P_RAW = 8, P_STATE = 12, P_TOP = 16, P_SRC = 20, P_HIDE_SELF = 24,
  P_HIDE_KIDS = 28, P_INODE = 32, P_POS = 36, P_TYPE = 40, P_PARENT = 44, P_HASH = 48;
const P_STRIDE: usize = 56;
// raw entries: one per tar entry, in layer order then tar order
const R_LAYER = 0, R_PATH = 4, R_KIND = 8, R_LINKPATH = 12, R_NEXT = 16, R_INDEX = 20;
const R_STRIDE: usize = 24;
// result records, in sorted order
const O_ID = 0, O_SRC_LAYER = 4, O_SRC_ENTRY = 8, O_LAYER = 12, O_TYPE = 16, O_INODE = 20, O_END = 24, O_PARENT = 28, O_TOP = 32;
export const UNION_RECORD_SIZE: usize = 36;
export const UNION_PATH_RECORD_SIZE: usize = P_STRIDE;

let arena: usize = 0, arenaCap: usize = 0, arenaLen: usize = 0;
let paths: usize = 0, pathCap: i32 = 0, pathCount: i32 = 0;
let raws: usize = 0, rawCap: i32 = 0, rawCount: i32 = 0;
let slots: usize = 0, slotCap: i32 = 0; // hash slots: path id + 1, 0 = empty
let layerStarts: usize = 0; // MAX_LAYERS + 1 u32
let layerCount: i32 = 0;
let layerEntryCount: i32 = 0;
let out: usize = 0, outCap: i32 = 0, outCount: i32 = 0;
let scratch: usize = 0, scratchCap: i32 = 0;
let nextInode: i32 = 0;
let failedEntry: i32 = -1, failedLayer: i32 = -1;

@inline function pf(id: i32, field: i32): u32 { return load<u32>(paths + <usize>id * P_STRIDE + <usize>field); }
@inline function psf(id: i32, field: i32, v: u32): void { store<u32>(paths + <usize>id * P_STRIDE + <usize>field, v); }
@inline function rf(r: i32, field: i32): u32 { return load<u32>(raws + <usize>r * R_STRIDE + <usize>field); }
@inline function rsf(r: i32, field: i32, v: u32): void { store<u32>(raws + <usize>r * R_STRIDE + <usize>field, v); }
@inline function maxU(a: u32, b: u32): u32 { return a > b ? a : b; }

function grow(ptr: usize, oldBytes: usize, newBytes: usize): usize {
  const fresh = heap.alloc(newBytes);
  if (ptr != 0) { memory.copy(fresh, ptr, oldBytes); heap.free(ptr); }
  return fresh;
}

function reserveArena(extra: usize): void {
  if (arenaLen + extra <= arenaCap) return;
  let cap = arenaCap < 65536 ? <usize>65536 : arenaCap;
  while (cap < arenaLen + extra) cap <<= 1;
  arena = grow(arena, arenaLen, cap); arenaCap = cap;
}

function reserveRaws(extra: i32): void {
  if (rawCount + extra <= rawCap) return;
  let cap = rawCap < 4096 ? 4096 : rawCap;
  while (cap < rawCount + extra) cap <<= 1;
  raws = grow(raws, <usize>rawCount * R_STRIDE, <usize>cap * R_STRIDE); rawCap = cap;
}

function rehash(cap: i32): void {
  if (slots != 0) heap.free(slots);
  slots = heap.alloc(<usize>cap << 2); slotCap = cap;
  memory.fill(slots, 0, <usize>cap << 2);
  const mask = <u32>(cap - 1);
  for (let id = 0; id < pathCount; id++) {
    let s = pf(id, P_HASH) & mask;
    while (load<u32>(slots + (<usize>s << 2)) != 0) s = (s + 1) & mask;
    store<u32>(slots + (<usize>s << 2), <u32>(id + 1));
  }
}

/** The id of a path already interned, or -1. */
function findPath(p: usize, n: i32, h: u32): i32 {
  const mask = <u32>(slotCap - 1);
  let s = h & mask;
  while (true) {
    const v = load<u32>(slots + (<usize>s << 2));
    if (v == 0) return -1;
    const id = <i32>v - 1;
    if (pf(id, P_HASH) == h && <i32>pf(id, P_LEN) == n && sameBytes(arena + <usize>pf(id, P_OFF), p, n)) return id;
    s = (s + 1) & mask;
  }
}

/** Interns the path at arena offset `off` (and its parents); returns its id. */
function intern(off: usize, n: i32): i32 {
  const p = arena + off;
  const h = hashBytes(p, n);
  const found = findPath(p, n, h);
  if (found >= 0) return found;
  const parent = n == 0 ? -1 : intern(off, parentLength(p, n));
  if (pathCount >= pathCap) {
    const cap = pathCap < 4096 ? 4096 : pathCap << 1;
    paths = grow(paths, <usize>pathCount * P_STRIDE, <usize>cap * P_STRIDE); pathCap = cap;
  }
  if ((pathCount + 1) * 2 > slotCap) rehash(slotCap < 8192 ? 8192 : slotCap << 1);
  const id = pathCount++;
  memory.fill(paths + <usize>id * P_STRIDE, 0, P_STRIDE);
  psf(id, P_OFF, <u32>off); psf(id, P_LEN, <u32>n); psf(id, P_RAW, <u32>-1); psf(id, P_SRC, <u32>-1);
  psf(id, P_PARENT, <u32>parent); psf(id, P_HASH, h); psf(id, P_POS, <u32>-1);
  const mask = <u32>(slotCap - 1);
  let s = h & mask;
  while (load<u32>(slots + (<usize>s << 2)) != 0) s = (s + 1) & mask;
  store<u32>(slots + (<usize>s << 2), <u32>(id + 1));
  return id;
}

/** Starts over; the hints size the tables for the expected entries and path bytes (0: defaults). */
export function unionReset(entriesHint: i32, bytesHint: i32): void {
  if (layerStarts == 0) layerStarts = heap.alloc(<usize>(MAX_LAYERS + 1) << 2);
  arenaLen = 0; pathCount = 0; rawCount = 0; layerCount = 0; outCount = 0; nextInode = 0;
  failedEntry = -1; failedLayer = -1;
  reserveArena(<usize>bytesHint);
  reserveRaws(entriesHint);
  let cap = 8192;
  while (cap < entriesHint * 3) cap <<= 1;
  rehash(cap);
  intern(0, 0); // the root is id 0
  psf(0, P_STATE, IMPLICIT); psf(0, P_TYPE, TYPE_DIR); psf(0, P_TOP, <u32>MAX_LAYERS);
}

/** Starts the next layer up; returns its index. */
export function unionBeginLayer(): i32 {
  if (layerCount >= MAX_LAYERS) return TOO_MANY_LAYERS;
  store<u32>(layerStarts + (<usize>layerCount << 2), <u32>rawCount);
  layerEntryCount = 0;
  return layerCount++;
}

function fail(code: i32): i32 {
  failedEntry = layerEntryCount; failedLayer = layerCount - 1;
  return code;
}

function countComponents(p: usize, n: i32): i32 {
  let c = n > 0 ? 1 : 0;
  for (let i = 0; i < n; i++) if (load<u8>(p + <usize>i) == 0x2f) c++;
  return c;
}

/**
 * Adds records to the current layer: each is `u8 type, u32 nameLength, u32 linkLength, name,
 * link` (the link only matters for hardlinks). Returns 0, or an error code with the failing
 * entry in unionFailedEntry().
 */
export function unionAddEntries(ptr: usize, len: i32): i32 {
  const end = ptr + <usize>len;
  let p = ptr;
  while (p < end) {
    const type = <u32>load<u8>(p);
    const nameLen = <i32>load<u32>(p + 1);
    const linkLen = <i32>load<u32>(p + 5);
    const name = p + 9;
    p = name + <usize>nameLen + <usize>linkLen;
    const status = addEntry(type, name, nameLen, name + <usize>nameLen, linkLen);
    if (status < 0) return status;
  }
  return 0;
}

// entries.ts layout (documented there): the LayerIndex table the tar kernel builds
const TABLE_ENTRIES = 0, TABLE_COUNT = 4, TABLE_ARENA = 12;
const ENTRY_SIZE: usize = 64, E_PATH_OFF = 40, E_PATH_LEN = 44, E_LINK_REF = 48, E_TYPEFLAG = 60;
const LINK_NONE: u32 = 0xffffffff;

/** The union type code of a tar typeflag (as Go reports it). */
function typeOfFlag(flag: u32): u32 {
  if (flag == 0x30 || flag == 0x37 || flag == 0x53 || flag == 0) return TYPE_FILE; // file, contiguous, GNU sparse
  if (flag >= 0x31 && flag <= 0x36) return flag - 0x30;
  if (flag == 0x67 || flag == 0x78) return TYPE_SKIP; // pax headers are metadata, not files
  return 7; // other
}

/**
 * Adds every entry of a LayerIndex table (assembly/entries.ts) to the current layer, reading the
 * table in place. Returns 0 or an error code (see unionAddEntries).
 */
export function unionAddTable(table: usize): i32 {
  const count = load<u32>(table + TABLE_COUNT);
  for (let i: u32 = 0; i < count; i++) {
    // re-read the region pointers each time: our own tables may grow memory, never theirs
    const entries = <usize>load<u32>(table + TABLE_ENTRIES);
    const tarena = <usize>load<u32>(table + TABLE_ARENA);
    const e = entries + <usize>i * ENTRY_SIZE;
    const type = typeOfFlag(<u32>load<u8>(e + E_TYPEFLAG));
    const link = load<u32>(e + E_LINK_REF);
    const linkPtr: usize = link == LINK_NONE ? 0 : tarena + <usize>link + 4;
    const linkLen = link == LINK_NONE ? 0 : <i32>load<u32>(tarena + <usize>link);
    const status = addEntry(type, tarena + <usize>load<u32>(e + E_PATH_OFF), <i32>load<u32>(e + E_PATH_LEN), linkPtr, linkLen);
    if (status < 0) return status;
  }
  return 0;
}

function addEntry(type: u32, name: usize, nameLen: i32, link: usize, linkLen: i32): i32 {
  {
    if (type == TYPE_SKIP) {
      reserveRaws(1);
      const r = rawCount++;
      rsf(r, R_LAYER, <u32>(layerCount - 1)); rsf(r, R_PATH, 0); rsf(r, R_KIND, KIND_SKIP);
      rsf(r, R_LINKPATH, <u32>-1); rsf(r, R_NEXT, <u32>-1); rsf(r, R_INDEX, <u32>layerEntryCount);
      layerEntryCount++;
      return 0;
    }
    reserveArena(<usize>(nameLen + linkLen));
    reserveRaws(1);
    const off = arenaLen;
    let n = cleanPath(name, nameLen, arena + off);
    if (n < 0) return fail(n);
    if (countComponents(arena + off, n) > MAX_DEPTH) return fail(PATH_TOO_DEEP);
    let kind = type;
    const cls = classifyPath(arena + off, n);
    if (cls == WHITEOUT_INVALID) return fail(cls);
    if (cls == NAME_AUFS_META) kind = KIND_SKIP;
    else if (cls == NAME_OPAQUE) { kind = KIND_OPAQUE; n = parentLength(arena + off, n); }
    else if (cls == NAME_WHITEOUT) {
      const base = <usize>baseOffset(arena + off, n);
      memory.copy(arena + off + base, arena + off + base + 4, <usize>n - base - 4);
      n -= 4; kind = KIND_WHITEOUT;
    }
    if (n == 0 && kind < KIND_WHITEOUT && type != TYPE_DIR) return fail(ROOT_TYPE_CHANGE);
    arenaLen += <usize>n;
    let linkPath: i32 = -1;
    if (kind == TYPE_HARDLINK) {
      const loff = arenaLen;
      const ln = cleanPath(link, linkLen, arena + loff);
      if (ln < 0) return fail(ln);
      if (ln == 0 || classifyPath(arena + loff, ln) != NAME_PLAIN) return fail(HARDLINK_INVALID);
      arenaLen += <usize>ln;
      linkPath = intern(loff, ln);
    }
    const id = intern(off, n);
    const r = rawCount++;
    rsf(r, R_LAYER, <u32>(layerCount - 1)); rsf(r, R_PATH, <u32>id); rsf(r, R_KIND, kind);
    rsf(r, R_LINKPATH, <u32>linkPath); rsf(r, R_NEXT, pf(id, P_RAW)); rsf(r, R_INDEX, <u32>layerEntryCount);
    psf(id, P_RAW, <u32>r);
    layerEntryCount++;
  }
  return 0;
}

/** The nearest ancestor of `id` that hides it from `layer` (an upper whiteout, file or opaque dir), or -1. */
function hidingAncestor(id: i32, layer: u32): i32 {
  let a = <i32>pf(id, P_PARENT);
  while (a >= 0) {
    if (pf(a, P_HIDE_KIDS) > layer) return a;
    a = <i32>pf(a, P_PARENT);
  }
  return -1;
}

/** Whether an entry of `layer` at `id` is hidden by an upper ancestor; its parents above the hider still exist in its layer. */
function hiddenByAncestor(id: i32, layer: u32): bool {
  const hider = hidingAncestor(id, layer);
  if (hider < 0) return false;
  ensureAncestors(hider, layer);
  return true;
}

function ensureAncestors(id: i32, layer: u32): void {
  let a = <i32>pf(id, P_PARENT);
  while (a > 0) {
    const state = pf(a, P_STATE);
    // a whiteout of the same layer stays in force for lower layers (its hides are kept)
    if (state != NONE && !(state == TOMB && pf(a, P_TOP) == layer)) break;
    psf(a, P_STATE, IMPLICIT); psf(a, P_TOP, layer); psf(a, P_TYPE, TYPE_DIR);
    a = <i32>pf(a, P_PARENT);
  }
}

/** Makes `id` hide its lower versions and their children from `layer` down. */
function hideBelow(id: i32, layer: u32): void {
  psf(id, P_HIDE_SELF, maxU(pf(id, P_HIDE_SELF), layer)); psf(id, P_HIDE_KIDS, maxU(pf(id, P_HIDE_KIDS), layer));
}

/** Places an entry (raw `src`, of `type`, sharing `inode`) at `id` in `layer`, top-down rules. */
function place(id: i32, layer: u32, src: i32, type: u32, inode: i32): void {
  const state = pf(id, P_STATE);
  const nondir = type != TYPE_DIR;
  if (id == 0) {
    if (!nondir && (pf(0, P_SRC) == <u32>-1 || rf(<i32>pf(0, P_SRC), R_LAYER) == layer)) psf(0, P_SRC, <u32>src);
    return;
  }
  if (state != NONE && pf(id, P_TOP) > layer) {
    // an upper layer has this path: at most a lower directory lends metadata to an implicit one;
    // the entry's parents still exist in its layer
    ensureAncestors(id, layer);
    if (pf(id, P_HIDE_SELF) > layer) return;
    if (nondir) {
      // still replaces what lies below it, including a directory earlier in its own layer
      if (state == IMPLICIT && pf(id, P_SRC) != <u32>-1 && rf(<i32>pf(id, P_SRC), R_LAYER) == layer) psf(id, P_SRC, <u32>-1);
      hideBelow(id, layer);
    }
    else if (state == IMPLICIT && (pf(id, P_SRC) == <u32>-1 || rf(<i32>pf(id, P_SRC), R_LAYER) == layer)) psf(id, P_SRC, <u32>src);
    return;
  }
  psf(id, P_STATE, ENTRY); psf(id, P_TOP, layer); psf(id, P_SRC, <u32>src); psf(id, P_TYPE, type);
  psf(id, P_INODE, <u32>inode);
  const hide: u32 = nondir ? layer : 0;
  psf(id, P_HIDE_SELF, hide); psf(id, P_HIDE_KIDS, hide);
  ensureAncestors(id, layer);
}

/** Whether layer `k` hides lower versions of `id` (a whiteout at it or above, an opaque or non-directory parent). */
function layerBlocks(id: i32, k: u32): bool {
  for (let r = <i32>pf(id, P_RAW); r >= 0; r = <i32>rf(r, R_NEXT)) {
    if (rf(r, R_LAYER) == k && rf(r, R_KIND) == KIND_WHITEOUT) return true;
  }
  for (let a = <i32>pf(id, P_PARENT); a >= 0; a = <i32>pf(a, P_PARENT)) {
    for (let r = <i32>pf(a, P_RAW); r >= 0; r = <i32>rf(r, R_NEXT)) {
      if (rf(r, R_LAYER) != k) continue;
      const kind = rf(r, R_KIND);
      if (kind == KIND_WHITEOUT || kind == KIND_OPAQUE || (kind < KIND_WHITEOUT && kind != TYPE_DIR)) return true;
    }
  }
  return false;
}

/** The raw entry a hardlink `self` in `layer` names by `target`, as its layer sees it; -1 if none. */
function resolveLink(target: i32, layer: u32, self: i32, hops: i32): i32 {
  if (hops > MAX_LINK_HOPS) return -1;
  for (let k = <i32>layer; k >= 0; k--) {
    // the chain runs newest first, so the first match is the last one in tar order
    for (let r = <i32>pf(target, P_RAW); r >= 0; r = <i32>rf(r, R_NEXT)) {
      if (rf(r, R_LAYER) != <u32>k || rf(r, R_KIND) >= KIND_WHITEOUT) continue;
      if (<u32>k == layer && r >= self) continue; // forward references are invalid
      if (rf(r, R_KIND) == TYPE_HARDLINK) return resolveLink(<i32>rf(r, R_LINKPATH), <u32>k, r, hops + 1);
      return r;
    }
    if (layerBlocks(target, <u32>k)) return -1;
  }
  return -1;
}

function placeHardlink(r: i32, id: i32, layer: u32): i32 {
  const target = resolveLink(<i32>rf(r, R_LINKPATH), layer, r, 0);
  if (target < 0 || rf(target, R_KIND) == TYPE_DIR) { failedEntry = <i32>rf(r, R_INDEX); failedLayer = <i32>layer; return HARDLINK_INVALID; }
  const type = rf(target, R_KIND);
  let inode = target;
  if (rf(target, R_LAYER) < layer) {
    // overlayfs copies the lower target up into this layer and links the copy
    const copy = <i32>rf(target, R_PATH);
    if (pf(copy, P_STATE) == ENTRY && pf(copy, P_TOP) == layer && <i32>pf(copy, P_SRC) == target) inode = <i32>pf(copy, P_INODE);
    else {
      inode = rawCount + nextInode++;
      if (pf(copy, P_STATE) == NONE && !hiddenByAncestor(copy, layer)) place(copy, layer, target, type, inode);
    }
  }
  place(id, layer, target, type, inode);
  return 0;
}

function mergeLayer(layer: u32): i32 {
  const first = <i32>load<u32>(layerStarts + (<usize>layer << 2));
  const last = <i32>load<u32>(layerStarts + (<usize>(layer + 1) << 2));
  for (let r = first; r < last; r++) {
    const kind = rf(r, R_KIND);
    if (kind >= KIND_WHITEOUT) continue;
    const id = <i32>rf(r, R_PATH);
    if (hiddenByAncestor(id, layer)) continue;
    if (kind == TYPE_HARDLINK) {
      const state = pf(id, P_STATE);
      if (state != NONE && pf(id, P_TOP) > layer) {
        ensureAncestors(id, layer);
        if (pf(id, P_HIDE_SELF) <= layer) hideBelow(id, layer);
        continue;
      }
      const err = placeHardlink(r, id, layer);
      if (err < 0) return err;
    } else place(id, layer, r, kind, r);
  }
  for (let r = first; r < last; r++) {
    const kind = rf(r, R_KIND);
    const id = <i32>rf(r, R_PATH);
    if (kind == KIND_WHITEOUT) {
      const state = pf(id, P_STATE);
      if (state == NONE) {
        psf(id, P_STATE, TOMB); psf(id, P_TOP, layer); psf(id, P_HIDE_SELF, layer); psf(id, P_HIDE_KIDS, layer);
      } else if (pf(id, P_TOP) > layer || pf(id, P_TYPE) == TYPE_DIR) hideBelow(id, layer);
    } else if (kind == KIND_OPAQUE) {
      if (id != 0 && hiddenByAncestor(id, layer)) continue;
      const state = pf(id, P_STATE);
      ensureAncestors(id, layer);
      if (state == NONE || (state == TOMB && pf(id, P_TOP) == layer)) {
        psf(id, P_STATE, IMPLICIT); psf(id, P_TOP, layer); psf(id, P_TYPE, TYPE_DIR);
        ensureAncestors(id, layer);
      }
      psf(id, P_HIDE_KIDS, maxU(pf(id, P_HIDE_KIDS), layer));
    }
  }
  return 0;
}

let dfsStack: usize = 0;

@inline function nameOff(id: i32): usize {
  const parentLen = pf(<i32>pf(id, P_PARENT), P_LEN);
  return <usize>pf(id, P_OFF) + <usize>(parentLen == 0 ? 0 : parentLen + 1);
}

@inline function compareNames(a: i32, b: i32): i32 {
  const ao = nameOff(a), bo = nameOff(b);
  return comparePaths(arena + ao, <i32>(<usize>pf(a, P_OFF) + <usize>pf(a, P_LEN) - ao), arena + bo, <i32>(<usize>pf(b, P_OFF) + <usize>pf(b, P_LEN) - bo));
}

/** Sorts `n` sibling ids at `ids` by name: insertion sort when short, else a bottom-up merge sort. */
function sortSiblings(ids: usize, n: i32, tmp: usize): void {
  if (n <= 16) {
    for (let i = 1; i < n; i++) {
      const v = <i32>load<u32>(ids + (<usize>i << 2));
      let j = i - 1;
      while (j >= 0 && compareNames(<i32>load<u32>(ids + (<usize>j << 2)), v) > 0) {
        store<u32>(ids + (<usize>(j + 1) << 2), load<u32>(ids + (<usize>j << 2)));
        j--;
      }
      store<u32>(ids + (<usize>(j + 1) << 2), <u32>v);
    }
    return;
  }
  let src = ids, dst = tmp;
  for (let width = 1; width < n; width <<= 1) {
    for (let lo = 0; lo < n; lo += width << 1) {
      const mid = min(lo + width, n), hi = min(lo + (width << 1), n);
      let i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const a = <i32>load<u32>(src + (<usize>i << 2)), b = <i32>load<u32>(src + (<usize>j << 2));
        if (compareNames(a, b) <= 0) { store<u32>(dst + (<usize>(k++) << 2), <u32>a); i++; }
        else { store<u32>(dst + (<usize>(k++) << 2), <u32>b); j++; }
      }
      while (i < mid) store<u32>(dst + (<usize>(k++) << 2), load<u32>(src + (<usize>(i++) << 2)));
      while (j < hi) store<u32>(dst + (<usize>(k++) << 2), load<u32>(src + (<usize>(j++) << 2)));
    }
    const t = src; src = dst; dst = t;
  }
  if (src != ids) memory.copy(ids, src, <usize>n << 2);
}

/** Appends path `id` to the result under the record at `parentPos`. */
function emit(id: i32, parentPos: i32): void {
  const pos = outCount++;
  psf(id, P_POS, <u32>pos);
  const rec = out + <usize>pos * UNION_RECORD_SIZE;
  const src = <i32>pf(id, P_SRC);
  store<u32>(rec + O_ID, <u32>id);
  store<i32>(rec + O_SRC_LAYER, src >= 0 ? <i32>rf(src, R_LAYER) : -1);
  store<i32>(rec + O_SRC_ENTRY, src >= 0 ? <i32>rf(src, R_INDEX) : -1);
  store<u32>(rec + O_LAYER, pf(id, P_STATE) == IMPLICIT && src >= 0 ? rf(src, R_LAYER) : pf(id, P_TOP));
  store<u32>(rec + O_TYPE, pf(id, P_TYPE));
  store<i32>(rec + O_INODE, pf(id, P_STATE) == IMPLICIT ? -1 : <i32>pf(id, P_INODE));
  store<i32>(rec + O_END, pos + 1);
  store<i32>(rec + O_PARENT, parentPos);
  store<u32>(rec + O_TOP, pf(id, P_TOP));
}

/** Merges the layers added so far; returns the number of paths in the result, or an error code. */
export function unionMerge(): i32 {
  store<u32>(layerStarts + (<usize>layerCount << 2), <u32>rawCount);
  for (let l = layerCount - 1; l >= 0; l--) {
    layerEntryCount = 0;
    const err = mergeLayer(<u32>l);
    if (err < 0) return err;
  }
  // children lists (CSR): start[p]..start[p+1] in `kids`, each list sorted by name; then a
  // depth-first walk from the root emits the result. Only directories are descended into, so a
  // child under a path that is not a directory in the result is dropped here.
  const need = pathCount * 4 + 2;
  if (scratchCap < need) {
    if (scratch != 0) heap.free(scratch);
    scratchCap = need; scratch = heap.alloc(<usize>scratchCap << 2);
  }
  const start = scratch, kids = scratch + (<usize>(pathCount + 1) << 2);
  const cursor = kids + (<usize>pathCount << 2), tmp = cursor + (<usize>(pathCount + 1) << 2);
  memory.fill(start, 0, <usize>(pathCount + 1) << 2);
  let n = 0;
  for (let id = 1; id < pathCount; id++) {
    const st = pf(id, P_STATE);
    if (st != ENTRY && st != IMPLICIT) continue;
    const at = start + (<usize>(pf(id, P_PARENT) + 1) << 2);
    store<u32>(at, load<u32>(at) + 1);
    n++;
  }
  for (let p = 0; p < pathCount; p++) {
    const at = start + (<usize>(p + 1) << 2);
    store<u32>(at, load<u32>(at) + load<u32>(at - 4));
  }
  memory.copy(cursor, start, <usize>(pathCount + 1) << 2);
  for (let id = 1; id < pathCount; id++) {
    const st = pf(id, P_STATE);
    if (st != ENTRY && st != IMPLICIT) continue;
    const at = cursor + (<usize>pf(id, P_PARENT) << 2);
    const slot = load<u32>(at);
    store<u32>(at, slot + 1);
    store<u32>(kids + (<usize>slot << 2), <u32>id);
  }
  if (outCap < n) {
    if (out != 0) heap.free(out);
    outCap = n; out = heap.alloc(<usize>n * UNION_RECORD_SIZE);
  }
  psf(0, P_POS, <u32>-1);
  outCount = 0;
  // explicit stack of (directory id, next child slot); depth is bounded by MAX_DEPTH
  if (dfsStack == 0) dfsStack = heap.alloc(<usize>(MAX_DEPTH + 2) << 3);
  let depth = 0;
  store<u32>(dfsStack, 0);
  store<u32>(dfsStack + 4, load<u32>(start));
  sortSiblings(kids + (<usize>load<u32>(start) << 2), <i32>(load<u32>(start + 4) - load<u32>(start)), tmp);
  while (depth >= 0) {
    const frame = dfsStack + (<usize>depth << 3);
    const dir = <i32>load<u32>(frame);
    const slot = load<u32>(frame + 4);
    if (slot >= load<u32>(start + (<usize>(dir + 1) << 2))) { depth--; continue; }
    store<u32>(frame + 4, slot + 1);
    const id = <i32>load<u32>(kids + (<usize>slot << 2));
    emit(id, dir == 0 ? -1 : <i32>pf(dir, P_POS));
    if (pf(id, P_TYPE) == TYPE_DIR) {
      const first = load<u32>(start + (<usize>id << 2)), last = load<u32>(start + (<usize>(id + 1) << 2));
      if (last > first) {
        sortSiblings(kids + (<usize>first << 2), <i32>(last - first), tmp);
        depth++;
        store<u32>(dfsStack + (<usize>depth << 3), <u32>id);
        store<u32>(dfsStack + (<usize>depth << 3) + 4, first);
      }
    }
  }
  for (let pos = outCount - 1; pos >= 0; pos--) {
    const rec = out + <usize>pos * UNION_RECORD_SIZE;
    const parentPos = load<i32>(rec + O_PARENT);
    if (parentPos >= 0) {
      const prec = out + <usize>parentPos * UNION_RECORD_SIZE;
      const end = load<i32>(rec + O_END);
      if (end > load<i32>(prec + O_END)) store<i32>(prec + O_END, end);
    }
  }
  lookupReset(outCount);
  for (let pos = 0; pos < outCount; pos++) {
    const id = load<i32>(out + <usize>pos * UNION_RECORD_SIZE + O_ID);
    lookupInsert(pf(id, P_HASH), arena, pf(id, P_OFF), <i32>pf(id, P_LEN), pos);
  }
  return outCount;
}

/** The position of a cleaned path in the result, or -1 (the root is -2: it has no record). */
export function unionLookup(ptr: usize, len: i32): i32 {
  if (len == 0) return -2;
  return lookupFind(arena, ptr, len, hashBytes(ptr, len));
}

/** Cleans the path at `ptr` in place, then looks it up: a position, -1 absent, -2 the root, -3 it climbs out. */
export function unionFind(ptr: usize, len: i32): i32 {
  const n = cleanPath(ptr, len, ptr);
  if (n < 0) return -3;
  return unionLookup(ptr, n);
}

/** `unionFind` for many NUL-separated paths at once: see lookupMany in union-lookup.ts. */
export function unionFindMany(ptr: usize, len: i32, results: usize, capacity: i32): i32 {
  return lookupMany(arena, ptr, len, results, capacity);
}

export const UNION_BATCH_STRIDE: usize = LOOKUP_BATCH_STRIDE;

/** Cleans a path in place (see path.ts); returns the new length or PATH_ESCAPE. */
export function unionCleanPath(ptr: usize, len: i32): i32 {
  return cleanPath(ptr, len, ptr);
}

export function unionRecords(): usize { return out; }
export function unionPathTable(): usize { return paths; }
export function unionArena(): usize { return arena; }
/** The layer of the root directory's own `./` entry, or -1 (then the entry is unionRootEntry()). */
export function unionRootLayer(): i32 {
  const src = <i32>pf(0, P_SRC);
  return src < 0 ? -1 : <i32>rf(src, R_LAYER);
}
export function unionRootEntry(): i32 {
  const src = <i32>pf(0, P_SRC);
  return src < 0 ? -1 : <i32>rf(src, R_INDEX);
}
export function unionFailedEntry(): i32 { return failedEntry; }
export function unionFailedLayer(): i32 { return failedLayer; }
export { PATH_ESCAPE, WHITEOUT_INVALID };
