/**
 * Hashing bytes as they flow: a pass-through TransformStream that feeds a hasher, and a helper
 * that drains a stream to its digest.
 *
 *   const tap = hashingStream(await createHasher('sha256'));
 *   await source.pipeThrough(tap.stream).pipeTo(sink); tap.result() // { digest, size }
 */
import { type Algorithm, type Digest, formatDigest } from './digest.ts';
import { createHasher, type Hasher, type Sha256Backend } from './backends.ts';
import { borrowedChunks } from '../streams.ts';

export interface DigestResult {
  digest: Digest;
  size: number;
}

export interface HashingStream {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** The digest and byte count; valid once the stream has closed. */
  result(): DigestResult;
}

export function hashingStream(hasher: Hasher, algorithm: Algorithm = 'sha256'): HashingStream {
  let size = 0;
  let finished: DigestResult | undefined;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hasher.update(chunk);
      size += chunk.length;
      controller.enqueue(chunk);
    },
    flush() {
      finished = { digest: formatDigest(algorithm, hasher.digest()), size };
    },
  });
  return {
    stream,
    result() {
      if (!finished) throw new Error('hashingStream: result() before the stream closed');
      return finished;
    },
  };
}

/** Reads `source` to the end and returns its digest and size. */
export async function digestStream(
  source: ReadableStream<Uint8Array>,
  algorithm: Algorithm = 'sha256',
  backend?: Sha256Backend,
): Promise<DigestResult> {
  const hasher = await createHasher(algorithm, backend);
  let size = 0;
  for await (const chunk of borrowedChunks(source)) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { digest: formatDigest(algorithm, hasher.digest()), size };
}

/** The digest of bytes already in memory. */
export async function digestBytes(data: Uint8Array, algorithm: Algorithm = 'sha256', backend?: Sha256Backend): Promise<Digest> {
  const hasher = await createHasher(algorithm, backend);
  hasher.update(data);
  return formatDigest(algorithm, hasher.digest());
}
