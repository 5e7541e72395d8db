/**
 * Writes generated layer entries as a tar through layerkit's TarWriter: same entries, same bytes
 * (no uname/gname, whole-second mtimes, PAX only where a field or the capability xattr needs it).
 *
 *   const tar = layerTar(layerEntries(b, await walkDiff(a, b, {}, true)));
 *   await tar.pipeTo(sink);
 */
import { LayerkitError } from '../errors.ts';
import { tarStream, type TarWriteEntry } from '../tar/writer.ts';
import type { LayerEntry } from './layer.ts';

/** Files up to this size are read whole; larger ones are streamed so memory stays bounded. */
const WHOLE_FILE_LIMIT = 8 << 20;

async function bodyOf(e: LayerEntry): Promise<Uint8Array | ReadableStream<Uint8Array> | undefined> {
  if (e.type !== 'file' || e.size === 0) return undefined;
  const source = e.source;
  // Small files in one read (much cheaper than a byte stream on Node); large ones streamed.
  if (source?.content && (e.size <= WHOLE_FILE_LIMIT || !source.open)) return source.content();
  if (source?.open) return source.open();
  throw new LayerkitError('CONTENT_UNAVAILABLE', `the content of "${e.name}" cannot be read`, { hint: 'the tree was built without a way to read file contents' });
}

/** The tar header fields of one generated entry. */
export function tarFieldsOf(e: LayerEntry): TarWriteEntry {
  const fields: TarWriteEntry = { name: e.name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtime: { sec: e.mtime, nsec: 0 } };
  if (e.linkname !== undefined) fields.linkname = e.linkname;
  if (e.devmajor !== undefined) Object.assign(fields, { devmajor: e.devmajor, devminor: e.devminor });
  if (e.xattrs) fields.xattrs = e.xattrs;
  return fields;
}

/** The layer as a tar stream; file contents are read as the stream is pulled. */
export function layerTar(entries: readonly LayerEntry[]): ReadableStream<Uint8Array> {
  async function* withBodies(): AsyncGenerator<TarWriteEntry> {
    for (const e of entries) {
      const body = await bodyOf(e);
      yield body === undefined ? tarFieldsOf(e) : { ...tarFieldsOf(e), body };
    }
  }
  return tarStream(withBodies());
}
