/**
 * Index a layer in one pass without copying contents to JavaScript: decompress by magic, feed the
 * tar kernel in ≤ 1 MiB chunks, and get the LayerIndex, the diffID (sha256 of the uncompressed
 * tar) and its size. With `sha256Files` each file's content digest is computed in the same pass.
 *
 *   const { index, diffID, size } = await indexLayer(file.stream(), { sha256Files: true });
 */
import { decompressedStream, type Compression } from '../compress/detect.ts';
import { createHasher, currentSha256Backend } from '../digest/backends.ts';
import { formatDigest, type Digest } from '../digest/digest.ts';
import { LayerIndex } from '../core/layer-index.ts';
import { TarParser } from '../core/tar.ts';
import { TarError } from '../core/tar-errors.ts';
import { core } from '../core/wasm.ts';
import { releaseStream } from './release.ts';
import { borrowedChunks } from '../streams.ts';

export interface IndexLayerOptions {
  /** Compute the sha256 of every regular file's content (default: off). */
  sha256Files?: boolean;
  /** Detect gzip/zstd by magic bytes and decompress (default: on). */
  decompress?: boolean;
}

export interface IndexLayerResult {
  index: LayerIndex;
  /** sha256 of the uncompressed tar stream, every byte including any trailing data. */
  diffID: Digest;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  compression: Compression;
}

/**
 * Reads a whole layer tar into a LayerIndex. A malformed archive rejects with a TarError whose
 * `partial` property holds the index of the entries read before the error.
 */
export async function indexLayer(source: ReadableStream<Uint8Array>, options: IndexLayerOptions = {}): Promise<IndexLayerResult> {
  const { compression, stream } = options.decompress === false ? { compression: 'none' as const, stream: source } : await decompressedStream(source);
  // The diffID is hashed where hashing is fastest: by the runtime's native hash when that is the
  // chosen backend (several times the kernel's speed, see bench/results/sha256.json), else inside
  // the tar kernel in the same WASM call that parses the chunk.
  const nativeHasher = currentSha256Backend() === 'native' ? await createHasher('sha256', 'native') : undefined;
  const parser = new TarParser(core(), { index: true, sha256Files: options.sha256Files ?? false, hashStream: !nativeHasher });
  try {
    // Keep hashing past the end of the archive: the diffID covers trailing bytes too. Chunks are
    // borrowed (a file is read into one reused buffer): both consumers are done with each at once.
    for await (const chunk of borrowedChunks(stream)) {
      parser.feed(chunk);
      nativeHasher?.update(chunk);
    }
    const finished = parser.finish();
    const diffID = nativeHasher ? nativeHasher.digest() : finished.diffID;
    return { index: parser.index, diffID: formatDigest('sha256', diffID), size: finished.size, compression };
  } catch (error) {
    if (error instanceof TarError) Object.assign(error, { partial: parser.index });
    if (!stream.locked) await releaseStream(stream.getReader(), error);
    throw error;
  } finally {
    parser.dispose();
  }
}

/** The index of the entries read before a TarError, when indexLayer attached one. */
export function partialIndex(error: unknown): LayerIndex | undefined {
  return error instanceof TarError ? (error as TarError & { partial?: LayerIndex }).partial : undefined;
}
