/**
 * Small byte-stream plumbing shared by every layer of the ladder.
 *
 *   mapErrors(decoder, (e) => e instanceof LayerkitError ? e : new LayerkitError('X', String(e)))
 */

/**
 * What a pass-through does on the way: it sees each chunk as it goes by, then the end, and it can
 * rename the source's errors. A hook that throws errors the stream (a chunk hook also cancels the
 * source: nobody wants the rest).
 */
export interface Tap {
  chunk?(chunk: Uint8Array): void | Promise<void>;
  end?(): void | Promise<void>;
  mapError?(error: unknown): unknown;
}

/**
 * `source` passed through `tap`. A byte stream (a file) stays one, so its consumer can keep
 * reading into one buffer (see resumeBytes); any other stream is passed on chunk by chunk.
 */
export function passThrough(source: ReadableStream<Uint8Array>, tap: Tap, strategy?: QueuingStrategy<Uint8Array>): ReadableStream<Uint8Array> {
  const byob = strategy === undefined ? byobReader(source) : undefined;
  return byob ? resumeBytes(byob, undefined, tap) : resumeChunks(source.getReader(), [], tap, strategy);
}

/** Passes `source` through unchanged; an error it raises is replaced by whatever `map` returns. */
export function mapErrors(
  source: ReadableStream<Uint8Array>,
  map: (error: unknown) => unknown,
  strategy?: QueuingStrategy<Uint8Array>,
): ReadableStream<Uint8Array> {
  return passThrough(source, { mapError: map }, strategy);
}

/**
 * Reads the first `want` bytes of `source` (at least one chunk) and returns them with the whole
 * stream, those bytes put back; errors, the first read's too, go through `mapError`.
 */
export async function peekStream(
  source: ReadableStream<Uint8Array>, want: number, mapError: (error: unknown) => unknown = (e) => e,
): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const byob = byobReader(source);
  try {
    if (byob) {
      let buffer = new ArrayBuffer(CHUNK);
      let have = 0;
      do {
        const { done, value } = await byob.read(new Uint8Array(buffer, have, buffer.byteLength - have));
        // the read took the buffer: its bytes come back with the result, even at the end
        if (value) buffer = value.buffer as ArrayBuffer;
        if (done || !value) break;
        have += value.length;
      } while (have < want);
      const first = new Uint8Array(buffer, 0, have);
      return { head: first.slice(0, want), stream: resumeBytes(byob, first, { mapError }) };
    }
    const reader = source.getReader();
    const chunks: Uint8Array[] = [];
    let have = 0;
    do {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      have += value.length;
    } while (have < want);
    const head = new Uint8Array(Math.min(have, want));
    let filled = 0;
    for (const chunk of chunks) {
      if (filled >= head.length) break;
      head.set(chunk.subarray(0, head.length - filled), filled);
      filled += chunk.length;
    }
    return { head, stream: resumeChunks(reader, chunks, { mapError }) };
  } catch (error) {
    throw mapError(error);
  }
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

/** Reads one result through `tap`: errors renamed, the end checked, a chunk seen (or the source cancelled). */
async function readTapped<T extends Uint8Array>(read: () => Promise<ReadableStreamReadResult<T>>, cancel: (reason: unknown) => Promise<void>, tap: Tap): Promise<ReadableStreamReadResult<T>> {
  let result: ReadableStreamReadResult<T>;
  try {
    result = await read();
  } catch (error) {
    throw tap.mapError ? tap.mapError(error) : error;
  }
  if (result.done) await tap.end?.();
  else if (tap.chunk) {
    try {
      await tap.chunk(result.value);
    } catch (error) {
      await cancel(error).catch(() => {});
      throw error;
    }
  }
  return result;
}

/** A stream that yields the `first` chunks, then what `reader` reads through `tap`. */
export function resumeChunks(reader: ReadableStreamDefaultReader<Uint8Array>, first: Uint8Array[] = [], tap: Tap = {}, strategy?: QueuingStrategy<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = first.shift();
      if (next) return controller.enqueue(next);
      const { done, value } = await readTapped(() => reader.read(), (reason) => reader.cancel(reason), tap);
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, strategy);
}

/**
 * A byte stream that yields `first` (if any), then what `reader` reads through `tap`. A BYOB
 * consumer's buffer is handed straight to the source, so a file read this way fills the
 * consumer's one buffer over and over: no 1 MiB allocation (and its page faults) per chunk, which
 * costs 3× the time of the read itself on Node.
 */
export function resumeBytes(reader: ReadableStreamBYOBReader, first?: Uint8Array, tap: Tap = {}): ReadableStream<Uint8Array> {
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
      const { done, value } = await readTapped(() => reader.read(target), (reason) => reader.cancel(reason), tap);
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

/** For a caller that still uses a chunk after asking for the next one (writes of it under way). */
export interface ChunkRing {
  /** Buffers read into by turns (at least 2). */
  buffers: number;
  /**
   * Asked when the caller moves on from `chunk`: until when its buffer is still in use (undefined:
   * it is not); a promise may resolve to the buffer to use instead (the same memory, transferred
   * to a worker and back).
   */
  inUse(chunk: Uint8Array): Promise<ArrayBuffer | void> | undefined;
}

const TWO_BUFFERS: ChunkRing = { buffers: 2, inUse: () => undefined };

/** Buffers to read into by turns: a free one, else the one held longest once the caller lets it go. */
class BufferRing {
  #free: ArrayBuffer[];
  #held: { buffer: ArrayBuffer; until: Promise<ArrayBuffer | void> }[] = [];
  constructor(readonly ring: ChunkRing, size: number, count: number) {
    this.#free = Array.from({ length: count }, () => new ArrayBuffer(size));
  }
  async take(): Promise<ArrayBuffer> {
    const free = this.#free.pop();
    if (free !== undefined) return free;
    const oldest = this.#held.shift()!;
    return (await oldest.until) ?? oldest.buffer;
  }
  /** The caller moved on from `chunk`: its buffer is free again, or once `ring.inUse` says so. */
  give(chunk: Uint8Array): void {
    const until = this.ring.inUse(chunk);
    if (until) this.#held.push({ buffer: chunk.buffer as ArrayBuffer, until });
    else this.#free.push(chunk.buffer as ArrayBuffer);
  }
}

/**
 * The chunks of `stream`, each valid only until the next one is asked for (or, with `ring`, until
 * `ring.inUse` lets it go). A byte stream is read into a few buffers by turns (see resumeBytes):
 * while the caller works on one chunk the next read is already filling another, and no chunk is
 * allocated. Any other stream is read chunk by chunk as it comes; with `ring`, each chunk is
 * copied into the ring's buffers first (the stream's own buffers are not ours to hand on).
 */
export async function* borrowedChunks(stream: ReadableStream<Uint8Array>, size = CHUNK, ring = TWO_BUFFERS): AsyncGenerator<Uint8Array> {
  const byob = byobReader(stream);
  if (byob) {
    const buffers = new BufferRing(ring, size, Math.max(2, ring.buffers));
    let next: Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>>> | undefined = byob.read(new Uint8Array(await buffers.take()));
    try {
      while (next) {
        const result: ReadableStreamReadResult<Uint8Array<ArrayBuffer>> = await next;
        next = undefined;
        if (result.done || !result.value) return;
        // start the next read into another buffer before handing this one out
        next = byob.read(new Uint8Array(await buffers.take()));
        yield result.value;
        buffers.give(result.value);
      }
    } finally {
      // a read still under way when the caller stopped early ends with the lock's release
      next?.catch(() => {});
      byob.releaseLock();
    }
    return;
  }
  const reader = stream.getReader();
  const buffers = ring === TWO_BUFFERS ? undefined : new BufferRing(ring, size, Math.max(2, ring.buffers));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!buffers) {
        yield value;
        continue;
      }
      let buffer = await buffers.take();
      if (buffer.byteLength < value.length) buffer = new ArrayBuffer(value.length);
      const copy = new Uint8Array(buffer, 0, value.length);
      copy.set(value);
      yield copy;
      buffers.give(copy);
    }
  } finally {
    reader.releaseLock();
  }
}
