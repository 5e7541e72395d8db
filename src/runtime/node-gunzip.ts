/**
 * gunzip through node:zlib (Node, Deno, Bun) with Go's trailing-data rule added: zlib ignores
 * input after a NUL that follows a member, so the bytes zlib consumed (`bytesWritten`) are
 * compared with the bytes fed, and any left over fail the stream. src/compress/gzip.ts probes
 * this like the native DecompressionStream before using it.
 *
 *   const plain = nodeGunzip(gzipped);
 */
import type { Gunzip } from 'node:zlib';

/** node:stream and node:zlib, imported on the first gunzip: every CLI start paid ~5 ms for them. */
const loadModules = () => Promise.all([import('node:stream'), import('node:zlib')]);
let modules: ReturnType<typeof loadModules> | undefined;

export function nodeGunzip(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let fed = 0;
  let gunzip: Gunzip | undefined;
  let output: AsyncIterator<Buffer> | undefined;
  const start = async () => {
    const [{ Readable, pipeline }, { createGunzip }] = await (modules ??= loadModules());
    const counted = source.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        fed += chunk.length;
        controller.enqueue(chunk);
      },
    }));
    // 1 MiB out per step, not zlib's 16 KiB: each chunk costs a thread-pool hop and a trip through
    // two streams, which at 16 KiB made gunzip of a 200 MiB layer take twice as long
    gunzip = createGunzip({ chunkSize: 1 << 20 });
    pipeline(Readable.fromWeb(counted as import('node:stream/web').ReadableStream<Uint8Array>), gunzip, () => {});
    return gunzip[Symbol.asyncIterator]();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await (output ??= await start()).next();
      if (!done) return controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.length));
      if (gunzip!.bytesWritten !== fed) throw new Error(`${fed - gunzip!.bytesWritten} bytes of trailing data after the last gzip member`);
      controller.close();
    },
    async cancel(reason) {
      if (gunzip) gunzip.destroy(reason instanceof Error ? reason : undefined);
      else await source.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
