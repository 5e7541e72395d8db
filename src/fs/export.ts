/**
 * The union view as one flattened tar (`docker export`, `crane export`): no whiteouts, hardlinks
 * kept as links to the first name written, entries in depth-first name order, so the same image
 * always gives the same bytes.
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

/** The tar entries of the view, in order; file bodies are read as the writer pulls them. */
export async function* exportEntries(fs: UnionFS): AsyncGenerator<TarWriteEntry> {
  const written = new Map<number, string>(); // inode → first name written
  const { union } = fs;
  for (let pos = 0; pos < union.count; pos++) {
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
    if (e.type === 'file') {
      const inode = union.inode(pos);
      const first = e.hardlink !== undefined ? written.get(inode) : undefined;
      if (first !== undefined) {
        yield { ...entry, type: 'hardlink', linkname: first, size: 0 };
        continue;
      }
      if (e.hardlink !== undefined) written.set(inode, e.path);
      entry.size = e.size;
      if (e.size > 0) entry.body = contentStream(fs, pos);
    }
    yield entry;
  }
}

/** The flattened tar as a stream. */
export function exportTar(fs: UnionFS): ReadableStream<Uint8Array> {
  return tarStream(exportEntries(fs));
}
