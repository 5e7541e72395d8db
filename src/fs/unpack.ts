/**
 * Writes a union view to a directory, safely (`umoci unpack`, `docker export | tar -x`), or each
 * layer as an overlayfs lower directory. Every entry's place is decided by resolveInRoot against
 * what the directory holds at that moment; the tree is staged in `DIR.layerkit-partial` (mode 0700)
 * and renamed to DIR only when complete, so a refused layer leaves nothing behind. Each layer's
 * bytes are read once, verified (unpack-bodies.ts): an uncompressed tar file's headers are read
 * ahead by seeking and its bodies written in place after the merge; any other layer's bodies are
 * spooled while it is indexed and moved into place after the merge. Modes, owners and times are
 * applied at the end, directories last and deepest first (a body whose owner needs no chown got
 * its mode and times when it was written).
 *
 *   await unpackImage(await image.layers(), 'rootfs', host().treeWriter!(), { rootless: true });
 */
import { LayerkitError } from '../errors.ts';
import type { BackgroundFiles, TreeWriter } from '../host.ts';
import type { Layer } from '../image/types.ts';
import type { StackLayer } from './layer-stack.ts';
import { LayerBodies, spoolable, type BodyMetadata } from './unpack-bodies.ts';
import { Root } from './unpack-root.ts';
import { cleanName } from './resolve-in-root.ts';
import { UnionFS, type FsEntry, type FsEntryType } from './union-fs.ts';

export interface UnpackOptions {
  /** No chown; devices skipped with a warning (default: off). */
  rootless?: boolean;
  /** `overlayfs`: DIR/0 … DIR/N-1, one lower directory per layer, whiteouts as 0/0 char devices. */
  whiteoutFormat?: 'none' | 'overlayfs';
  /** Where warnings go (default: dropped). */
  warn?: (message: string) => void;
}

export interface UnpackResult {
  entries: number;
  warnings: number;
  /** overlayfs format: the lower directories, top first, as `lowerdir=` wants them. */
  lowerdirs?: string[];
}

const MAX_MAJOR = 0xfff;
const MAX_MINOR = 0xfffff;
const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** Extra markers an overlayfs lower directory carries besides its entries. */
interface OverlayMarkers {
  whiteouts: string[];
  opaque: string[];
  /** Metadata for parents created for whiteouts (the merged view below). */
  parentMeta: (path: string) => FsEntry;
}

/** What a view is written with besides the root: the layers' bodies and who owns new files. */
interface WriteContext {
  bodies: LayerBodies;
  /** The owner a new file or directory gets here (TreeWriter.ownerOfNew); chown is skipped when it matches. */
  owner: { uid: number; gid: number } | undefined;
}

/**
 * What was made at host path `at`: entry `k` of the list written, or `e`, an entry outside it (a
 * parent made for an overlayfs whiteout). `hasMetadata`: its mode and times are set already.
 */
type Made = { at: string; hasMetadata?: boolean } & ({ k: number } | { e: FsEntry });

/**
 * The entries of a list of view positions, each read from its layer's index only when it is
 * needed: most files need only a path and a type (their handle got their mode and times).
 */
class ListedEntries {
  readonly #paths: (string | undefined)[] = [];
  readonly #entries: (FsEntry | undefined)[] = [];
  constructor(readonly fs: UnionFS, readonly list: number[]) {}
  type(k: number): FsEntryType {
    return this.fs.union.type(this.list[k]!) as FsEntryType;
  }
  path(k: number): string {
    return (this.#paths[k] ??= this.fs.union.path(this.list[k]!));
  }
  entry(k: number): FsEntry {
    // hardlinks are grouped by inode (see writeView), so entries need no `hardlink`
    return (this.#entries[k] ??= this.fs.metadata(this.list[k]!));
  }
  of(made: Made): FsEntry {
    return 'e' in made ? made.e : this.entry(made.k);
  }
}

/** Writes positions `list` of the view into `root`, then the markers, then all metadata. */
async function writeView(fs: UnionFS, list: number[], root: Root, context: WriteContext, options: UnpackOptions, markers?: OverlayMarkers): Promise<number> {
  const { writer } = root;
  const warn = (m: string) => { warnings++; options.warn?.(m); };
  let warnings = 0;
  const entries = new ListedEntries(fs, list);
  // Each entry is resolved once, when it is made, and its metadata is applied at that same place at
  // the end: a later entry cannot change what the place's parents are (see Root).
  const dirsMade: Made[] = [];
  // What the root holds is what this unpack made in it (see Root), and directories come first,
  // so a place that is not a directory made here is free: no lstat (mkdir fails if it is not).
  const mkdirs = (path: string, queue?: BackgroundFiles): string => {
    const at = root.place(path);
    if (!root.made(at)) root.mkdir(at, queue);
    return at;
  };
  // 1. directories, parents first (depth-first order), made off this thread while it works out
  // where the bodies go (writeBodies drains them before it touches the root itself)
  const files = context.bodies.files();
  for (let k = 0; k < list.length; k++) if (entries.type(k) === 'dir') dirsMade.push({ k, at: mkdirs(entries.path(k), files) });
  files.flush();
  // 2. file contents, one body per inode
  // inode → the list position of its first name: a number, so the pass over every file before the
  // stream decodes no path (8k paths took ~35 ms there, while the file worker waited)
  const firstOfInode = new Map<number, number>();
  const filesMade = await writeBodies(fs, list, entries, root, context, firstOfInode);
  // 3. links, symlinks (verbatim targets) and special files (made in one batch)
  const made: Made[] = [];
  const nodes: Parameters<TreeWriter['mknod']>[0] = [];
  const links: [first: number, k: number][] = [];
  list.forEach((pos, k) => {
    const type = entries.type(k);
    if (type === 'dir') return;
    const inode = fs.union.inode(pos);
    if (type !== 'file' && !firstOfInode.has(inode)) firstOfInode.set(inode, k);
    const first = firstOfInode.get(inode)!;
    if (first !== k) {
      // another name of an inode made already (a hardlink, also of a symlink or a device): linked below
      links.push([first, k]);
      return;
    } else if (type === 'file') {
      return; // its body was written above
    }
    const e = entries.entry(k);
    let at: string;
    if (e.type === 'symlink') writer.symlink(e.linkname ?? '', (at = root.place(e.path)));
    else if (e.type === 'char' || e.type === 'block') {
      if (options.rootless) return void warn(`${e.path}: ${e.type} device skipped (rootless)`);
      if (e.devmajor! > MAX_MAJOR || e.devminor! > MAX_MINOR || e.devmajor! < 0 || e.devminor! < 0) {
        throw new LayerkitError('DEVICE_INVALID', `${e.path}: device number ${e.devmajor}:${e.devminor} is out of range`, { hint: 'the layer is refused' });
      }
      nodes.push({ path: (at = root.place(e.path)), type: e.type, major: e.devmajor!, minor: e.devminor! });
    } else if (e.type === 'fifo') nodes.push({ path: (at = root.place(e.path)), type: 'fifo', major: 0, minor: 0 });
    else return void warn(`${e.path}: entry of an unknown type skipped`);
    made.push({ k, at });
  });
  for (const m of filesMade) made.push(m);
  if (nodes.length) writer.mknod(nodes.splice(0));
  for (const [first, k] of links) {
    const firstPath = entries.path(first);
    const existing = root.place(firstPath);
    const type = entries.type(k);
    const want = type === 'file' ? 'file' : type === 'symlink' ? 'symlink' : 'other';
    if (writer.kind(existing) !== want) throw new LayerkitError('HARDLINK_INVALID', `${entries.path(k)}: its link target ${firstPath} is not a ${want} in the target directory`, { hint: 'the layer is refused' });
    const at = root.place(entries.path(k));
    writer.link(existing, at);
    made.push({ k, at });
  }
  const xattrs: Parameters<TreeWriter['setXattrs']>[0] = [];
  // 4. overlayfs markers: whiteouts as 0/0 char devices (parents as the view below has them), opaque dirs
  if (markers) {
    for (const path of markers.whiteouts) {
      const parts = cleanName(path);
      for (let n = 1; n < parts.length; n++) {
        const parent = parts.slice(0, n).join('/');
        if (writer.kind(root.place(parent)) === undefined) dirsMade.push({ e: markers.parentMeta(parent), at: mkdirs(parent) });
      }
      nodes.push({ path: root.place(path), type: 'char', major: 0, minor: 0 });
    }
    for (const path of markers.opaque) xattrs.push({ path: root.place(path), name: OPAQUE_XATTR, value: new TextEncoder().encode('y') });
  }
  if (nodes.length) writer.mknod(nodes);
  // 5. metadata: files and links first, then directories deepest first, the root last
  const exactTimes: Parameters<TreeWriter['setTimesExact']>[0] = [];
  const { owner } = context;
  const apply = (m: Made, created: boolean) => {
    const e = entries.of(m), { at } = m;
    if (e.mtime.nsec !== 0) exactTimes.push({ path: at, mtime: e.mtime });
    if (m.hasMetadata) return applyXattrs(e, at);
    // what this unpack made is owned as ownerOfNew said: chown only what differs
    const chown = !options.rootless && !(created && owner && e.uid === owner.uid && e.gid === owner.gid);
    // what this unpack made at `at` is still there (see Root), so only its own symlinks are symlinks
    writer.setMetadata(at, { ...(chown ? { uid: e.uid, gid: e.gid } : {}), ...(e.type === 'symlink' ? {} : { mode: e.mode, notSymlink: created }), mtime: e.mtime });
    applyXattrs(e, at);
  };
  const applyXattrs = (e: FsEntry, at: string) => {
    for (const [name, value] of e.xattrs ?? []) {
      if (name.startsWith('user.') || (name === 'security.capability' && !options.rootless)) xattrs.push({ path: at, name, value });
      else warn(`${e.path}: xattr ${name} not applied (only user.* and security.capability are)`);
    }
  };
  for (const m of made) apply(m, true);
  // xattrs before times: setting one does not change mtime, but keep the order obvious
  if (xattrs.length) writer.setXattrs(xattrs.splice(0));
  // deepest first, each depth counted once (in the comparator it would be n log n times)
  const deepestFirst = dirsMade.map((m) => ({ m, depth: ('e' in m ? m.e.path : entries.path(m.k)).split('/').length })).sort((a, b) => b.depth - a.depth);
  for (const { m } of deepestFirst) apply(m, root.made(m.at));
  if (xattrs.length) writer.setXattrs(xattrs);
  // last: setting a path's times never changes its parent's, so the order within the batch is free
  if (exactTimes.length) writer.setTimesExact(exactTimes);
  return warnings;
}

/**
 * Step 2 of writeView: the body of every regular file in `list`, once per inode (the list
 * position of the first name of each goes in `firstOfInode`). A read-ahead layer's bodies are
 * written in place from its one verified stream; a spooled body is moved into place; anything else
 * (sparse, empty, a place taken) is read through the union. Bodies go in stream order: layer by
 * layer, by offset.
 */
async function writeBodies(fs: UnionFS, list: number[], entries: ListedEntries, root: Root, context: WriteContext, firstOfInode: Map<number, number>): Promise<Made[]> {
  const { writer } = root;
  const files = context.bodies.files();
  // per layer, the files whose bodies it supplies: entry → k + 1 (0: none). A layer's entries
  // are in stream order, so going through them by number goes through the stream by offset.
  const supplied: (Int32Array | undefined)[] = [];
  list.forEach((pos, k) => {
    if (entries.type(k) !== 'file') return;
    const inode = fs.union.inode(pos);
    if (firstOfInode.has(inode)) return;
    firstOfInode.set(inode, k);
    const layer = fs.union.sourceLayer(pos);
    (supplied[layer] ??= new Int32Array(fs.stack[layer]!.index.count))[fs.union.sourceEntry(pos)] = k + 1;
  });
  const filesMade: Made[] = [];
  // a body whose file has all its metadata already needs nothing more (most files of a layer)
  const bodyMade = (k: number, at: string, metadata: BodyMetadata) => void (metadata !== 'all' && filesMade.push({ k, at, hasMetadata: metadata === 'mode-times' }));
  const placed = new Set<string>();
  // Written in place or moved there only when the place is free: neither create (O_EXCL,
  // O_NOFOLLOW) nor rename ever follows or writes through what is at its destination, and their
  // parents resolve as the directories' did. What the root holds now is exactly what this unpack
  // made in it (the directories of step 1 and the bodies so far: the staging directory was made
  // empty and is ours), so a place that is neither is free without an lstat. An occupied place
  // (impossible: union paths are distinct and no symlink exists yet), a failed rename, a sparse
  // or empty body are written the slow way: read through the union, created where they go.
  const slow: { k: number; at: string }[] = [];
  const placeOf = (k: number) => {
    const at = root.place(entries.path(k));
    const free = !root.made(at) && !placed.has(at);
    placed.add(at);
    return { at, free };
  };
  const afterStreams: (() => void)[] = [];
  // runs what waited for the streams; on a failure the writes under way end first, so that the
  // caller's removal of the stage finds everything that was made
  const settle = async () => {
    try {
      for (const step of afterStreams.splice(0)) step();
    } catch (error) {
      await files.drain().catch(() => {});
      throw error;
    }
  };
  for (let layer = 0; layer < supplied.length; layer++) {
    const kOf = supplied[layer];
    if (kOf === undefined) continue;
    const { index } = fs.stack[layer]!;
    if (context.bodies.readAhead(layer)) {
      // One verified stream of the layer writes every body it supplies. Each place is worked out
      // when the stream reaches its entry, while the bodies before it are being written.
      const places = new Map<number, { k: number; at: string }>();
      const { written, confirm } = await context.bodies.writeInPlace(layer, fs.stack[layer]!, (entry) => {
        const k = (kOf[entry] ?? 0) - 1;
        if (k < 0) return undefined;
        kOf[entry] = 0;
        const { at, free } = placeOf(k);
        if (!free || !spoolable(index, entry)) return void slow.push({ k, at });
        places.set(entry, { k, at });
        return at;
      });
      // the header check and the bookkeeping wait until every layer has streamed: done here, they
      // would keep the next layer's first bodies from the file worker
      afterStreams.push(() => {
        confirm();
        for (const [entry, { k, at }] of places) {
          const metadata = written.get(entry);
          if (metadata === undefined) slow.push({ k, at });
          else bodyMade(k, at, metadata);
        }
        // entries the stream asked nothing about (empty files)
        for (const k1 of kOf) if (k1 > 0) slow.push({ k: k1 - 1, at: placeOf(k1 - 1).at });
      });
      continue;
    }
    await settle(); // the places the streams took, first
    await files.drain(); // the directories of step 1, before a body is moved under them
    for (let entry = 0; entry < kOf.length; entry++) {
      const k = kOf[entry]! - 1;
      if (k < 0) continue;
      const { at, free } = placeOf(k);
      const spooled = context.bodies.take(layer, entry);
      if (spooled !== undefined && free) {
        try {
          writer.rename(spooled.path, at);
          // the entry's own mode and times, the same as fs.entry gives (same layer, same entry)
          bodyMade(k, at, spooled.metadata);
          continue;
        } catch { /* below */ }
      }
      slow.push({ k, at });
    }
  }
  await settle();
  await files.drain();
  for (const { k, at } of slow) {
    filesMade.push({ k, at });
    const handle = writer.createFile(at, 0o600);
    try {
      for await (const chunk of fs.contentChunks(list[k]!)) writer.write(handle, chunk);
    } finally {
      writer.close(handle);
    }
  }
  return filesMade;
}

/** The whiteouts and opaque directories layer `layer` contributes, by the overlayfs conversion rules. */
function overlayMarkers(stack: StackLayer[], layer: number, fs: UnionFS, lowerPaths: Set<string>): Omit<OverlayMarkers, 'parentMeta'> {
  const index = stack[layer]!.index;
  const mine = (path: string) => { const pos = fs.union.lookup(path); return pos >= 0 && fs.union.top(pos) === layer ? pos : -1; };
  const opaque = new Set<string>();
  const targets: string[] = [];
  for (let i = 0; i < index.count; i++) {
    const t = index.type(i);
    if (t === 'pax-global') continue;
    const parts = cleanName(index.path(i));
    const base = parts.pop() ?? '';
    const parent = parts.join('/');
    if (base === '.wh..wh..opq') opaque.add(parent);
    else if (base.startsWith('.wh.') && !base.startsWith('.wh..wh.')) targets.push(parent ? `${parent}/${base.slice(4)}` : base.slice(4));
  }
  const whiteouts: string[] = [];
  const hidden = new Set(targets);
  for (const t of targets) {
    const own = mine(t);
    if (own >= 0) {
      if (fs.union.type(own) === 'dir') opaque.add(t); // `.wh.NAME` + directory NAME: the lower one's children are hidden
      continue;
    }
    if (!lowerPaths.has(t)) continue; // nothing below to hide
    const parts = t.split('/');
    let dropped = false;
    for (let n = 1; n < parts.length && !dropped; n++) {
      const a = parts.slice(0, n).join('/');
      const pos = mine(a);
      dropped = hidden.has(a) || opaque.has(a) || (pos >= 0 && fs.union.type(pos) !== 'dir');
    }
    if (!dropped && !whiteouts.includes(t)) whiteouts.push(t);
  }
  return { whiteouts, opaque: [...opaque].filter((d) => d === '' || mine(d) >= 0) };
}

/** Unpacks the union of `layers` into `dir` (which must not exist), or one overlayfs lower dir per layer. */
export async function unpackImage(layers: Layer[], dir: string, writer: TreeWriter, options: UnpackOptions = {}): Promise<UnpackResult> {
  const target = dir.replace(/\/+$/, '') || '/';
  if (writer.kind(target) !== undefined) throw new LayerkitError('TARGET_EXISTS', `${dir} already exists`, { hint: 'unpack into a new directory' });
  const stage = `${target}.layerkit-partial`;
  writer.remove(stage);
  writer.mkdir(stage, 0o700);
  const owner = writer.ownerOfNew?.(stage);
  const bodies = new LayerBodies(writer, `${target}.layerkit-bodies`, { rootless: options.rootless === true, owner });
  const stack: StackLayer[] = [];
  try {
    await bodies.indexLayers(layers, stack);
    const context: WriteContext = { bodies, owner };
    const result = options.whiteoutFormat === 'overlayfs' ? await writeOverlay(stack, stage, writer, context, options) : await writeUnion(stack, stage, writer, context, options);
    // what was read ahead and written from no stream is verified before anything becomes visible
    await bodies.confirmRest(stack);
    writer.rename(stage, target);
    if (result.lowerdirs) result.lowerdirs = result.lowerdirs.map((d) => target + d.slice(stage.length));
    return result;
  } catch (error) {
    writer.remove(stage);
    throw error;
  } finally {
    bodies.remove();
    for (const layer of stack) layer.index.free();
  }
}

async function writeUnion(stack: StackLayer[], stage: string, writer: TreeWriter, context: WriteContext, options: UnpackOptions): Promise<UnpackResult> {
  const fs = UnionFS.fromStack(stack);
  try {
    const root = new Root(writer, stage);
    const warnings = await writeView(fs, Array.from({ length: fs.count }, (_, pos) => pos), root, context, options);
    const rootMeta = fs.entry(-2);
    writer.setMetadata(stage, { ...(options.rootless ? {} : { uid: rootMeta.uid, gid: rootMeta.gid }), mode: rootMeta.mode, mtime: rootMeta.mtime });
    if (rootMeta.mtime.nsec !== 0) writer.setTimesExact([{ path: stage, mtime: rootMeta.mtime }]);
    return { entries: fs.count, warnings };
  } finally {
    await fs.close();
  }
}

async function writeOverlay(stack: StackLayer[], stage: string, writer: TreeWriter, context: WriteContext, options: UnpackOptions): Promise<UnpackResult> {
  let entries = 0, warnings = 0;
  const lowerdirs: string[] = [];
  for (let layer = 0; layer < stack.length; layer++) {
    const lower = UnionFS.fromStack(stack.slice(0, layer));
    const lowerPaths = new Set(Array.from({ length: lower.count }, (_, pos) => lower.union.path(pos)));
    const fs = UnionFS.fromStack(stack.slice(0, layer + 1));
    const dir = `${stage}/${layer}`;
    writer.mkdir(dir, 0o700);
    const root = new Root(writer, dir);
    const mineList = Array.from({ length: fs.count }, (_, pos) => pos).filter((pos) => fs.union.top(pos) === layer);
    const markers = overlayMarkers(stack, layer, fs, lowerPaths);
    const parentMeta = (path: string) => fs.entry(fs.union.lookup(path));
    try {
      warnings += await writeView(fs, mineList, root, context, options, { ...markers, parentMeta });
    } finally {
      await fs.close();
    }
    const rootMeta = fs.entry(-2);
    writer.setMetadata(dir, { ...(options.rootless ? {} : { uid: rootMeta.uid, gid: rootMeta.gid }), mode: rootMeta.mode, mtime: rootMeta.mtime });
    entries += mineList.length;
    lowerdirs.unshift(dir);
  }
  writer.setMetadata(stage, { mode: 0o755 });
  return { entries, warnings, lowerdirs };
}
