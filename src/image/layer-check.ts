/**
 * A layer's stored bytes, checked in one pass against both identities: the blob digest (as the
 * bytes flow) and the diffID (a decompressing branch hashes the tar beside them). The stream
 * errors at its end on either mismatch, so a store that commits only after a clean close never
 * keeps a layer whose diffID differs from the config's.
 *
 *   await store.putBlob(layer, () => checkedLayerStream(layer));
 */
import { decompressedStream, type Compression } from '../compress/detect.ts';
import { createHasher } from '../digest/backends.ts';
import { formatDigest, type Digest } from '../digest/digest.ts';
import { digestStream } from '../digest/stream.ts';
import { LayerkitError } from '../errors.ts';
import type { Layer } from './types.ts';
import { mismatch } from './verify.ts';

export async function checkedLayerStream(layer: Layer): Promise<ReadableStream<Uint8Array>> {
  const source = (await layer.compressed()).getReader();
  const branch = new TransformStream<Uint8Array, Uint8Array>();
  const writer = branch.writable.getWriter();
  const diffIDResult = (async () => {
    const hasher = await createHasher('sha256');
    const reader = (await decompressedStream(branch.readable)).stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hasher.update(value);
    }
    return formatDigest('sha256', hasher.digest());
  })().catch((e: unknown) => {
    throw e instanceof LayerkitError ? e : new LayerkitError('LAYER_CORRUPT', `layer ${layer.digest} does not decompress: ${(e as Error)?.message ?? e}`, { cause: e });
  });
  diffIDResult.catch(() => {}); // observed below; avoid an unhandled rejection if the reader stops early
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await source.read();
      } catch (e) {
        void writer.abort(e).catch(() => {});
        throw e;
      }
      if (chunk.done) {
        await writer.close();
        const diffID = await diffIDResult;
        if (diffID !== layer.diffID) return controller.error(mismatch(`layer ${layer.digest} uncompressed (diffID)`, layer.diffID, diffID));
        return controller.close();
      }
      controller.enqueue(chunk.value);
      await Promise.race([writer.write(chunk.value), diffIDResult]);
    },
    cancel: async (reason) => {
      void writer.abort(reason).catch(() => {});
      await source.cancel(reason);
    },
  });
}

/** Blob digest, size, compression and diffID of a layer's stored bytes, in one pass. */
export async function measureLayer(source: ReadableStream<Uint8Array>): Promise<{ digest: Digest; size: number; diffID: Digest; compression: Compression }> {
  const hasher = await createHasher('sha256');
  const branch = new TransformStream<Uint8Array, Uint8Array>();
  const writer = branch.writable.getWriter();
  let compression: Compression = 'none';
  const diffID = (async () => {
    const decompressed = await decompressedStream(branch.readable);
    compression = decompressed.compression;
    return (await digestStream(decompressed.stream)).digest;
  })();
  diffID.catch(() => {});
  let size = 0;
  const reader = source.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hasher.update(value);
    size += value.length;
    await Promise.race([writer.write(value), diffID]);
  }
  await writer.close();
  return { digest: formatDigest('sha256', hasher.digest()), size, diffID: await diffID, compression };
}
