/**
 * The files of an OCI layout or docker archive, wherever they are: a directory on disk, or the
 * members of a tar. Member names are looked up in a map — never turned into disk paths — and
 * names that climb out (`../x`) or links that leave the archive are refused.
 *
 *   const files = await archiveFiles('image.tar'); await files.read('index.json', 4 << 20);
 */
import { parseDigest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import { host, need, type RandomAccessFile } from '../host.ts';
import type { BlobSource } from '../image/blob-image.ts';
import { readAllCapped } from '../image/verify.ts';
import { openMember, readMemberTable, type Member } from './archive-tar.ts';

export interface LayoutFiles {
  /** Where the files are, for messages. */
  readonly where: string;
  exists(name: string): Promise<boolean>;
  open(name: string): Promise<ReadableStream<Uint8Array>>;
  /** Size in bytes, or undefined when absent. */
  size(name: string): Promise<number | undefined>;
  list(): Promise<string[]>;
  /** A file as a seekable file (unverified), where the host can open one; else undefined. */
  openRandomAccess?(name: string): Promise<RandomAccessFile | undefined>;
}

export async function readSmall(files: LayoutFiles, name: string, limit: number): Promise<Uint8Array> {
  return readAllCapped(await files.open(name), limit, `${files.where}/${name}`);
}

/** Refuses names that are absolute after cleaning or climb with `..` (the archive is a map, not a path). */
export function checkMemberName(name: string, where: string): string {
  const parts: string[] = [];
  let escapes = name.startsWith('/');
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) escapes = true;
      parts.pop();
    } else parts.push(part);
  }
  if (escapes || parts.length === 0) {
    throw new LayerkitError('ARCHIVE_PATH_ESCAPE', `${where} refers to "${name}", outside the archive`, { hint: 'refused: an image archive may only name its own members' });
  }
  return parts.join('/');
}

const MAX_LINK_HOPS = 40;

export async function archiveFiles(path: string): Promise<LayoutFiles> {
  const openAt = (start: number) => host().openRead(path, start);
  const info = await host().stat(path);
  if (info.isDirectory) throw new LayerkitError('NOT_A_FILE', `${path} is a directory`, { hint: 'use oci:DIR for a layout directory' });
  const members = await readMemberTable(openAt);
  const resolve = (name: string): Member | undefined => {
    let current = checkMemberName(name, path);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const m = members.get(current);
      if (!m || (m.type !== 'symlink' && m.type !== 'hardlink')) return m;
      const base = m.type === 'symlink' ? current.split('/').slice(0, -1).join('/') : '';
      current = checkMemberName(m.linkname.startsWith('/') ? m.linkname : [base, m.linkname].filter(Boolean).join('/'), `${path}: link ${current}`);
    }
    throw new LayerkitError('ARCHIVE_INVALID', `${path}: more than ${MAX_LINK_HOPS} links from ${name}`);
  };
  return {
    where: path,
    exists: async (name) => resolve(name) !== undefined,
    size: async (name) => resolve(name)?.size,
    list: async () => [...members.keys()],
    async open(name) {
      const m = resolve(name);
      if (!m || m.type !== 'file') throw new LayerkitError('BLOB_UNKNOWN', `${path} has no file ${name}`);
      return openMember(openAt, m);
    },
    async openRandomAccess(name) {
      const m = resolve(name);
      const open = host().openRandomAccess;
      if (!m || m.type !== 'file' || !open) return undefined;
      return memberWindow(open(path), m);
    },
  };
}

export function directoryFiles(root: string): LayoutFiles {
  const full = (name: string) => `${root}/${checkMemberName(name, root)}`;
  const lstat = (path: string) => need('lstat')(path).catch((e) => ((e as { code?: string })?.code === 'ENOENT' ? undefined : Promise.reject(e)));
  /** lstat of the file, refusing a symlink anywhere between the root and it (hostile case 41). */
  const info = async (name: string) => {
    const parts = checkMemberName(name, root).split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = await lstat(`${root}/${parts.slice(0, i).join('/')}`);
      if (dir?.isSymlink) throw new LayerkitError('LAYOUT_INVALID', `${root}/${parts.slice(0, i).join('/')} is a symbolic link`, { hint: 'refused: layouts are never followed through links' });
      if (!dir) return undefined;
    }
    return lstat(full(name));
  };
  return {
    where: root,
    exists: async (name) => (await info(name)) !== undefined,
    size: async (name) => (await info(name))?.size,
    list: async () => need('readdir')(root),
    async open(name) {
      const i = await info(name);
      if (!i) throw new LayerkitError('BLOB_UNKNOWN', `${root} has no file ${name}`);
      if (!i.isFile) throw new LayerkitError('LAYOUT_INVALID', `${full(name)} is not a regular file`, { hint: 'refused: layouts are never followed through links' });
      return host().openRead(full(name));
    },
    async openRandomAccess(name) {
      const open = host().openRandomAccess;
      return open && (await info(name))?.isFile ? open(full(name)) : undefined;
    },
  };
}

/** The bytes of archive member `m` as a file of their own, read through `file` (closed with it). */
function memberWindow(file: RandomAccessFile, m: Member): RandomAccessFile {
  return {
    size: m.size,
    read: (into, position) => (position >= m.size ? 0 : file.read(into.subarray(0, Math.min(into.length, m.size - position)), m.offset + position)),
    close: () => file.close(),
  };
}

/** Blobs of an OCI layout by digest; the digest is checked before the name is built. */
export function layoutBlobs(files: LayoutFiles): BlobSource {
  const name = (digest: string) => {
    const { algorithm, hex } = parseDigest(digest);
    return `blobs/${algorithm}/${hex}`;
  };
  return {
    open: async (digest) => files.open(name(digest)),
    openRandomAccess: async (digest) => files.openRandomAccess?.(name(digest)),
  };
}
