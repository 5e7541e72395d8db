/**
 * Verification as bytes flow: a stream that passes bytes through, counts and hashes them, reads
 * at most `size + 1`, and errors at the end with DIGEST_MISMATCH or SIZE_MISMATCH. Consumers
 * commit nothing before the stream closed cleanly.
 *
 *   await verified(open(), descriptor).pipeTo(sink) // rejects on a flipped byte
 */
import { createHasher } from '../digest/backends.ts';
import { formatDigest, parseDigest, type Algorithm, type Digest } from '../digest/digest.ts';
import { byobReader } from '../streams.ts';
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
  const byob = byobReader(source);
  if (byob) return verifiedBytes(byob, algorithm, digest, size, what);
  const reader = source.getReader();
  let hasher: Awaited<ReturnType<typeof createHasher>> | undefined;
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      hasher ??= await createHasher(algorithm);
      const { done, value } = await reader.read();
      if (done) {
        if (size !== undefined && seen !== size) {
          return controller.error(new LayerkitError('SIZE_MISMATCH', `${what}: ${seen} bytes, expected ${size}`, { hint: 'the blob is truncated; nothing was stored' }));
        }
        const actual = formatDigest(algorithm, hasher.digest());
        if (actual !== digest) return controller.error(mismatch(what, digest, actual));
        return controller.close();
      }
      seen += value.length;
      if (size !== undefined && seen > size) {
        await reader.cancel();
        return controller.error(new LayerkitError('SIZE_MISMATCH', `${what}: more than the ${size} bytes its descriptor states`, { hint: 'nothing was stored' }));
      }
      hasher.update(value);
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * verified() over a byte stream (a file), staying one: a BYOB consumer's buffer is filled by the
 * source and hashed in place, so the bytes are neither copied nor allocated per chunk.
 */
function verifiedBytes(reader: ReadableStreamBYOBReader, algorithm: Algorithm, digest: string, size: number | undefined, what: string): ReadableStream<Uint8Array> {
  let hasher: Awaited<ReturnType<typeof createHasher>> | undefined;
  let seen = 0;
  const source: UnderlyingByteSource = {
    type: 'bytes',
    async pull(controller) {
      hasher ??= await createHasher(algorithm);
      const request = controller.byobRequest;
      const view = request?.view;
      const target = view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(CHUNK);
      const { done, value } = await reader.read(target);
      if (done || !value) {
        if (size !== undefined && seen !== size) {
          controller.error(new LayerkitError('SIZE_MISMATCH', `${what}: ${seen} bytes, expected ${size}`, { hint: 'the blob is truncated; nothing was stored' }));
          return;
        }
        const actual = formatDigest(algorithm, hasher.digest());
        if (actual !== digest) return controller.error(mismatch(what, digest, actual));
        controller.close();
        // the request's buffer went to the source with the read: answer with the view it gave back
        if (request) {
          if (value) request.respondWithNewView(value);
          else request.respond(0);
        }
        return;
      }
      seen += value.length;
      if (size !== undefined && seen > size) {
        await reader.cancel();
        return controller.error(new LayerkitError('SIZE_MISMATCH', `${what}: more than the ${size} bytes its descriptor states`, { hint: 'nothing was stored' }));
      }
      hasher.update(value);
      if (request) request.respondWithNewView(value);
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  };
  return new ReadableStream(source) as ReadableStream<Uint8Array>;
}

const CHUNK = 1 << 20;

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
