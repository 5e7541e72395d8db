/**
 * Verification as bytes flow: a stream that passes bytes through, counts and hashes them, reads
 * at most `size + 1`, and errors at the end with DIGEST_MISMATCH or SIZE_MISMATCH. Consumers
 * commit nothing before the stream closed cleanly.
 *
 *   await verified(open(), descriptor).pipeTo(sink) // rejects on a flipped byte
 */
import { createHasher } from '../digest/backends.ts';
import { formatDigest, parseDigest, type Digest } from '../digest/digest.ts';
import { passThrough } from '../streams.ts';
import { LayerkitError } from '../errors.ts';

export function mismatch(what: string, expected: string, actual: string): LayerkitError {
  return new LayerkitError('DIGEST_MISMATCH', `${what}: content has digest ${actual}, expected ${expected}`, {
    hint: 'the blob is corrupt or was tampered with; nothing was stored',
  });
}

/**
 * `source` checked against `digest` (and `size` when known). A stream longer than `size` is cut at
 * size + 1 and fails without reading the rest.
 */
export function verified(source: ReadableStream<Uint8Array>, digest: Digest | string, size: number | undefined, what = 'blob'): ReadableStream<Uint8Array> {
  const { algorithm } = parseDigest(digest);
  let hasher: Awaited<ReturnType<typeof createHasher>> | undefined;
  let seen = 0;
  // a file stays a byte stream (passThrough), so a BYOB consumer's buffer is hashed in place
  return passThrough(source, {
    async chunk(bytes) {
      hasher ??= await createHasher(algorithm);
      seen += bytes.length;
      if (size !== undefined && seen > size) {
        throw new LayerkitError('SIZE_MISMATCH', `${what}: more than the ${size} bytes its descriptor states`, { hint: 'nothing was stored' });
      }
      hasher.update(bytes);
    },
    async end() {
      if (size !== undefined && seen !== size) {
        throw new LayerkitError('SIZE_MISMATCH', `${what}: ${seen} bytes, expected ${size}`, { hint: 'the blob is truncated; nothing was stored' });
      }
      hasher ??= await createHasher(algorithm);
      const actual = formatDigest(algorithm, hasher.digest());
      if (actual !== digest) throw mismatch(what, digest, actual);
    },
  });
}

/** Reads a stream whole, refusing it (DOCUMENT_TOO_LARGE) once it passes `limit` bytes. */
export async function readAllCapped(source: ReadableStream<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = source.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new LayerkitError('DOCUMENT_TOO_LARGE', `the ${what} is over the ${limit}-byte limit`, { hint: 'refused before reading it whole' });
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

export function concat(chunks: Uint8Array[], total = chunks.reduce((n, c) => n + c.length, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
