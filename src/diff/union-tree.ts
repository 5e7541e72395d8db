/**
 * The union view (src/fs UnionFS: the union kernel's merged index) as a diff tree: its walk is
 * already complete and in walk order; hard-link groups and content digests carry over, and a
 * file's bytes are read from its supplying layer only when a comparison or a layer needs them.
 *
 *   const fs = await UnionFS.open(image, { sha256: true });
 *   const tree = unionTree(fs);            // then diffTrees(tree, otherTree)
 */
import type { UnionFS } from '../fs/union-fs.ts';
import { sortWalkOrder, treeOf, type DiffTree, type EntryType, type TreeEntry } from './tree.ts';

const TYPES: Record<string, EntryType | undefined> = { file: 'file', dir: 'dir', symlink: 'symlink', char: 'char', block: 'block', fifo: 'fifo' };

/** Every entry of the view (root excluded) in the tree form. */
export function unionTree(fs: UnionFS): DiffTree {
  const entries: TreeEntry[] = [];
  const leaders = new Set<string>();
  for (const e of fs.walk('')) {
    const type = TYPES[e.type];
    if (!type) continue; // 'other' types cannot be compared or written
    const entry: TreeEntry = {
      path: e.path, type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: type === 'file' ? e.size : 0,
      mtimeSec: e.mtime.sec, mtimeNsec: e.mtime.nsec,
    };
    if (e.linkname !== undefined && type === 'symlink') entry.linkname = e.linkname;
    if (type === 'char' || type === 'block') Object.assign(entry, { devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0 });
    if (e.xattrs?.size) entry.xattrs = Object.fromEntries(e.xattrs);
    if (e.sha256) entry.sha256 = e.sha256;
    if (e.hardlink !== undefined && e.hardlink !== e.path) {
      entry.linkGroup = e.hardlink;
      leaders.add(e.hardlink);
    }
    if (type === 'file') {
      const path = e.path;
      entry.content = () => fs.readFile(path);
    }
    entries.push(entry);
  }
  for (const entry of entries) if (leaders.has(entry.path)) entry.linkGroup = entry.path;
  return treeOf(sortWalkOrder(entries));
}
