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

/** What the kernel reads of an entry (src/diff/tree.ts's TreeEntry adds ways to reach the content). */
export interface KernelEntry {
  /** Relative, cleaned, no leading `/` or `./`, no trailing `/`. */
  path: string;
  type: EntryType;
  /** Permission bits plus setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** All extended attributes (name → value); only `security.capability` takes part in the change rule. */
  xattrs?: Record<string, Uint8Array>;
  /** Names sharing one inode share a `linkGroup` (set by buildTree for tar hard links, by the walker from st_ino). */
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
  /** Appends `value` (UTF-8 for strings; a fast path for ASCII), returning its offset and byte length. */
  put(value: string | Uint8Array): [number, number] {
    const need = typeof value === 'string' ? value.length * 3 : value.length;
    if (this.length + need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + need));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    const offset = this.length;
    if (typeof value !== 'string') {
      this.bytes.set(value, offset);
      this.length += value.length;
      return [offset, value.length];
    }
    const bytes = this.bytes;
    let at = offset;
    for (let k = 0; k < value.length; k++) {
      const c = value.charCodeAt(k);
      if (c >= 0x80) {
        at = offset + encoder.encodeInto(value, bytes.subarray(offset)).written;
        break;
      }
      bytes[at++] = c;
    }
    this.length = at;
    return [offset, at - offset];
  }
}

const TWO_32 = 2 ** 32;

/** Copies `tree` into linear memory in the kernel's layout. */
export function encodeTree(core: Core, tree: { readonly entries: readonly KernelEntry[] }): CoreTree {
  const count = tree.entries.length;
  const words = new Uint32Array(count * (ENTRY / 4));
  const arena = new Arena();
  for (let k = 0; k < count; k++) {
    const e = tree.entries[k]!;
    const w = k * (ENTRY / 4);
    const [pathOff, pathLen] = arena.put(e.path);
    words[w] = pathOff;
    words[w + 1] = pathLen;
    words[w + 2] = TYPE_CODE[e.type] | ((e.linkGroup !== undefined ? 1 : 0) << 8);
    words[w + 3] = e.mode & 0o7777;
    words[w + 4] = e.uid >>> 0;
    words[w + 5] = e.gid >>> 0;
    words[w + 6] = e.size >>> 0;
    words[w + 7] = Math.floor(e.size / TWO_32);
    words[w + 8] = e.mtimeSec >>> 0; // two's complement halves of an i64
    words[w + 9] = Math.floor(e.mtimeSec / TWO_32) >>> 0;
    words[w + 10] = e.mtimeNsec >>> 0;
    words[w + 11] = (e.devmajor ?? 0) >>> 0;
    words[w + 12] = (e.devminor ?? 0) >>> 0;
    if (e.type === 'symlink') [words[w + 13], words[w + 14]] = arena.put(e.linkname ?? '');
    const capability = e.xattrs?.[CAPABILITY_XATTR];
    if (capability) [words[w + 15], words[w + 16]] = arena.put(capability);
    else words[w + 16] = NO_VALUE;
  }
  const tableBytes = count * ENTRY;
  const ptr = core.exports.alloc(tableBytes + arena.length + 8);
  core.bytes(ptr, tableBytes).set(new Uint8Array(words.buffer));
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
