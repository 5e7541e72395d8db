/**
 * Bounds on decompression, so a bomb ends in a typed error instead of filling memory or disk.
 *
 *   stream.pipeThrough(outputLimit(10 * 2 ** 30, 'gzip'))   // DECOMPRESS_LIMIT past 10 GiB
 */
import { LayerkitError } from '../errors.ts';
import { mapErrors } from '../streams.ts';

/** What may come out of a decompressor; both limits are typed DECOMPRESS_LIMIT errors. */
export interface DecompressLimits {
  /** Largest number of uncompressed bytes to produce (default: no limit). */
  maxBytes?: number;
  /** Largest zstd window a frame may ask for, in bytes (default 2^27 = 128 MiB, zstd's own default). */
  zstdMaxWindow?: number;
}

export const DEFAULT_ZSTD_MAX_WINDOW = 2 ** 27;

export function limitError(what: string, limit: number, hint: string): LayerkitError {
  return new LayerkitError('DECOMPRESS_LIMIT', `${what} exceeds the limit of ${limit} bytes`, { hint });
}

/** Passes bytes through until `maxBytes` would be exceeded, then fails with DECOMPRESS_LIMIT. */
export function outputLimit(maxBytes: number, format: string): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      if (total > maxBytes) {
        throw limitError(`the ${format}-decompressed stream`, maxBytes, 'raise maxBytes if this archive is trusted; it may be a decompression bomb');
      }
      controller.enqueue(chunk);
    },
  });
}

/** Re-throws any error of `stream` as a LayerkitError with `code`, keeping typed errors as they are. */
export function typedErrors(stream: ReadableStream<Uint8Array>, code: string, message: string, hint: string): ReadableStream<Uint8Array> {
  const typed = (e: unknown) => (e instanceof LayerkitError ? e : new LayerkitError(code, `${message}: ${(e as Error)?.message ?? e}`, { hint, cause: e }));
  return mapErrors(stream, typed, { highWaterMark: 0 });
}
