/**
 * UnionFS: the merged, read-only file system of a layer chain (overlayfs semantics), or of one
 * layer alone. Lookups go to the union kernel's hash index; metadata comes from the supplying
 * layer's LayerIndex; bytes are read by offset from that layer's uncompressed stream.
 *
 *   const fs = await UnionFS.open(image);                 // or UnionFS.open(image, { layer: 0 })
 *   fs.stat('/etc/os-release'); fs.readdir('/etc'); await fs.readFile('/bin/sh'); // follows links
 *   for (const entry of fs.walk('/usr')) console.log(entry.path, entry.layer);
 */
import type { UnionIndex } from '../core/union.ts';
import { createHasher } from '../digest/backends.ts';
import { toHex } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import { LayerCursor } from './content.ts';
import { indexStack, mergeStack, type IndexSource, type StackLayer } from './layer-stack.ts';
import { MAX_SYMLINK_HOPS } from './resolve-in-root.ts';
import { indexStackFor } from './stack-cut.ts';

export type FsEntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'other';

/** One path of the view, with the metadata `ls --json` prints. */
export interface FsEntry {
  /** Relative, no leading `/` or `./`, no trailing `/`; '' for the root. */
  path: string;
  type: FsEntryType;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: { sec: number; nsec: number };
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Uint8Array>;
  /** Hex sha256 of a file's content (when the view was opened with `sha256`). */
  sha256?: string;
  /** The layer that supplied the entry (-1: an implicit directory with no entry anywhere). */
  layer: number;
  /** For files that are hardlinks of others in the view: the smallest path of the group. */
  hardlink?: string;
}

export interface UnionFSOptions {
  /** View one layer's own entries instead of the merge (whiteouts dropped, parents implied). */
  layer?: number;
  /** Compute file digests while indexing (default: off). */
  sha256?: boolean;
  /** Where layer indexes come from (default: each layer read once), e.g. the store's cache. */
  indexOf?: IndexSource;
  /**
   * Only this path and what is under it must be right: layers below the first one (from the top)
   * that hides everything lower there are not read (see stack-cut.ts). Other paths may be wrong.
   */
  under?: string;
}

const notFound = (path: string) => new LayerkitError('PATH_NOT_FOUND', `${path}: no such file or directory in the image`, { hint: 'list the image with layerkit ls -R' });

export class UnionFS {
  #cursors = new Map<number, LayerCursor>();
  #leaders: Map<number, string> | undefined;

  private constructor(readonly stack: StackLayer[], readonly union: UnionIndex, readonly offset: number) {}

  /** Indexes the image's layers and merges them (or takes one layer with `layer`). */
  static async open(image: Image, options: UnionFSOptions = {}): Promise<UnionFS> {
    const layers = await image.layers();
    if (options.layer !== undefined) {
      const n = options.layer;
      if (!Number.isInteger(n) || n < 0 || n >= layers.length) {
        throw new LayerkitError('LAYER_NOT_FOUND', `the image has no layer ${n}`, { hint: `layers are numbered 0 to ${layers.length - 1}, bottom first` });
      }
      const stack = await indexStack([layers[n]!], options);
      return new UnionFS(stack, mergeStack(stack), n);
    }
    if (options.under !== undefined) {
      const { stack, from } = await indexStackFor(layers, options.under, options);
      return new UnionFS(stack, mergeStack(stack), from);
    }
    return UnionFS.fromStack(await indexStack(layers, options));
  }

  /** A view over layers indexed already. */
  static fromStack(stack: StackLayer[]): UnionFS {
    return new UnionFS(stack, mergeStack(stack), 0);
  }

  /** The position of a path in the merged index (-2: the root, -1: absent), without following symlinks. */
  lookup(path: string): number {
    const pos = this.union.lookup(path);
    if (pos === -3) throw new LayerkitError('PATH_ESCAPE', `${path}: climbs out of the root`, { hint: 'paths are inside the image' });
    return pos;
  }

  /** Resolves symlinks on the path (all components, or all but the last) inside the image. */
  resolve(path: string, followLast = true): number {
    const pending = path.split('/').filter((p) => p !== '' && p !== '.');
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') { done.pop(); continue; }
      done.push(part);
      const pos = this.union.lookup(done.join('/'));
      if (pos < 0) throw notFound(path);
      const last = pending.length === 0;
      if (this.union.type(pos) === 'symlink' && (!last || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new LayerkitError('SYMLINK_LOOP', `${path}: more than ${MAX_SYMLINK_HOPS} symlinks`, { hint: 'the image has a symlink loop' });
        const target = this.metadata(pos).linkname ?? '';
        done.pop();
        if (target.startsWith('/')) done.length = 0;
        pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      } else if (!last && this.union.type(pos) !== 'dir') throw notFound(path);
    }
    return done.length === 0 ? -2 : this.union.lookup(done.join('/'));
  }

  /** Metadata of `path` (symlinks not followed unless `follow`). */
  stat(path: string, options: { follow?: boolean } = {}): FsEntry {
    const pos = options.follow ? this.resolve(path) : this.lookup(path);
    if (pos === -1) throw notFound(path);
    return this.entry(pos);
  }

  /** The names in a directory, sorted (symlinks on the path followed). */
  readdir(path: string): string[] {
    const pos = this.resolve(path);
    if (pos >= 0 && this.union.type(pos) !== 'dir') throw new LayerkitError('NOT_A_DIRECTORY', `${path}: not a directory`, { hint: 'give a directory' });
    return this.union.children(pos === -2 ? -1 : pos).map((child) => this.union.path(child).slice(this.union.path(child).lastIndexOf('/') + 1));
  }

  /** Every entry under `path` (itself excluded), depth-first in name order. */
  *walk(path = ''): Generator<FsEntry> {
    const pos = this.lookup(path);
    if (pos === -1) throw notFound(path);
    const [from, to] = pos === -2 ? [0, this.union.count] : [pos + 1, this.union.subtreeEnd(pos)];
    for (let p = from; p < to; p++) yield this.entry(p);
  }

  /** A file's content (symlinks followed inside the image). */
  async readFile(path: string): Promise<Uint8Array> {
    const pos = this.resolve(path);
    if (pos < 0 || this.union.type(pos) !== 'file') throw new LayerkitError('NOT_A_FILE', `${path}: not a regular file`, { hint: 'cat reads regular files' });
    return this.contentAt(pos);
  }

  /** The content of the file at position `pos`. */
  async contentAt(pos: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.contentChunks(pos)) chunks.push(chunk.slice());
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  /** The content of the file at `pos` as chunks (each valid until the next one is asked for). */
  async *contentChunks(pos: number): AsyncGenerator<Uint8Array> {
    const layer = this.union.sourceLayer(pos);
    const entry = this.union.sourceEntry(pos);
    const { index, uncompressed } = this.stack[layer]!;
    let cursor = this.#cursors.get(layer);
    if (!cursor) this.#cursors.set(layer, (cursor = new LayerCursor(uncompressed)));
    const sparse = index.sparse(entry);
    // An index with file digests (e.g. from the store's cache, made when the layer last verified)
    // checks each body it serves: a cursor stops at the file's end, before the stream's own
    // digest check, so without this a blob changed since indexing would go unnoticed.
    const expected = sparse ? undefined : index.sha256(entry);
    const hasher = expected ? await createHasher('sha256') : undefined;
    if (!sparse) {
      for await (const chunk of cursor.read(index.dataOffset(entry), index.size(entry))) {
        hasher?.update(chunk);
        yield chunk;
      }
      if (hasher && expected) {
        const actual = toHex(hasher.digest());
        if (actual !== toHex(expected)) {
          throw new LayerkitError('DIGEST_MISMATCH', `${this.union.path(pos)}: content has sha256 ${actual}, the layer's index says ${toHex(expected)}`, {
            hint: 'the layer changed since it was indexed; it is corrupt or was tampered with',
          });
        }
      }
      return;
    }
    // GNU sparse: stored regions in order, holes read as zeros
    const physical = await cursor.bytes(index.dataOffset(entry), index.physicalSize(entry));
    const out = new Uint8Array(index.size(entry));
    let at = 0;
    for (const region of sparse) {
      out.set(physical.subarray(at, at + region.length), region.offset);
      at += region.length;
    }
    yield out;
  }

  /** Releases open layer streams. */
  async close(): Promise<void> {
    for (const cursor of this.#cursors.values()) await cursor.close();
    this.#cursors.clear();
  }

  /** Number of paths in the view (the root not counted). */
  get count(): number {
    return this.union.count;
  }

  /** The metadata at position `pos` (-2: the root). */
  entry(pos: number): FsEntry {
    const entry = this.metadata(pos);
    if (pos >= 0 && entry.type === 'file') {
      const leader = this.#hardlinkLeaders().get(this.union.inode(pos));
      if (leader !== undefined) entry.hardlink = leader;
    }
    return entry;
  }

  /** As entry(), without `hardlink` (for callers that group a file's names by inode themselves). */
  metadata(pos: number): FsEntry {
    const u = this.union;
    const layer = pos === -2 ? u.rootLayer : u.sourceLayer(pos);
    const i = pos === -2 ? u.rootEntry : u.sourceEntry(pos);
    const path = pos === -2 ? '' : u.path(pos);
    const type = (pos === -2 ? 'dir' : u.type(pos)) as FsEntryType;
    if (layer < 0) return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: { sec: 0, nsec: 0 }, layer: pos === -2 ? -1 : u.layer(pos) + this.offset };
    const index = this.stack[layer]!.index;
    const entry: FsEntry = {
      // a symlink's own mode bits mean nothing on Linux, which shows 0777 whatever the tar says
      path, type, mode: type === 'symlink' ? 0o777 : index.mode(i) & 0o7777, uid: index.uid(i), gid: index.gid(i),
      size: type === 'file' ? index.size(i) : 0, mtime: index.mtime(i), layer: (pos === -2 ? layer : u.layer(pos)) + this.offset,
    };
    if (type === 'symlink') entry.linkname = index.linkname(i);
    if (type === 'char' || type === 'block') { entry.devmajor = index.devmajor(i); entry.devminor = index.devminor(i); }
    const xattrs = index.xattrs(i);
    if (xattrs.size > 0) entry.xattrs = xattrs;
    const digest = type === 'file' ? index.sha256(i) : undefined;
    if (digest) entry.sha256 = toHex(digest);
    return entry;
  }

  /** inode → the smallest path sharing it, for inodes with more than one path. */
  #hardlinkLeaders(): Map<number, string> {
    if (this.#leaders) return this.#leaders;
    const seen = new Map<number, number>();
    const leaders = new Map<number, string>();
    for (let pos = 0; pos < this.union.count; pos++) {
      const inode = this.union.inode(pos);
      if (inode < 0 || this.union.type(pos) !== 'file') continue;
      const first = seen.get(inode);
      if (first === undefined) { seen.set(inode, pos); continue; }
      const candidates = [leaders.get(inode) ?? this.union.path(first), this.union.path(pos)];
      leaders.set(inode, candidates[0]! < candidates[1]! ? candidates[0]! : candidates[1]!);
    }
    return (this.#leaders = leaders);
  }
}
