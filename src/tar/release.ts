/**
 * Letting go of a stream we stopped reading early. Cancelling a DecompressionStream while it still
 * has output makes Node 20's web-stream adapter throw "Controller is already closed" from an event
 * handler (an uncaught exception that kills the process), so we first drain what is left, up to a
 * bound, and cancel only past it (an endless stream must not keep us forever).
 *
 *   await releaseStream(reader, error);
 */
const DRAIN_LIMIT = 64 << 20;

export async function releaseStream(reader: ReadableStreamDefaultReader<Uint8Array>, reason?: unknown): Promise<void> {
  try {
    for (let drained = 0; drained <= DRAIN_LIMIT; ) {
      const { done, value } = await reader.read();
      if (done) return reader.releaseLock();
      drained += value.length;
    }
    await reader.cancel(reason);
  } catch {
    // The stream failed on its own: nothing left to release.
  }
}
