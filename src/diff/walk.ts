/**
 * A directory on the host read as a tree (the `rootfs:DIR` side of a diff), in walk order, with
 * what the change rule compares: type, mode, owner, size, nanosecond mtime, device numbers, link
 * targets, inode groups of hard links, and security.capability (read through the host's
 * `xattrsUnder`; without it capabilities are not compared and a warning says so).
 *
 *   const { tree, warnings } = await directoryTree('/var/lib/rootfs');
 */
import { LayerkitError } from '../errors.ts';
import { need, host, type EntryStat } from '../host.ts';
import { CAPABILITY_XATTR, treeOf, type DiffTree, type TreeEntry } from './tree.ts';

export interface DirectoryTree {
  tree: DiffTree;
  /** What could not be read exactly (e.g. no xattr support). */
  warnings: string[];
}

const utf8 = new TextEncoder();
/** lstat calls in flight at once: enough to keep the I/O pool busy, few enough for huge directories. */
const STAT_BATCH = 64;

/** Byte order of names (UTF-8), which is the walk order within one directory. */
function compareNames(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!;
  return x.length - y.length;
}

/** Reads `root` (not following symlinks) into the tree form. */
export async function directoryTree(root: string): Promise<DirectoryTree> {
  const lstatEntry = need('lstatEntry');
  const readdir = need('readdir');
  const readFile = need('readFile');
  const readlink = need('readlink');
  const top = await lstatEntry(root).catch((cause) => {
    throw new LayerkitError('FILE_NOT_FOUND', `${root}: cannot read the directory`, { cause });
  });
  if (top.type !== 'dir') throw new LayerkitError('NOT_A_DIRECTORY', `${root} is not a directory`, { hint: 'rootfs: takes a directory' });
  const warnings: string[] = [];
  const xattrs = host().xattrsUnder ? await host().xattrsUnder!(root, `^${CAPABILITY_XATTR.replace('.', '\\.')}$`) : undefined;
  if (!xattrs) warnings.push(`cannot read extended attributes here (install getfattr, Debian package attr): ${CAPABILITY_XATTR} is not compared`);

  const entries: TreeEntry[] = [];
  const visit = async (relative: string): Promise<void> => {
    const dir = relative ? `${root}/${relative}` : root;
    const names = (await readdir(dir)).sort(compareNames);
    const stats: EntryStat[] = [];
    for (let k = 0; k < names.length; k += STAT_BATCH) {
      stats.push(...(await Promise.all(names.slice(k, k + STAT_BATCH).map((name) => lstatEntry(`${dir}/${name}`)))));
    }
    for (let k = 0; k < names.length; k++) {
      const path = relative ? `${relative}/${names[k]}` : names[k]!;
      const full = `${root}/${path}`;
      const s = stats[k]!;
      const entry: TreeEntry = {
        path, type: s.type, mode: s.mode, uid: s.uid, gid: s.gid, size: s.type === 'file' ? s.size : 0,
        mtimeSec: s.mtimeSec, mtimeNsec: s.mtimeNsec,
      };
      if (s.type === 'char' || s.type === 'block') Object.assign(entry, { devmajor: s.devmajor, devminor: s.devminor });
      if (s.type === 'symlink') entry.linkname = await readlink(full);
      if (s.type === 'file') Object.assign(entry, { content: () => readFile(full), open: () => host().openRead(full) });
      if (s.type !== 'dir' && s.nlink > 1) entry.linkGroup = `ino:${s.ino}`;
      const capability = xattrs?.get(path)?.[CAPABILITY_XATTR];
      if (capability) entry.xattrs = { [CAPABILITY_XATTR]: capability };
      entries.push(entry);
      if (s.type === 'dir') await visit(path);
    }
  };
  await visit('');
  return { tree: treeOf(entries), warnings };
}
