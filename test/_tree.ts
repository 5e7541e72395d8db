/**
 * Test helpers for diffs (portable: no host files): a plain TypeScript reference diff written
 * from the corpus README's rule (not from the kernel), a layer applier with OCI whiteout
 * semantics, random trees and random edits, and tree equality modulo what a layer cannot carry.
 *
 *   const [a, b] = randomTreePair(seed); const expected = referenceDiff(a, b);
 */
import { buildTree, compareWalkOrder, type DiffTree, type SourceEntry, type TreeEntry } from '../src/diff/tree.ts';
import type { LayerEntry } from '../src/diff/layer.ts';
import { randomInts } from './_setup.ts';

const CAP = 'security.capability';
const bytesEqual = (x?: Uint8Array, y?: Uint8Array) => (!x && !y) || (!!x && !!y && x.length === y.length && x.every((v, k) => v === y[k]));

/** Content as the reference sees it: `sha256` or the bytes in a `__bytes` side field. */
export type RefEntry = TreeEntry & { __bytes?: Uint8Array };

function sameContent(x: RefEntry, y: RefEntry): boolean {
  if (x.sha256 && y.sha256) return x.sha256 === y.sha256;
  return bytesEqual(x.__bytes, y.__bytes);
}

/** The corpus README's change rule, written out plainly. */
export function referenceSame(x: RefEntry, y: RefEntry, opts: { content?: boolean; ignoreMtime?: boolean } = {}): boolean {
  if (x.type !== y.type || (x.mode & 0o7777) !== (y.mode & 0o7777) || x.uid !== y.uid || x.gid !== y.gid) return false;
  if ((x.devmajor ?? 0) !== (y.devmajor ?? 0) || (x.devminor ?? 0) !== (y.devminor ?? 0)) return false;
  if (!bytesEqual(x.xattrs?.[CAP], y.xattrs?.[CAP])) return false;
  if (x.type === 'dir') return true;
  if (x.size !== y.size) return false;
  if (!opts.ignoreMtime) {
    if (x.mtimeSec !== y.mtimeSec) return false;
    const truncated = x.mtimeNsec === 0 && y.mtimeNsec === 0;
    if (!truncated && x.mtimeNsec !== y.mtimeNsec) return false;
    if (!truncated && !opts.content) return true;
  }
  if (x.type === 'symlink') return (x.linkname ?? '') === (y.linkname ?? '');
  if (x.size === 0 || x.type !== 'file') return true;
  return sameContent(x, y);
}

/** Reference diff: a Map-based comparison, then walk-order sort; deleted and replaced directories hide their children. */
export function referenceDiff(a: DiffTree, b: DiffTree, opts: { content?: boolean; ignoreMtime?: boolean } = {}): string[] {
  const before = new Map(a.entries.map((e) => [e.path, e as RefEntry]));
  const after = new Map(b.entries.map((e) => [e.path, e as RefEntry]));
  const hidden = (path: string) => {
    for (let p = path.lastIndexOf('/'); p > 0; p = path.lastIndexOf('/', p - 1)) {
      const dir = path.slice(0, p);
      const b = after.get(dir);
      if (!b || b.type !== 'dir') return true;
    }
    return false;
  };
  const out: [string, string][] = [];
  for (const [path, x] of before) {
    const y = after.get(path);
    if (!y) { if (!hidden(path)) out.push([path, 'D']); }
    else if (!referenceSame(x, y, opts)) out.push([path, 'C']);
  }
  for (const path of after.keys()) if (!before.has(path)) out.push([path, 'A']);
  out.sort((p, q) => compareWalkOrder(p[0], q[0]));
  return out.map(([path, kind]) => `${kind} /${path}`);
}

/** Applies layer entries on a tree, as the OCI spec says (whiteouts hide lower entries only). */
export function applyLayer(lower: DiffTree, layer: readonly LayerEntry[], contentOf: (e: LayerEntry) => RefEntry['__bytes']): DiffTree {
  const tree = new Map(lower.entries.map((e) => [e.path, { ...e } as RefEntry]));
  const removeTree = (path: string, keepSelf: boolean) => {
    for (const key of [...tree.keys()]) if (key.startsWith(path + '/') || (!keepSelf && key === path)) tree.delete(key);
  };
  const strip = (name: string) => name.replace(/\/+$/, '');
  for (const e of layer) {
    const name = strip(e.name);
    const base = name.slice(name.lastIndexOf('/') + 1);
    const dir = name.slice(0, Math.max(0, name.lastIndexOf('/')));
    if (base === '.wh..wh..opq') removeTree(dir, true);
    else if (base.startsWith('.wh.')) removeTree(dir ? `${dir}/${base.slice(4)}` : base.slice(4), false);
  }
  for (const e of layer) {
    const name = strip(e.name);
    if (name.slice(name.lastIndexOf('/') + 1).startsWith('.wh.')) continue;
    const old = tree.get(name);
    if (old?.type === 'dir' && e.type !== 'dir') removeTree(name, true);
    if (e.type === 'hardlink') {
      const target = tree.get(strip(e.linkname!))!;
      target.linkGroup ??= target.path;
      tree.set(name, { ...target, path: name });
      continue;
    }
    const entry: RefEntry = {
      path: name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtimeSec: e.mtime, mtimeNsec: 0,
      ...(e.linkname !== undefined && { linkname: e.linkname }),
      ...(e.devmajor !== undefined && { devmajor: e.devmajor, devminor: e.devminor }),
      ...(e.xattrs && { xattrs: e.xattrs }),
      ...(e.type === 'file' && { __bytes: contentOf(e) }),
    };
    tree.set(name, entry);
  }
  return buildTree(tree.values());
}

/**
 * Differences between two trees that a containerd layer must carry: everything but directory
 * mtimes, sub-second file mtimes and xattrs other than security.capability. Returns the paths
 * that differ, with the first differing attribute.
 */
export function treeDifferences(x: DiffTree, y: DiffTree): string[] {
  const out: string[] = [];
  const xs = new Map(x.entries.map((e) => [e.path, e as RefEntry]));
  const ys = new Map(y.entries.map((e) => [e.path, e as RefEntry]));
  for (const path of new Set([...xs.keys(), ...ys.keys()])) {
    const p = xs.get(path);
    const q = ys.get(path);
    if (!p || !q) { out.push(`${path}: only in ${p ? 'first' : 'second'}`); continue; }
    const fields: [string, unknown, unknown][] = [
      ['type', p.type, q.type], ['mode', p.mode & 0o7777, q.mode & 0o7777], ['uid', p.uid, q.uid], ['gid', p.gid, q.gid],
      ['devmajor', p.devmajor ?? 0, q.devmajor ?? 0], ['devminor', p.devminor ?? 0, q.devminor ?? 0],
    ];
    if (p.type !== 'dir') fields.push(['size', p.size, q.size], ['mtime', p.mtimeSec, q.mtimeSec]);
    if (p.type === 'symlink') fields.push(['linkname', p.linkname, q.linkname]);
    const bad = fields.find(([, u, v]) => u !== v);
    if (bad) out.push(`${path}: ${bad[0]} ${String(bad[1])} vs ${String(bad[2])}`);
    else if (!bytesEqual(p.xattrs?.[CAP], q.xattrs?.[CAP])) out.push(`${path}: capability`);
    else if (p.type === 'file' && p.size > 0 && !sameContent(p, q)) out.push(`${path}: content`);
  }
  return out.sort();
}

const NAMES = ['a', 'b', 'c', 'a b', 'a-1', 'a.x', 'z', 'ä', 'd', '😀'];
const enc = new TextEncoder();

function randomEntry(path: string, next: (n: number) => number, type?: TreeEntry['type']): RefEntry {
  const t = type ?? (['file', 'file', 'file', 'dir', 'dir', 'symlink', 'fifo', 'char'] as const)[next(8)]!;
  const base: RefEntry = {
    path, type: t, mode: [0o644, 0o755, 0o600, 0o4755][next(4)]!, uid: next(3) === 0 ? 1000 : 0, gid: 0,
    size: 0, mtimeSec: 1_700_000_000 + next(3), mtimeNsec: next(3) === 0 ? next(1000) * 1000 : 0,
  };
  if (t === 'file') {
    base.__bytes = enc.encode(`${path}:${next(4)}`.repeat(1 + next(3)));
    base.size = base.__bytes.length;
  }
  if (t === 'symlink') base.linkname = ['../x', '/etc/y', 'zz'][next(3)]!;
  if (t === 'char') Object.assign(base, { devmajor: 1, devminor: next(4) });
  if (next(10) === 0) base.xattrs = { [CAP]: new Uint8Array([1, 0, 0, 2, next(4)]) };
  return base;
}

/** A random tree of up to `size` entries. */
export function randomTree(seed: number, size = 30): RefEntry[] {
  const next = randomInts(seed);
  const entries: RefEntry[] = [];
  const dirs = [''];
  for (let k = 0; k < size; k++) {
    const parent = dirs[next(dirs.length)]!;
    const path = parent ? `${parent}/${NAMES[next(NAMES.length)]}` : NAMES[next(NAMES.length)]!;
    if (entries.some((e) => e.path === path)) continue;
    const e = randomEntry(path, next);
    entries.push(e);
    if (e.type === 'dir') dirs.push(path);
  }
  return entries;
}

/** A random edit of `entries`: adds, deletes (files and trees), content/mode/owner/time changes, type swaps. */
export function randomEdit(entries: readonly RefEntry[], seed: number, edits = 8): RefEntry[] {
  const next = randomInts(seed * 7919 + 1);
  let out = entries.map((e) => ({ ...e }));
  for (let k = 0; k < edits; k++) {
    const at = next(Math.max(1, out.length));
    const victim = out[at];
    const op = next(9);
    if (!victim || op === 0) {
      const dirs = ['', ...out.filter((e) => e.type === 'dir').map((e) => e.path)];
      const parent = dirs[next(dirs.length)]!;
      const path = parent ? `${parent}/${NAMES[next(NAMES.length)]}` : NAMES[next(NAMES.length)]!;
      if (!out.some((e) => e.path === path)) out.push(randomEntry(path, next));
    } else if (op === 1) out = out.filter((e) => e.path !== victim.path && !e.path.startsWith(victim.path + '/'));
    else if (op === 2 && victim.type === 'file') {
      victim.__bytes = enc.encode(`edited ${next(100)}`);
      victim.size = victim.__bytes.length;
      victim.mtimeSec += next(2);
    } else if (op === 3 && victim.type === 'file' && victim.__bytes && victim.mtimeNsec === 0) {
      victim.__bytes = victim.__bytes.map((v) => v ^ 1); // same size, same mtime: content decides
    } else if (op === 4) victim.mode ^= 0o020;
    else if (op === 5) victim.uid += 1;
    else if (op === 6) victim.mtimeNsec = next(2) ? 0 : 5000;
    else if (op === 7) {
      out[at] = randomEntry(victim.path, next, victim.type === 'dir' ? 'file' : 'dir');
      out = out.filter((e) => !e.path.startsWith(victim.path + '/'));
    } else if (op === 8) victim.xattrs = victim.xattrs ? undefined : { [CAP]: new Uint8Array([1, 2]) };
  }
  return out;
}

/** Two related random trees: a base and its edit (complete, walk-sorted). */
export function randomTreePair(seed: number, size = 30): [DiffTree, DiffTree] {
  const base = randomTree(seed, size);
  return [buildTree(base as SourceEntry[]), buildTree(randomEdit(base, seed) as SourceEntry[])];
}

/** Gives every file entry a `content()` reading its `__bytes` (what a real source provides). */
export function withContent(tree: DiffTree): DiffTree {
  for (const e of tree.entries as RefEntry[]) if (e.__bytes) { const b = e.__bytes; e.content = async () => b; }
  return tree;
}
