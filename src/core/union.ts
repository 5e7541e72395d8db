/**
 * The union kernel's binding: feeds each layer's entry names to assembly/union.ts, bottom layer
 * first, runs the top-down merge and reads the merged index back through typed views.
 *
 *   const union = buildUnion(core(), [[{ type: 'dir', name: 'etc/' }, { type: 'file', name: 'etc/.wh.motd' }], ...]);
 *   union.lookup('/etc/passwd') // position in the sorted result, or -1
 */
import { LayerkitError } from '../errors.ts';
import type { Core } from './wasm.ts';

/** Entry types the kernel distinguishes (the rest of the metadata stays with the caller). */
export type UnionEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other' | 'skip';
/** `skip`: an entry that is not a file (a pax global header); it keeps its number but is never placed. */
const TYPE_CODES: Record<UnionEntryType, number> = { file: 0, hardlink: 1, symlink: 2, char: 3, block: 4, dir: 5, fifo: 6, other: 7, skip: 8 };
const TYPE_NAMES: UnionEntryType[] = ['file', 'hardlink', 'symlink', 'char', 'block', 'dir', 'fifo', 'other'];

/** One tar entry as the merge needs it: its type, its recorded name, and a hardlink's target. */
export interface UnionInput {
  type: UnionEntryType;
  name: Uint8Array | string;
  link?: Uint8Array | string;
}

const ERRORS: Record<number, [code: string, why: string, hint: string]> = {
  [-1]: ['PATH_ESCAPE', 'its name climbs out of the root with ".."', 'the layer is hostile or broken; it is refused'],
  [-2]: ['WHITEOUT_INVALID', 'it is a whiteout that names no sibling (".wh.", ".wh..", ".wh...") or a whiteout used as a directory', 'the layer is refused'],
  [-3]: ['HARDLINK_INVALID', 'it is a hardlink whose target is missing, later in the layer, a directory or a whiteout', 'hardlinks must name a file extracted before them'],
  [-4]: ['ROOT_TYPE_CHANGE', 'it would make the root something other than a directory', 'the layer is refused'],
  [-5]: ['PATH_TOO_DEEP', 'its path has more than 1024 components', 'the layer is refused'],
  [-6]: ['TOO_MANY_LAYERS', 'the chain has more than 1024 layers', ''],
};

/** The error a kernel status code stands for; `where` names the layer entry. */
export function unionError(status: number, where: string): LayerkitError {
  const [code, why, hint] = ERRORS[status] ?? ['UNION_FAILED', `the union kernel failed with status ${status}`, 'this is a bug'];
  return new LayerkitError(code, `${where}: ${why}`, hint ? { hint } : {});
}

const RECORD_INTS = 9; // UNION_RECORD_SIZE / 4
const PATH_INTS = 14; // UNION_PATH_RECORD_SIZE / 4
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let generation = 0;

function bytesOf(value: Uint8Array | string | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/**
 * The merged index of a chain: positions 0..count-1 in depth-first name order. Valid until the
 * next buildUnion on the same core (the kernel keeps one merge at a time).
 */
export class UnionIndex {
  readonly #generation: number;
  /** Per position: [pathId, srcLayer, srcEntry, layer, type, inode, subtreeEnd, parentPos, topLayer]. */
  readonly records: Int32Array;
  readonly rootLayer: number;
  readonly rootEntry: number;
  #paths: (string | undefined)[];
  #staging: Uint8Array;

  constructor(private readonly core: Core, readonly count: number) {
    this.#generation = generation;
    const x = core.exports;
    this.records = new Int32Array(core.exports.memory.buffer, x.unionRecords(), count * RECORD_INTS).slice();
    this.rootLayer = x.unionRootLayer();
    this.rootEntry = x.unionRootEntry();
    this.#paths = new Array(count);
    this.#staging = core.bytes(core.inputPtr, core.inputSize);
  }

  #check(): void {
    if (this.#generation !== generation) {
      throw new LayerkitError('UNION_STALE', 'this union index was replaced by a newer merge', { hint: 'keep one UnionIndex per core at a time' });
    }
  }

  /** The relative path at `pos` (no leading `/`). */
  path(pos: number): string {
    let path = this.#paths[pos];
    if (path === undefined) path = this.#paths[pos] = decoder.decode(this.pathBytes(pos));
    return path;
  }

  /** The path's bytes (a copy). */
  pathBytes(pos: number): Uint8Array {
    this.#check();
    const x = this.core.exports;
    const id = this.records[pos * RECORD_INTS]!;
    const table = new Int32Array(x.memory.buffer, x.unionPathTable() + id * PATH_INTS * 4, 2);
    return this.core.bytes(x.unionArena() + table[0]!, table[1]!).slice();
  }

  /** The layer whose entry supplies the metadata and content (-1: an implicit parent with none). */
  sourceLayer(pos: number): number { return this.records[pos * RECORD_INTS + 1]!; }
  /** The index of that entry within its layer, in tar order. */
  sourceEntry(pos: number): number { return this.records[pos * RECORD_INTS + 2]!; }
  /** The layer that put this path in the union (for hardlinks: the link's layer). */
  layer(pos: number): number { return this.records[pos * RECORD_INTS + 3]!; }
  /** The resolved type (a hardlink reports its target's type). */
  type(pos: number): UnionEntryType { return TYPE_NAMES[this.records[pos * RECORD_INTS + 4]!]!; }
  /** Paths with equal inode numbers (≥ 0) are hardlinks of one file. */
  inode(pos: number): number { return this.records[pos * RECORD_INTS + 5]!; }
  /** One past the last position of this path's subtree. */
  subtreeEnd(pos: number): number { return this.records[pos * RECORD_INTS + 6]!; }
  /** The parent's position, -1 for a top-level path. */
  parent(pos: number): number { return this.records[pos * RECORD_INTS + 7]!; }
  /** The highest layer that has this path (an entry, a copied-up link target or an implicit parent). */
  top(pos: number): number { return this.records[pos * RECORD_INTS + 8]!; }

  /** The positions of the children of `pos` (-1: the root), in name order. */
  children(pos: number): number[] {
    const out: number[] = [];
    const end = pos < 0 ? this.count : this.subtreeEnd(pos);
    for (let child = pos + 1; child < end; child = this.subtreeEnd(child)) out.push(child);
    return out;
  }

  /** The position of `path` (cleaned lexically first), -1 when absent, -2 for the root, -3 when it climbs out. */
  lookup(path: string): number {
    this.#check();
    const { core } = this;
    let view = this.#staging;
    if (view.buffer !== core.exports.memory.buffer) view = this.#staging = core.bytes(core.inputPtr, core.inputSize);
    const n = path.length;
    if (n >= view.length) return -1;
    // ASCII paths (nearly all) are copied by hand: cheaper than encodeInto for short strings
    let i = 0;
    for (; i < n; i++) {
      const c = path.charCodeAt(i);
      if (c > 0x7f) break;
      view[i] = c;
    }
    let length = n;
    if (i < n) {
      const { read, written } = encoder.encodeInto(path, view);
      if (read < n || written >= view.length) return -1;
      length = written;
    }
    return core.exports.unionFind(core.inputPtr, length);
  }

  /**
   * `lookup` for many paths in one crossing per thousand: the paths are joined with NUL and
   * encoded at once, and the kernel answers them all (see unionFindMany). Results as `lookup`'s.
   */
  lookupMany(paths: readonly string[], results = new Int32Array(paths.length)): Int32Array {
    this.#check();
    const { core } = this;
    const x = core.exports;
    const room = resultsRoom(core);
    // one array refilled for every batch: Bun joined 1M paths so in ~34 ms, from slices in ~57 (measured)
    const batch: string[] = [];
    for (let at = 0; at < paths.length; ) {
      let take = Math.min(BATCH, paths.length - at);
      for (;;) {
        batch.length = take;
        for (let k = 0; k < take; k++) batch[k] = paths[at + k]!;
        const joined = batch.join('\0');
        const view = core.bytes(core.inputPtr, core.inputSize);
        const { read, written } = encoder.encodeInto(joined, view);
        if (read === joined.length) {
          const found = x.unionFindMany(core.inputPtr, written, room, take);
          if (found === take) {
            results.set(new Int32Array(x.memory.buffer, room, take), at);
            break;
          }
          // a path held a NUL: no entry can have one (tar names end at NUL), so it is absent
          for (let k = 0; k < take; k++) results[at + k] = paths[at + k]!.includes('\0') ? -1 : this.lookup(paths[at + k]!);
          break;
        }
        if (take === 1) { results[at] = -1; break; } // longer than the staging area: no such path
        take = Math.ceil(take / 2);
      }
      at += take;
    }
    return results;
  }
}

/**
 * Paths per unionFindMany call: the results room is BATCH × UNION_BATCH_STRIDE bytes, allocated
 * once per core. Node joined 1M paths in ~50 ms as batches of 1024 and ~80-126 ms as batches of
 * 8192 (measured); fewer crossings saved less than that.
 */
const BATCH = 1024;
const batchRoom = new WeakMap<Core, number>();

function resultsRoom(core: Core): number {
  let ptr = batchRoom.get(core);
  if (ptr === undefined) batchRoom.set(core, (ptr = core.exports.alloc(BATCH * Number(core.exports.UNION_BATCH_STRIDE.value))));
  return ptr;
}

/** A layer for the merge: entries given one by one, or the address of a LayerIndex table read in place. */
export type UnionLayerInput = Iterable<UnionInput> | { table: number };

/** Merges `layers` (bottom first; each its entries in tar order, or a LayerIndex table). */
export function buildUnion(core: Core, layers: UnionLayerInput[], sizeHint = 0): UnionIndex {
  const x = core.exports;
  generation++;
  x.unionReset(sizeHint, sizeHint * 32);
  const limit = core.inputSize;
  layers.forEach((entries, layer) => {
    const status = x.unionBeginLayer();
    if (status < 0) throw unionError(status, `layer ${layer}`);
    if ('table' in entries) {
      const added = x.unionAddTable(entries.table);
      if (added < 0) throw unionError(added, `layer ${layer}, entry ${x.unionFailedEntry()}`);
      return;
    }
    let staged = core.bytes(core.inputPtr, limit);
    let used = 0;
    let dv = new DataView(staged.buffer, staged.byteOffset, limit);
    const flush = () => {
      if (used === 0) return;
      const status = x.unionAddEntries(core.inputPtr, used);
      if (status < 0) throw unionError(status, `layer ${layer}, entry ${x.unionFailedEntry()}`);
      used = 0;
      staged = core.bytes(core.inputPtr, limit); // memory may have grown
      dv = new DataView(staged.buffer, staged.byteOffset, limit);
    };
    for (const entry of entries) {
      const name = bytesOf(entry.name);
      const link = entry.type === 'hardlink' ? bytesOf(entry.link) : new Uint8Array(0);
      const size = 9 + name.length + link.length;
      if (size > limit) throw new LayerkitError('PATH_TOO_LONG', `layer ${layer}: an entry name of ${name.length} bytes is too long`, { hint: 'names up to 512 KiB are supported' });
      if (used + size > limit) flush();
      dv.setUint8(used, TYPE_CODES[entry.type] ?? 7);
      dv.setUint32(used + 1, name.length, true);
      dv.setUint32(used + 5, link.length, true);
      staged.set(name, used + 9);
      staged.set(link, used + 9 + name.length);
      used += size;
    }
    flush();
  });
  const count = x.unionMerge();
  if (count < 0) throw unionError(count, `layer ${x.unionFailedLayer()}, entry ${x.unionFailedEntry()}`);
  return new UnionIndex(core, count);
}
