/**
 * Small byte-stream plumbing shared by every layer of the ladder.
 *
 *   mapErrors(decoder, (e) => e instanceof LayerkitError ? e : new LayerkitError('X', String(e)))
 */

/** Passes `source` through unchanged; an error it raises is replaced by whatever `map` returns. */
export function mapErrors(
  source: ReadableStream<Uint8Array>,
  map: (error: unknown) => unknown,
  strategy?: QueuingStrategy<Uint8Array>,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        throw map(e);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, strategy);
}
