/**
 * Compression recognised by magic bytes, never by file name or media type alone.
 *
 *   const { compression, stream } = await decompressedStream(file); // gzip → tar bytes
 */
import { LayerkitError } from '../errors.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

export function detectCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Reads enough of `source` to see its magic, and returns the stream with those bytes put back. */
async function peek(source: ReadableStream<Uint8Array>, want: number): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = source.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  while (have < want) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    have += value.length;
  }
  const head = new Uint8Array(Math.min(have, want));
  let filled = 0;
  for (const c of chunks) {
    if (filled >= head.length) break;
    head.set(c.subarray(0, head.length - filled), filled);
    filled += Math.min(c.length, head.length - filled);
  }
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = chunks.shift();
      if (next) return controller.enqueue(next);
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { head, stream };
}

/** The decompressed bytes of `source`, whatever its compression, and which one it was. */
export async function decompressedStream(source: ReadableStream<Uint8Array>): Promise<{ compression: Compression; stream: ReadableStream<Uint8Array> }> {
  const { head, stream } = await peek(source, 4);
  const compression = detectCompression(head);
  if (compression === 'gzip') {
    return { compression, stream: stream.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>) };
  }
  if (compression === 'zstd') {
    throw new LayerkitError('UNSUPPORTED_COMPRESSION', 'zstd streams are not supported yet', { hint: 'decompress with `zstd -d` first' });
  }
  return { compression, stream };
}
