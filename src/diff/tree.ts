/**
 * The tree form every diff input is turned into: complete (every parent directory present),
 * hard links resolved to their inode's attributes, sorted in walk order (per directory by bytes,
 * `/` below every other byte — continuity's double walk), root excluded.
 * A merged index, one layer's index, a tar read whole or a directory walk all become a `DiffTree`.
 *
 *   const tree = buildTree([{ path: 'etc/hostname', type: 'file', mode: 0o644, size: 5, ... }]);
 *   tree.entries[0].path // 'etc' (synthesised parent), then 'etc/hostname'
 */
import { CAPABILITY_XATTR, type EntryType, type KernelEntry } from '../core/diff.ts';
import { LayerkitError } from '../errors.ts';

export { CAPABILITY_XATTR, type EntryType };

/** One file-system object, as a layer or a directory holds it: what the kernel compares, plus ways to reach the content. */
export interface TreeEntry extends KernelEntry {
  /** Hex sha256 of the content, when the source knows it (saves reading bytes). */
  sha256?: string;
  /** Reads the content (regular files); needed to decide a change when the times cannot. */
  content?: () => Promise<Uint8Array>;
  /** Streams the content (regular files), for writing it into a layer without holding it whole. */
  open?: () => ReadableStream<Uint8Array>;
}

/** A source entry: a TreeEntry, or a tar hard link naming its target. */
export type SourceEntry = TreeEntry | (Omit<TreeEntry, 'type'> & { type: 'hardlink'; linkname: string });

export interface DiffTree {
  /** In walk order. */
  readonly entries: readonly TreeEntry[];
  /** path → index in `entries`. */
  readonly index: ReadonlyMap<string, number>;
}

/** Walk order key: `/` mapped below every other character. */
export const walkKey = (path: string): string => path.replaceAll('/', '\u0000');

const hasAstral = (s: string) => /[\uD800-\uDFFF]/.test(s);

/** Compares in UTF-8 byte order (code point order), which differs from UTF-16 order only past U+FFFF. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    if (x[k] !== y[k]) return x[k]!.codePointAt(0)! < y[k]!.codePointAt(0)! ? -1 : 1;
  }
  return x.length - y.length;
}

/** Sorts paths in walk order. */
export function compareWalkOrder(a: string, b: string): number {
  const ka = walkKey(a);
  const kb = walkKey(b);
  if (hasAstral(ka) || hasAstral(kb)) return compareCodePoints(ka, kb);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Strips `./` and `/` prefixes and trailing slashes; rejects `..` (a tree lives under its root). */
const NEEDS_CLEANING = /(^|\/)\.{1,2}(\/|$)|\/\/|^\/|\/$/;

export function cleanPath(name: string): string {
  if (!NEEDS_CLEANING.test(name)) return name;
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new LayerkitError('PATH_ESCAPE', `"${name}" leaves the tree`, { hint: 'entries may not contain ".." components' });
    parts.push(part);
  }
  return parts.join('/');
}

const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/** A directory synthesised for a parent that the source does not list (as overlayfs shows it). */
function impliedDirectory(path: string): TreeEntry {
  return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeSec: 0, mtimeNsec: 0 };
}

/**
 * Builds the tree form: cleans paths (a later entry for the same path replaces an earlier one,
 * as in a tar), resolves hard links to their target's attributes, adds missing parents, sorts.
 */
export function buildTree(source: Iterable<SourceEntry>): DiffTree {
  const byPath = new Map<string, TreeEntry>();
  for (const raw of source) {
    const path = cleanPath(raw.path);
    if (path === '') continue; // the root itself is never compared
    if (raw.type === 'hardlink') {
      const targetPath = cleanPath(raw.linkname);
      const target = byPath.get(targetPath);
      if (!target || target.type === 'dir') {
        throw new LayerkitError('BAD_HARDLINK', `hard link "${path}" points to "${raw.linkname}", which is ${target ? 'a directory' : 'not earlier in the tree'}`, { hint: 'a hard link must name a file written before it' });
      }
      target.linkGroup ??= targetPath;
      byPath.set(path, { ...target, path });
      continue;
    }
    const entry: TreeEntry = { ...raw, path };
    const previous = byPath.get(path);
    if (previous?.type === 'dir' && entry.type !== 'dir') {
      for (const key of byPath.keys()) if (key.startsWith(path + '/')) byPath.delete(key);
    }
    byPath.set(path, entry);
  }
  for (const path of [...byPath.keys()]) {
    for (let p = parentOf(path); p !== '' && !byPath.has(p); p = parentOf(p)) byPath.set(p, impliedDirectory(p));
  }
  return treeOf(sortWalkOrder([...byPath.values()]));
}

/** Sorts entries in walk order, computing each sort key once. */
export function sortWalkOrder<T extends { path: string }>(entries: T[]): T[] {
  const keyed = entries.map((e) => ({ key: walkKey(e.path), e }));
  if (keyed.some((k) => hasAstral(k.key))) keyed.sort((x, y) => compareCodePoints(x.key, y.key));
  else keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return keyed.map((k) => k.e);
}

/** Wraps entries already complete and in walk order (checked). */
export function treeOf(entries: TreeEntry[]): DiffTree {
  const index = new Map<string, number>();
  let previous = '';
  entries.forEach((e, k) => {
    const key = walkKey(e.path);
    if (k > 0 && (key <= previous ? true : hasAstral(key)) && compareWalkOrder(entries[k - 1]!.path, e.path) >= 0) {
      throw new LayerkitError('TREE_UNSORTED', `tree entries out of walk order at "${e.path}"`, { hint: 'build trees with buildTree()' });
    }
    index.set(e.path, k);
    previous = key;
  });
  return { entries, index };
}
