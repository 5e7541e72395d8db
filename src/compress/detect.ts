/**
 * Compression recognised by magic bytes, never by file name or media type alone; a media type
 * that says otherwise is reported as a mismatch, not trusted. gzip and zstd both ways.
 *
 *   const { compression, stream } = await decompressedStream(file); // gzip → tar bytes
 *   const { mismatch } = await decompressedStream(blob, { expected: compressionOfMediaType(desc.mediaType) });
 *   const gz = compressedStream(tar, 'gzip');
 */
import { LayerkitError } from '../errors.ts';
import { gunzipStream, gzipStream } from './gzip.ts';
import { outputLimit, type DecompressLimits } from './limits.ts';
import { zstdDecompress } from './zstd.ts';
import { peekStream } from '../streams.ts';

export type { DecompressLimits } from './limits.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

export function detectCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Options of decompressedStream: limits, and what the caller was told to expect. */
export interface DecompressOptions extends DecompressLimits {
  /** The compression a media type or file name claims; a different magic is reported as `mismatch`. */
  expected?: Compression;
}

export interface Decompressed {
  compression: Compression;
  stream: ReadableStream<Uint8Array>;
  /** Set when `expected` was given and the magic bytes say otherwise (the magic wins). */
  mismatch?: { expected: Compression; detected: Compression };
}

/** The compression a layer media type names: `+gzip`/`.gzip` → gzip, `+zstd`/`.zstd` → zstd, else none. */
export function compressionOfMediaType(mediaType: string): Compression {
  if (/[+.]gzip$/.test(mediaType)) return 'gzip';
  if (/[+.]zstd$/.test(mediaType)) return 'zstd';
  return 'none';
}

/** The decompressed bytes of `source`, whatever its compression, and which one it was. */
export async function decompressedStream(source: ReadableStream<Uint8Array>, options: DecompressOptions = {}): Promise<Decompressed> {
  const { head, stream } = await peekStream(source, 4);
  const compression = detectCompression(head);
  let plain = stream;
  if (compression === 'gzip') plain = await decodeDraining(stream, (s) => gunzipStream(s));
  if (compression === 'zstd') plain = await decodeDraining(stream, (s) => s.pipeThrough(zstdDecompress(options)));
  if (compression !== 'none' && options.maxBytes !== undefined) plain = plain.pipeThrough(outputLimit(options.maxBytes, compression));
  const result: Decompressed = { compression, stream: plain };
  if (options.expected !== undefined && options.expected !== compression) result.mismatch = { expected: options.expected, detected: compression };
  return result;
}

/**
 * Runs `decode` over `source`; when decoding fails, reads the rest of the source first (so a digest
 * taken over it still sees every byte, as containerd drains) and reports the source's own error if
 * it has one: a digest or size mismatch names the cause, the decoder's error only the symptom.
 * A cancel by the consumer cancels the source instead (nobody wants the rest then).
 */
async function decodeDraining(
  source: ReadableStream<Uint8Array>, decode: (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>,
): Promise<ReadableStream<Uint8Array>> {
  const input = source.getReader();
  let consumerCancelled = false;
  let drained: Promise<unknown> | undefined;
  const drainRest = () => (drained ??= (async () => {
    try {
      while (!(await input.read()).done);
      return undefined;
    } catch (e) {
      return e;
    }
  })());
  const tap = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await input.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: async (reason) => void (consumerCancelled ? await input.cancel(reason) : await drainRest()),
  }, { highWaterMark: 0 });
  const output = (await decode(tap)).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await output.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        throw (await drainRest()) ?? e;
      }
    },
    cancel: async (reason) => {
      consumerCancelled = true;
      await output.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** `source` compressed as `format`. gzip uses CompressionStream; no zstd encoder runs on every runtime yet. */
export function compressedStream(source: ReadableStream<Uint8Array>, format: Compression): ReadableStream<Uint8Array> {
  if (format === 'gzip') return gzipStream(source);
  if (format === 'none') return source;
  throw new LayerkitError('UNSUPPORTED_COMPRESSION', 'writing zstd is not supported: no zstd encoder runs on Node, Deno, Bun and workerd alike', {
    hint: 'write gzip, or compress with `zstd` and store the result',
  });
}
