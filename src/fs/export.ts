/**
 * The union view as one flattened tar (`docker export`, `crane export`): no whiteouts, hardlinks
 * kept as links to the first name written, in an order fixed by the image (see exportEntries), so
 * the same image always gives the same bytes, and each layer is read once.
 *
 *   const tar: ReadableStream<Uint8Array> = exportTar(await UnionFS.open(image));
 */
import type { TarWriteEntry } from '../tar/writer.ts';
import { tarStream } from '../tar/writer.ts';
import type { UnionFS } from './union-fs.ts';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The content of the file at `pos` as a stream of exactly its size. */
function contentStream(fs: UnionFS, pos: number): ReadableStream<Uint8Array> {
  const chunks = fs.contentChunks(pos);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/**
 * The tar entries of the view. The order is fixed by the image alone and reads every layer once:
 * directories (depth-first, so parents come first), then symlinks and special files (depth-first),
 * then file bodies in the order their layers store them, then the other names of hardlinked files.
 */
export async function* exportEntries(fs: UnionFS): AsyncGenerator<TarWriteEntry> {
  const { union } = fs;
  const dirs: number[] = [], specials: number[] = [], bodies: number[] = [], links: number[] = [];
  const firstOfInode = new Map<number, number>();
  for (let pos = 0; pos < union.count; pos++) {
    const type = union.type(pos);
    if (type === 'dir') dirs.push(pos);
    else if (type !== 'file') specials.push(pos);
    else if (firstOfInode.has(union.inode(pos))) links.push(pos);
    else { firstOfInode.set(union.inode(pos), pos); bodies.push(pos); }
  }
  const offset = (pos: number) => fs.stack[union.sourceLayer(pos)]!.index.dataOffset(union.sourceEntry(pos));
  bodies.sort((a, b) => union.sourceLayer(a) - union.sourceLayer(b) || offset(a) - offset(b) || a - b);
  for (const pos of [...dirs, ...specials]) yield header(fs, pos);
  for (const pos of bodies) {
    const entry = header(fs, pos);
    entry.size = fs.stack[union.sourceLayer(pos)]!.index.size(union.sourceEntry(pos));
    if (entry.size > 0) entry.body = contentStream(fs, pos);
    yield entry;
  }
  for (const pos of links) yield { ...header(fs, pos), type: 'hardlink', linkname: union.path(firstOfInode.get(union.inode(pos))!), size: 0 };
}

/** The tar header fields of the path at `pos`. */
function header(fs: UnionFS, pos: number): TarWriteEntry {
  const { union } = fs;
  const e = fs.entry(pos);
  const layer = union.sourceLayer(pos);
  const index = layer >= 0 ? fs.stack[layer]!.index : undefined;
  const i = union.sourceEntry(pos);
  const entry: TarWriteEntry = {
    name: e.type === 'dir' ? `${e.path}/` : e.path, type: e.type === 'other' ? 'file' : e.type,
    mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime,
    ...(index ? { uname: index.uname(i), gname: index.gname(i) } : {}),
  };
  if (e.linkname !== undefined) {
    const bytes = index!.linknameBytes(i);
    if (new TextEncoder().encode(e.linkname).length === bytes.length) entry.linkname = e.linkname;
    else entry.linknameHex = hex(bytes);
  }
  if (e.devmajor !== undefined) { entry.devmajor = e.devmajor; entry.devminor = e.devminor!; }
  if (e.xattrs) entry.xattrs = Object.fromEntries(e.xattrs);
  return entry;
}

/** The flattened tar as a stream. */
export function exportTar(fs: UnionFS): ReadableStream<Uint8Array> {
  return tarStream(exportEntries(fs));
}
