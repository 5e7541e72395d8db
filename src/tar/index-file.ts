/**
 * Index an uncompressed tar held in a seekable file by reading its headers and jumping over its
 * contents, as bsdtar -t does: a 1 GiB layer of large files costs a few hundred small reads
 * instead of a GiB of copying. Only when nothing needs the contents — no diffID, no file
 * digests; indexLayer does those in one pass over every byte.
 *
 *   const index = indexTarFile(host().openRandomAccess!('layer.tar'));
 */
import type { RandomAccessFile } from '../host.ts';
import type { LayerIndex } from '../core/layer-index.ts';
import { TarParser } from '../core/tar.ts';
import { TarError } from '../core/tar-errors.ts';
import { core } from '../core/wasm.ts';

/**
 * Bytes read per step. Small enough that a header followed by a large file wastes little, large
 * enough that runs of small files (most of a layer's entries) come in few reads.
 */
const READ_SIZE = 32 * 1024;

/**
 * The LayerIndex of the tar in `file` (the caller closes the file). A malformed archive throws the
 * same TarError indexLayer would, with the entries read before it as `partial`.
 */
export function indexTarFile(file: RandomAccessFile): LayerIndex {
  const parser = new TarParser(core(), { index: true, hashStream: false });
  const step = Math.min(READ_SIZE, parser.bufferSize);
  try {
    for (let position = 0; position < file.size; ) {
      // the view is made afresh every time: the kernel may have grown memory
      const read = file.read(core().bytes(parser.bufferPtr, Math.min(step, file.size - position)), position);
      if (read === 0) break; // the file shrank under us: finish() says where the archive ends
      position += read;
      if (parser.feedLoaded(read)) break; // the end of the archive: what follows is not read
      // jump over the rest of the current entry's data, never past the end of the file (a
      // truncated archive must still end inside the entry, so finish() reports it)
      position += parser.skipData(file.size - position);
    }
    parser.finish();
    return parser.index;
  } catch (error) {
    if (error instanceof TarError) Object.assign(error, { partial: parser.index });
    throw error;
  } finally {
    parser.dispose();
  }
}
