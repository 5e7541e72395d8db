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
  const byob = strategy === undefined ? byobReader(source) : undefined;
  if (byob) return resumeBytes(byob, undefined, map);
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

/** The BYOB reader of `stream` when it is a byte stream (files are), else undefined; the stream is locked only on success. */
export function byobReader(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return stream.getReader({ mode: 'byob' });
  } catch {
    return undefined;
  }
}

const CHUNK = 1 << 20;

/**
 * A byte stream that yields `first` (if any), then what `reader` reads (its errors through
 * `mapError` when given). A BYOB consumer's buffer
 * is handed straight to the source, so a file read this way fills the consumer's one buffer over
 * and over: no 1 MiB allocation (and its page faults) per chunk, which costs 3× the time of the
 * read itself on Node.
 */
export function resumeBytes(reader: ReadableStreamBYOBReader, first?: Uint8Array, mapError?: (error: unknown) => unknown): ReadableStream<Uint8Array> {
  let pending = first && first.length > 0 ? first : undefined;
  const source: UnderlyingByteSource = {
    type: 'bytes',
    async pull(controller: ReadableByteStreamController) {
      const request = controller.byobRequest;
      if (pending) {
        if (request?.view) {
          const view = new Uint8Array(request.view.buffer, request.view.byteOffset, request.view.byteLength);
          const n = Math.min(view.length, pending.length);
          view.set(pending.subarray(0, n));
          pending = n < pending.length ? pending.subarray(n) : undefined;
          request.respond(n);
        } else {
          controller.enqueue(pending.slice()); // a copy: enqueue detaches the buffer it is given
          pending = undefined;
        }
        return;
      }
      const target = request?.view ? new Uint8Array(request.view.buffer, request.view.byteOffset, request.view.byteLength) : new Uint8Array(CHUNK);
      let result: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        result = await reader.read(target);
      } catch (error) {
        throw mapError ? mapError(error) : error;
      }
      const { done, value } = result;
      if (done) {
        controller.close();
        // the request's buffer went to the source with the read: answer with the view it gave back
        if (request) {
          if (value) request.respondWithNewView(value);
          else request.respond(0);
        }
      } else if (request) request.respondWithNewView(value);
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  };
  return new ReadableStream(source) as ReadableStream<Uint8Array>;
}

/**
 * The chunks of `stream`, each valid only until the next one is asked for. A byte stream is read
 * into two buffers by turns (see resumeBytes): while the caller works on one chunk the next read
 * is already filling the other, and no chunk is allocated. Any other stream is read chunk by chunk
 * as it comes.
 */
export async function* borrowedChunks(stream: ReadableStream<Uint8Array>, size = CHUNK): AsyncGenerator<Uint8Array> {
  const byob = byobReader(stream);
  if (byob) {
    let spare = new ArrayBuffer(size);
    let next: Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>>> | undefined = byob.read(new Uint8Array(new ArrayBuffer(size)));
    try {
      while (next) {
        const result: ReadableStreamReadResult<Uint8Array<ArrayBuffer>> = await next;
        next = undefined;
        if (result.done || !result.value) return;
        // start the next read into the other buffer before handing this one out
        next = byob.read(new Uint8Array(spare));
        yield result.value;
        spare = result.value.buffer;
      }
    } finally {
      // a read still under way when the caller stopped early ends with the lock's release
      next?.catch(() => {});
      byob.releaseLock();
    }
    return;
  }
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
