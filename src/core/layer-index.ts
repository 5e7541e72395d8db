/**
 * LayerIndex: the entries of one layer tar, stored column-compact in WebAssembly memory (the
 * entry table of assembly/entries.ts) so kernels such as the union merge read it in place. Strings
 * are made only when asked for; paths stay bytes in the arena. Serialises to bytes for a cache.
 *
 *   const { index } = await indexLayer(stream);
 *   for (let i = 0; i < index.count; i++) console.log(index.type(i), index.path(i), index.size(i));
 *   const copy = LayerIndex.deserialize(index.serialize());
 */
import { LayerkitError } from '../errors.ts';
import { typeName, type SparseRegion, type TarEntryType, type TarHeader, type TarTime } from './tar-types.ts';
import { core as loadedCore, type Core } from './wasm.ts';

// Mirrors of assembly/entries.ts (the layout is documented there).
export const ENTRY_SIZE = 64;
const NONE = 0xffffffff;
const NAME_IN_META = 0xffff;
const E = { size: 0, dataOffset: 8, mtimeSec: 16, mtimeNsec: 24, mode: 28, uid: 32, gid: 36, pathOff: 40, pathLen: 44, linkRef: 48, metaRef: 52, uname: 56, gname: 58, typeflag: 60, kind: 61, flags: 62 } as const;
const T = { entries: 0, count: 4, capacity: 8, arena: 12, arenaLen: 16, arenaCap: 20, meta: 24, metaLen: 28, metaCap: 32, digests: 36, names: 40, nameCount: 44 } as const;
const F_DIGEST = 1;
const M = { uname: 1, gname: 2, pax: 3, atime: 4, ctime: 5, device: 6, wide: 7, sparse: 8 } as const;
const SERIAL_MAGIC = 0x58494b4c; // 'LKIX'
const SERIAL_VERSION = 1;
const SERIAL_HEADER = 32;

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * Whether two byte arrays hold the same bytes: four a step where both are 4-aligned, then the
 * last few one by one (unpack compares a layer's ~1 MB index while the file worker waits).
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let k = 0;
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const words = a.length >>> 2;
    const a32 = new Uint32Array(a.buffer, a.byteOffset, words), b32 = new Uint32Array(b.buffer, b.byteOffset, words);
    for (; k < words; k++) if (a32[k] !== b32[k]) return false;
    k = words << 2;
  }
  for (; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Raw pointers into WebAssembly memory, for kernels that read the table in place (assembly/union.ts). */
export interface LayerIndexLayout {
  /** Address of the 48-byte table descriptor (assembly/entries.ts TABLE_*). */
  table: number;
  entries: number;
  count: number;
  arena: number;
  meta: number;
  /** 0 when content digests were not computed. */
  digests: number;
}

export class LayerIndex {
  #view: DataView | undefined;
  #bytes: Uint8Array | undefined;

  /** Wraps a table the kernel built (see src/core/tar.ts); `table` is the descriptor's address. */
  constructor(readonly core: Core, readonly table: number) {}

  // A view of memory, re-made whenever memory grew: growth detaches the old buffer, which then
  // reads as length 0 (cheaper to test than fetching memory.buffer on every field access).
  private get dv(): DataView {
    if (this.#bytes === undefined || this.#bytes.length === 0) {
      const buffer = this.core.exports.memory.buffer;
      this.#view = new DataView(buffer);
      this.#bytes = new Uint8Array(buffer);
    }
    return this.#view!;
  }
  /** A signed 64-bit field as a number (exact below 2^53), without a BigInt per read. */
  private i64(at: number): number {
    const dv = this.dv;
    return dv.getInt32(at + 4, true) * 4294967296 + dv.getUint32(at, true);
  }
  private get u8(): Uint8Array {
    void this.dv;
    return this.#bytes!;
  }
  private t(field: number): number {
    return this.dv.getUint32(this.table + field, true);
  }
  private e(i: number): number {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`entry ${i} out of range (count ${this.count})`);
    return this.t(T.entries) + i * ENTRY_SIZE;
  }

  /** Number of entries (pax global headers included, as Go returns them). */
  get count(): number {
    return this.t(T.count);
  }
  /** Pointers for kernels that read the table in place; re-read after anything that may grow memory. */
  layout(): LayerIndexLayout {
    return { table: this.table, entries: this.t(T.entries), count: this.count, arena: this.t(T.arena), meta: this.t(T.meta), digests: this.t(T.digests) };
  }
  /** Bytes of linear memory the index occupies (records + arena + extras + digests). */
  get byteLength(): number {
    return this.t(T.capacity) * ENTRY_SIZE + this.t(T.arenaCap) + this.t(T.metaCap) + (this.t(T.digests) ? this.t(T.capacity) * 32 : 0) + 4096 + 48;
  }
  /** Bytes in use: count × 64 + arena bytes + extras bytes (+ 32 per digest). */
  get usedBytes(): number {
    return this.count * ENTRY_SIZE + this.t(T.arenaLen) + this.t(T.metaLen) + (this.t(T.digests) ? this.count * 32 : 0);
  }

  /** The path bytes of entry i, as a view of memory: valid only until memory grows. */
  private pathView(i: number): Uint8Array {
    const e = this.e(i);
    const off = this.t(T.arena) + this.dv.getUint32(e + E.pathOff, true);
    return this.u8.subarray(off, off + this.dv.getUint32(e + E.pathLen, true));
  }
  /** The path bytes of entry i: a copy (memory views die when memory grows). */
  pathBytes(i: number): Uint8Array {
    return this.pathView(i).slice();
  }
  path(i: number): string {
    // decoded straight from memory: decode() copies into the string before anything can grow it
    return utf8.decode(this.pathView(i));
  }
  /**
   * The first entry at or after `from` whose typeflag byte is one of `typeflags`, else count: one
   * loop over the records' bytes, without a call per entry (8k calls to typeflag() took ~5 ms in
   * an unpack, run once and so never optimised).
   */
  firstWithTypeflag(typeflags: readonly number[], from = 0): number {
    const wanted = new Uint8Array(256);
    for (const t of typeflags) wanted[t & 0xff] = 1;
    const count = this.count, u8 = this.u8;
    for (let i = Math.max(0, from), at = this.t(T.entries) + i * ENTRY_SIZE + E.typeflag; i < count; i++, at += ENTRY_SIZE) if (wanted[u8[at]!]) return i;
    return count;
  }
  typeflag(i: number): number {
    return this.dv.getUint8(this.e(i) + E.typeflag);
  }
  type(i: number): TarEntryType {
    return typeName(this.typeflag(i));
  }
  mode(i: number): number {
    return this.wide(i)?.[0] ?? this.dv.getUint32(this.e(i) + E.mode, true);
  }
  uid(i: number): number {
    return this.wide(i)?.[1] ?? this.dv.getUint32(this.e(i) + E.uid, true);
  }
  gid(i: number): number {
    return this.wide(i)?.[2] ?? this.dv.getUint32(this.e(i) + E.gid, true);
  }
  /** Logical size (sparse files: expanded). */
  size(i: number): number {
    return this.i64(this.e(i) + E.size);
  }
  /** Offset of the entry's first data byte in the uncompressed stream. */
  dataOffset(i: number): number {
    return this.i64(this.e(i) + E.dataOffset);
  }
  mtimeSec(i: number): number {
    return this.i64(this.e(i) + E.mtimeSec);
  }
  mtimeNsec(i: number): number {
    return this.dv.getUint32(this.e(i) + E.mtimeNsec, true);
  }
  mtime(i: number): TarTime {
    return { sec: this.mtimeSec(i), nsec: this.mtimeNsec(i) };
  }
  linknameBytes(i: number): Uint8Array {
    const ref = this.dv.getUint32(this.e(i) + E.linkRef, true);
    if (ref === NONE) return EMPTY;
    const at = this.t(T.arena) + ref;
    return this.u8.slice(at + 4, at + 4 + this.dv.getUint32(at, true));
  }
  linkname(i: number): string {
    return utf8.decode(this.linknameBytes(i));
  }
  unameBytes(i: number): Uint8Array {
    return this.name(i, E.uname, M.uname);
  }
  uname(i: number): string {
    return utf8.decode(this.unameBytes(i));
  }
  gnameBytes(i: number): Uint8Array {
    return this.name(i, E.gname, M.gname);
  }
  gname(i: number): string {
    return utf8.decode(this.gnameBytes(i));
  }
  /**
   * Which entry of the index's shared name table holds entry i's user (`uname`) or group (`gname`)
   * name: equal ids, equal names. -1 when the name is the entry's own (a pax record). Lets a
   * caller listing a finished index decode each distinct name once.
   */
  nameId(i: number, which: 'uname' | 'gname'): number {
    const n = this.dv.getUint16(this.e(i) + (which === 'uname' ? E.uname : E.gname), true);
    return n === NAME_IN_META ? -1 : n;
  }
  devmajor(i: number): number {
    const d = this.item(i, M.device);
    return d ? Number(d.getBigInt64(0, true)) : 0;
  }
  devminor(i: number): number {
    const d = this.item(i, M.device);
    return d ? Number(d.getBigInt64(8, true)) : 0;
  }
  atime(i: number): TarTime | undefined {
    return this.time(i, M.atime);
  }
  ctime(i: number): TarTime | undefined {
    return this.time(i, M.ctime);
  }
  /** Whether entry i carries extras (pax records, sparse map, device numbers, wide fields, other times). */
  hasExtras(i: number): boolean {
    return this.dv.getUint32(this.e(i) + E.metaRef, true) !== NONE;
  }
  /** The pax records of entry i as stored: raw key and value bytes, in order (a later record wins). */
  paxRecords(i: number): [key: Uint8Array, value: Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const item of this.items(i)) {
      if (item.tag !== M.pax) continue;
      const keyLen = item.view.getUint32(0, true);
      const bytes = new Uint8Array(item.view.buffer, item.view.byteOffset, item.view.byteLength);
      out.push([bytes.slice(4, 4 + keyLen), bytes.slice(4 + keyLen)]);
    }
    return out;
  }
  /** Every pax record that applied to entry i, in Go's map semantics (a later record wins); keys decoded as UTF-8. */
  pax(i: number): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [key, value] of this.paxRecords(i)) out.set(utf8.decode(key), value);
    return out;
  }
  /** `SCHILY.xattr.*` records with non-empty values, without the prefix (Go's `Xattrs`). */
  xattrs(i: number): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [key, value] of this.pax(i)) {
      if (key.startsWith('SCHILY.xattr.') && value.length > 0) out.set(key.slice(13), value);
    }
    return out;
  }
  /** The stored regions of a GNU sparse file, or undefined for other entries. */
  sparse(i: number): SparseRegion[] | undefined {
    const d = this.item(i, M.sparse);
    if (!d) return undefined;
    const regions: SparseRegion[] = [];
    for (let at = 8; at + 16 <= d.byteLength; at += 16) {
      regions.push({ offset: Number(d.getBigInt64(at, true)), length: Number(d.getBigInt64(at + 8, true)) });
    }
    return regions;
  }
  /** Bytes the entry occupies after its header(s), without padding. */
  physicalSize(i: number): number {
    const d = this.item(i, M.sparse);
    return d ? Number(d.getBigUint64(0, true)) : carriesDataSize(this.typeflag(i), this.size(i));
  }
  /** The sha256 of entry i's (logical) content, when the index was built with `sha256Files`. */
  sha256(i: number): Uint8Array | undefined {
    const e = this.e(i);
    if ((this.dv.getUint16(e + E.flags, true) & F_DIGEST) === 0) return undefined;
    const at = this.t(T.digests) + i * 32;
    return this.u8.slice(at, at + 32);
  }
  /** Everything about entry i as one object. */
  header(i: number): TarHeader {
    this.#caching = true;
    try {
      return this.buildHeader(i);
    } finally {
      this.#caching = false;
      this.#itemsCache = undefined;
    }
  }
  private buildHeader(i: number): TarHeader {
    const nameBytes = this.pathBytes(i);
    const linknameBytes = this.linknameBytes(i);
    const typeflag = this.typeflag(i);
    const header: TarHeader = {
      name: utf8.decode(nameBytes), nameBytes, linkname: utf8.decode(linknameBytes), linknameBytes,
      typeflag, type: typeName(typeflag), size: this.size(i), mode: this.mode(i), uid: this.uid(i), gid: this.gid(i),
      uname: this.uname(i), gname: this.gname(i), mtime: this.mtime(i), devmajor: this.devmajor(i), devminor: this.devminor(i),
      xattrs: this.xattrs(i), pax: this.pax(i), dataOffset: this.dataOffset(i), physicalSize: this.physicalSize(i),
    };
    const atime = this.atime(i), ctime = this.ctime(i), sparse = this.sparse(i);
    if (atime) header.atime = atime;
    if (ctime) header.ctime = ctime;
    if (sparse) header.sparse = sparse;
    return header;
  }

  /**
   * What serialize() writes: the header's counts (count, arena, extras, digests present, names)
   * and the memory regions that follow them (records, arena, extras, digests, names), in order.
   */
  #serialParts(): { counts: number[]; regions: [ptr: number, length: number][] } {
    const count = this.count, arenaLen = this.t(T.arenaLen), metaLen = this.t(T.metaLen), nameCount = this.t(T.nameCount);
    const digests = this.t(T.digests) !== 0;
    return {
      counts: [count, arenaLen, metaLen, digests ? 1 : 0, nameCount],
      regions: [
        [this.t(T.entries), count * ENTRY_SIZE], [this.t(T.arena), arenaLen], [this.t(T.meta), metaLen],
        [digests ? this.t(T.digests) : 0, digests ? count * 32 : 0], [this.t(T.names), nameCount * 4],
      ],
    };
  }

  /** The index as bytes (records, arena, extras, digests, names), for a store to cache by diffID. */
  serialize(): Uint8Array {
    const { counts, regions } = this.#serialParts();
    const out = new Uint8Array(SERIAL_HEADER + regions.reduce((n, [, len]) => n + len, 0));
    const header = new DataView(out.buffer);
    [SERIAL_MAGIC, SERIAL_VERSION, ...counts, 0].forEach((v, k) => header.setUint32(k * 4, v, true));
    let at = SERIAL_HEADER;
    const memory = this.u8;
    for (const [ptr, len] of regions) {
      out.set(memory.subarray(ptr, ptr + len), at);
      at += len;
    }
    return out;
  }

  /**
   * Whether `other` holds the same entries, byte for byte (the same tar indexed twice does): the
   * bytes serialize() would write for each, compared where they lie, without copying them out.
   */
  equals(other: LayerIndex): boolean {
    const a = this.#serialParts(), b = other.#serialParts();
    if (a.counts.some((n, k) => n !== b.counts[k])) return false;
    const am = this.u8, bm = other.u8;
    return a.regions.every(([ap, len], k) => {
      const bp = b.regions[k]![0];
      return sameBytes(am.subarray(ap, ap + len), bm.subarray(bp, bp + len));
    });
  }

  /** Rebuilds an index in WebAssembly memory from `serialize()` output; checks the framing. */
  static deserialize(bytes: Uint8Array, core: Core = loadedCore()): LayerIndex {
    const bad = (why: string) => new LayerkitError('INDEX_CORRUPT', `cannot read a layer index: ${why}`, { hint: 're-index the layer' });
    if (bytes.length < SERIAL_HEADER) throw bad('too short');
    const header = new DataView(bytes.buffer, bytes.byteOffset, SERIAL_HEADER);
    const [magic, version, count, arenaLen, metaLen, digests, nameCount] = Array.from({ length: 7 }, (_, k) => header.getUint32(k * 4, true)) as number[];
    if (magic !== SERIAL_MAGIC || version !== SERIAL_VERSION) throw bad('not a layerkit index (or another version)');
    const lengths = [count! * ENTRY_SIZE, arenaLen!, metaLen!, digests ? count! * 32 : 0, nameCount! * 4];
    if (nameCount! < 1 || nameCount! > 1024 || SERIAL_HEADER + lengths.reduce((a, b) => a + b, 0) !== bytes.length) throw bad('wrong length');
    const table = core.exports.entriesCreate(count!, arenaLen!, metaLen!, digests ? 1 : 0);
    const index = new LayerIndex(core, table);
    const dv = index.dv;
    const fields = [T.entries, T.arena, T.meta, T.digests, T.names];
    let at = SERIAL_HEADER;
    lengths.forEach((len, k) => {
      if (len > 0) index.u8.set(bytes.subarray(at, at + len), dv.getUint32(table + fields[k]!, true));
      at += len;
    });
    dv.setUint32(table + T.count, count!, true);
    dv.setUint32(table + T.arenaLen, arenaLen!, true);
    dv.setUint32(table + T.metaLen, metaLen!, true);
    dv.setUint32(table + T.nameCount, nameCount!, true);
    index.validate(bad);
    return index;
  }

  /** Frees the table's memory; the index must not be used afterwards. */
  free(): void {
    this.core.exports.entriesFree(this.table);
  }

  // Every offset inside the records must stay inside its region, so a corrupt cache cannot read astray.
  private validate(bad: (why: string) => Error): void {
    const arenaLen = this.t(T.arenaLen), metaLen = this.t(T.metaLen);
    for (let i = 0; i < this.count; i++) {
      const e = this.t(T.entries) + i * ENTRY_SIZE;
      const pathEnd = this.dv.getUint32(e + E.pathOff, true) + this.dv.getUint32(e + E.pathLen, true);
      const link = this.dv.getUint32(e + E.linkRef, true);
      const meta = this.dv.getUint32(e + E.metaRef, true);
      if (pathEnd > arenaLen) throw bad(`entry ${i}: path outside the arena`);
      if (link !== NONE && (link + 4 > arenaLen || link + 4 + this.dv.getUint32(this.t(T.arena) + link, true) > arenaLen)) throw bad(`entry ${i}: link outside the arena`);
      if (meta !== NONE && (meta + 4 > metaLen || meta + 4 + this.dv.getUint32(this.t(T.meta) + meta, true) > metaLen)) throw bad(`entry ${i}: extras outside their region`);
      for (const field of [E.uname, E.gname]) {
        const n = this.dv.getUint16(e + field, true);
        if (n !== NAME_IN_META && n >= this.t(T.nameCount)) throw bad(`entry ${i}: bad name index`);
      }
    }
    for (let k = 1; k < this.t(T.nameCount); k++) {
      const ref = this.dv.getUint32(this.t(T.names) + k * 4, true);
      if (ref + 4 > arenaLen || ref + 4 + this.dv.getUint32(this.t(T.arena) + ref, true) > arenaLen) throw bad('name outside the arena');
    }
  }

  private name(i: number, field: number, tag: number): Uint8Array {
    const n = this.dv.getUint16(this.e(i) + field, true);
    if (n === 0) return EMPTY;
    if (n === NAME_IN_META) {
      const d = this.item(i, tag);
      return d ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice() : EMPTY;
    }
    const at = this.t(T.arena) + this.dv.getUint32(this.t(T.names) + n * 4, true);
    return this.u8.slice(at + 4, at + 4 + this.dv.getUint32(at, true));
  }
  private time(i: number, tag: number): TarTime | undefined {
    const d = this.item(i, tag);
    return d ? { sec: Number(d.getBigInt64(0, true)), nsec: d.getUint32(8, true) } : undefined;
  }
  private wide(i: number): [number, number, number] | undefined {
    const d = this.item(i, M.wide);
    return d ? [Number(d.getBigInt64(0, true)), Number(d.getBigInt64(8, true)), Number(d.getBigInt64(16, true))] : undefined;
  }
  private item(i: number, tag: number): DataView | undefined {
    let found: DataView | undefined;
    for (const item of this.items(i)) if (item.tag === tag) found = item.view;
    return found;
  }
  // The extras items of entry i, as copies (so callers may keep them across calls). While
  // header(i) runs they are decoded once (it asks for several in a row).
  #itemsCache: { i: number; items: { tag: number; view: DataView }[] } | undefined;
  #caching = false;
  private items(i: number): { tag: number; view: DataView }[] {
    const ref = this.dv.getUint32(this.e(i) + E.metaRef, true);
    if (ref === NONE) return [];
    if (this.#caching && this.#itemsCache?.i === i) return this.#itemsCache.items;
    const base = this.t(T.meta) + ref;
    const items: { tag: number; view: DataView }[] = [];
    const end = base + 4 + this.dv.getUint32(base, true);
    for (let at = base + 4; at + 8 <= end; ) {
      const tag = this.dv.getUint32(at, true), len = this.dv.getUint32(at + 4, true);
      const copy = this.u8.slice(at + 8, at + 8 + len);
      items.push({ tag, view: new DataView(copy.buffer) });
      at += 8 + ((len + 3) & ~3);
    }
    if (this.#caching) this.#itemsCache = { i, items };
    return items;
  }
}

function carriesDataSize(typeflag: number, size: number): number {
  return (typeflag >= 0x31 && typeflag <= 0x36) || typeflag === 0x67 ? 0 : size;
}
