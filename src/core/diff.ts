/**
 * The binding of the diff kernel (assembly/diff.ts): lays a DiffTree out as the kernel's entry
 * table + arena in linear memory and reads the A/C/D records back. Only this file knows the layout.
 *
 *   const a = encodeTree(core(), treeA), b = encodeTree(core(), treeB);
 *   const records = runDiffKernel(core(), a, b, 0); b.free(); a.free();
 */
import type { Core } from './wasm.ts';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
export const CAPABILITY_XATTR = 'security.capability';

/** What the kernel reads of an entry (src/diff/tree.ts's TreeEntry has these and more). */
export interface KernelEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Uint8Array>;
  linkGroup?: string;
}

const ENTRY = 72;
const RECORD = 16;
const NO_VALUE = 0xffffffff;
const TYPE_CODE: Record<EntryType, number> = { file: 0, dir: 1, symlink: 2, char: 3, block: 4, fifo: 5, socket: 6 };

export const DIFF_FLAGS = { content: 2, ignoreMtime: 4, reportLinks: 8 } as const;
export const RECORD_KIND = { added: 1, changed: 2, deleted: 3, maybe: 4, unchangedLink: 5 } as const;

const encoder = new TextEncoder();

/** A tree laid out in linear memory; `free()` it (in reverse order of encoding) when done. */
export interface CoreTree {
  readonly ptr: number;
  readonly count: number;
  readonly arena: number;
  free(): void;
}

class Arena {
  bytes = new Uint8Array(1 << 16);
  length = 0;
  /** Appends `value`, returning its offset and byte length. */
  put(value: string | Uint8Array): [number, number] {
    const need = typeof value === 'string' ? value.length * 3 : value.length;
    if (this.length + need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + need));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    const offset = this.length;
    if (typeof value === 'string') this.length += encoder.encodeInto(value, this.bytes.subarray(offset)).written;
    else {
      this.bytes.set(value, offset);
      this.length += value.length;
    }
    return [offset, this.length - offset];
  }
}

/** Copies `tree` into linear memory in the kernel's layout. */
export function encodeTree(core: Core, tree: { readonly entries: readonly KernelEntry[] }): CoreTree {
  const count = tree.entries.length;
  const table = new ArrayBuffer(count * ENTRY);
  const view = new DataView(table);
  const arena = new Arena();
  tree.entries.forEach((e, k) => {
    const at = k * ENTRY;
    const [pathOff, pathLen] = arena.put(e.path);
    view.setUint32(at, pathOff, true);
    view.setUint32(at + 4, pathLen, true);
    view.setUint8(at + 8, TYPE_CODE[e.type]);
    view.setUint8(at + 9, e.linkGroup !== undefined ? 1 : 0);
    view.setUint32(at + 12, e.mode & 0o7777, true);
    view.setUint32(at + 16, e.uid >>> 0, true);
    view.setUint32(at + 20, e.gid >>> 0, true);
    view.setBigUint64(at + 24, BigInt(e.size), true);
    view.setBigInt64(at + 32, BigInt(e.mtimeSec), true);
    view.setUint32(at + 40, e.mtimeNsec >>> 0, true);
    view.setUint32(at + 44, (e.devmajor ?? 0) >>> 0, true);
    view.setUint32(at + 48, (e.devminor ?? 0) >>> 0, true);
    const [linkOff, linkLen] = e.type === 'symlink' ? arena.put(e.linkname ?? '') : [0, 0];
    view.setUint32(at + 52, linkOff, true);
    view.setUint32(at + 56, linkLen, true);
    const capability = e.xattrs?.[CAPABILITY_XATTR];
    const [capOff, capLen] = capability ? arena.put(capability) : [0, NO_VALUE];
    view.setUint32(at + 60, capOff, true);
    view.setUint32(at + 64, capLen, true);
  });
  const tableBytes = count * ENTRY;
  const ptr = core.exports.alloc(tableBytes + arena.length + 8);
  core.bytes(ptr, tableBytes).set(new Uint8Array(table));
  core.bytes(ptr + tableBytes, arena.length).set(arena.bytes.subarray(0, arena.length));
  return { ptr, count, arena: ptr + tableBytes, free: () => core.exports.free(ptr) };
}

/** One kernel record: kind (RECORD_KIND), index in A (-1 if none), index in B (-1 if none). */
export interface KernelRecord {
  kind: number;
  a: number;
  b: number;
}

/** Runs the double walk; records come back in walk order. */
export function runDiffKernel(core: Core, a: CoreTree, b: CoreTree, flags: number): KernelRecord[] {
  const capacity = a.count + b.count + 1;
  const out = core.exports.alloc(capacity * RECORD);
  try {
    const n = core.exports.diffTrees(a.ptr, a.count, a.arena, b.ptr, b.count, b.arena, flags, out);
    const words = new Int32Array(core.exports.memory.buffer, out, n * (RECORD / 4));
    const records: KernelRecord[] = new Array(n);
    for (let k = 0; k < n; k++) records[k] = { kind: words[k * 4]! & 0xff, a: words[k * 4 + 1]!, b: words[k * 4 + 2]! };
    return records;
  } finally {
    core.exports.free(out);
  }
}
