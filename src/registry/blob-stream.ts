/**
 * A blob read from a registry as one verified stream: bytes are hashed as they pass, a
 * connection that breaks mid-blob is resumed with `Range: bytes=N-` (bounded), more bytes than
 * the descriptor's size stop the read at size+1, and the stream errors with DIGEST_MISMATCH or
 * SIZE_MISMATCH at the end instead of closing when the bytes are not the ones named.
 *
 *   const stream = verifiedBlobStream(descriptor, (from) => client.fetchBlobFrom(repo, digest, from));
 */
import { createHasher, type Hasher } from '../digest/backends.ts';
import { formatDigest, parseDigest, type Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';

const COALESCE = 1 << 20;

export interface BlobTarget {
  digest: Digest;
  size: number;
}

/** Opens the blob's bytes starting at `offset` (a 206 answer, or a 200 from the start). */
export type RangeOpener = (offset: number) => Promise<{ body: ReadableStream<Uint8Array>; start: number }>;

export interface BlobStreamOptions {
  /** Resumes after a broken connection (default 5). */
  resumes?: number;
  /** Called with the running byte count. */
  onBytes?: (received: number) => void;
  /** Called before each resume, with the offset. */
  onResume?: (offset: number) => void;
  /**
   * Check the digest here (default true). A caller whose sink verifies by contract (a BlobStore's
   * putBlob) may turn it off to hash once; the size is enforced either way.
   */
  verifyDigest?: boolean;
}

export function verifiedBlobStream(target: BlobTarget, open: RangeOpener, options: BlobStreamOptions = {}): ReadableStream<Uint8Array> {
  const { algorithm } = parseDigest(target.digest);
  let hasher: Hasher | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let received = 0;
  let resumesLeft = options.resumes ?? 5;
  let skip = 0;

  const connect = async () => {
    const { body, start } = await open(received);
    if (start > received) throw new LayerkitError('REGISTRY_PROTOCOL', `the registry resumed ${target.digest} at byte ${start}, not ${received}`);
    skip = received - start; // a 200 restarts from 0: drop what we already have
    reader = body.getReader();
  };

  // fetch bodies arrive in ~64 KiB pieces; handing on ~1 MiB pieces saves the consumer (a
  // file writer, a hasher) most of its per-chunk work.
  let pending: Uint8Array[] = [];
  let pendingSize = 0;
  const takePending = (): Uint8Array => {
    const out = pending.length === 1 ? pending[0]! : new Uint8Array(pendingSize);
    if (pending.length > 1) {
      let offset = 0;
      for (const part of pending) { out.set(part, offset); offset += part.length; }
    }
    pending = [];
    pendingSize = 0;
    return out;
  };
  // Connected on the first pull, not in start(): workerd may call pull before start settles.
  let opened: Promise<void> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await (opened ??= (async () => {
        if (options.verifyDigest !== false) hasher = await createHasher(algorithm);
        await connect();
      })());
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader!.read();
        } catch (cause) {
          if (resumesLeft-- <= 0 || cause instanceof LayerkitError) throw cause;
          options.onResume?.(received);
          await connect();
          continue;
        }
        if (chunk.done) {
          if (received < target.size && resumesLeft-- > 0) {
            // A body that ends early is a cut connection as far as we can tell: resume.
            options.onResume?.(received);
            await connect();
            continue;
          }
          finish(controller);
          return;
        }
        let value = chunk.value;
        if (skip > 0) {
          const dropped = Math.min(skip, value.length);
          skip -= dropped;
          value = value.subarray(dropped);
          if (value.length === 0) continue;
        }
        if (received + value.length > target.size) {
          await reader!.cancel().catch(() => {});
          throw new LayerkitError('SIZE_MISMATCH', `blob ${target.digest} is longer than its ${target.size} bytes`, { hint: 'the registry or a proxy is serving other bytes; nothing was stored' });
        }
        received += value.length;
        hasher?.update(value);
        options.onBytes?.(received);
        pending.push(value);
        pendingSize += value.length;
        if (pendingSize >= COALESCE) {
          controller.enqueue(takePending());
          return;
        }
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });

  function finish(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (pendingSize > 0) controller.enqueue(takePending());
    if (received !== target.size) {
      controller.error(new LayerkitError('SIZE_MISMATCH', `blob ${target.digest} ended after ${received} of ${target.size} bytes`, { hint: 'the download was truncated; nothing was stored — try again' }));
      return;
    }
    const actual = hasher ? formatDigest(algorithm, hasher.digest()) : target.digest;
    if (actual !== target.digest) {
      controller.error(new LayerkitError('DIGEST_MISMATCH', `blob ${target.digest} arrived with digest ${actual}`, { hint: 'the registry served corrupted bytes; nothing was stored' }));
      return;
    }
    controller.close();
  }
}
