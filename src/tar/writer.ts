/**
 * TarWriter: entries in, a deterministic tar out as a pull-based `ReadableStream<Uint8Array>`.
 * Memory stays bounded: one entry's headers, a 64 KiB coalescing buffer for small pieces, and the
 * body chunk in flight. Bodies are a `Uint8Array` or a `ReadableStream` with a declared `size`; a
 * body shorter or longer than declared fails the stream with TAR_SIZE_MISMATCH. The archive ends
 * with two zero blocks. Same entries in, same bytes out.
 *
 *   const tar = await writeTar([{ name: 'etc/', type: 'dir' }, { name: 'etc/motd', body: utf8('hi\n') }]);
 *   const stream = tarStream(walk(dir));                         // pull-based over an (async) iterable
 *   const w = new TarWriter(); w.readable.pipeTo(sink); await w.add(entry); await w.close(); // push-based
 */
import { LayerkitError } from '../errors.ts';
import { BLOCK, bodyShape, encodeHeaders, padTo512, type TarHeaderFields } from './header-encode.ts';

export type { TarHeaderFields, TarWriteType } from './header-encode.ts';

/** An entry to write: the tar entry JSON fields plus its content, when it has any. */
export interface TarWriteEntry extends TarHeaderFields {
  /** The content: bytes (size defaults to their length) or a stream of exactly `size` bytes. */
  body?: Uint8Array | ReadableStream<Uint8Array>;
}

export type TarEntrySource = Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>;

const COALESCE_BYTES = 64 * 1024;
const ZEROS = new Uint8Array(BLOCK * 2);

const mismatch = (name: string, declared: number, actual: string) =>
  new LayerkitError('TAR_SIZE_MISMATCH', `tar entry ${JSON.stringify(name)} declares ${declared} bytes but its body has ${actual}`, {
    hint: 'set size to the exact length of the content',
  });

/** The pieces of one entry's body, checked against its declared size. */
async function* bodyPieces(entry: TarWriteEntry, size: number): AsyncGenerator<Uint8Array> {
  const body = entry.body;
  if (body === undefined) {
    if (size !== 0) throw mismatch(entry.name, size, 'none (no body given)');
    return;
  }
  if (body instanceof Uint8Array) {
    if (body.length !== size) throw mismatch(entry.name, size, String(body.length));
    if (size > 0) yield body;
    return;
  }
  const reader = body.getReader();
  let written = 0;
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (written + value.length > size) throw mismatch(entry.name, size, `more (at least ${written + value.length})`);
      written += value.length;
      if (value.length > 0) yield value;
    }
    finished = true;
    if (written !== size) throw mismatch(entry.name, size, String(written));
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function declaredShape(entry: TarWriteEntry): TarHeaderFields {
  if (entry.size !== undefined || entry.body === undefined) return entry;
  if (entry.body instanceof Uint8Array) return { ...entry, size: entry.body.length };
  throw new LayerkitError('TAR_ENTRY_INVALID', `cannot write tar entry ${JSON.stringify(entry.name)}: its body is a stream without a declared size`, {
    hint: 'set size; the header precedes the content, so the length must be known first',
  });
}

/** Every piece of the archive in order: headers, bodies, padding, the two end blocks. */
async function* archivePieces(entries: TarEntrySource): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    const fields = declaredShape(entry);
    const { type, size } = bodyShape(fields);
    if (entry.body !== undefined && size === 0 && type !== 'file' && type !== 'contiguous') {
      throw new LayerkitError('TAR_ENTRY_INVALID', `cannot write tar entry ${JSON.stringify(entry.name)}: a ${type} has no content, but a body was given`);
    }
    yield encodeHeaders(fields);
    yield* bodyPieces(entry, size);
    const pad = padTo512(size);
    if (pad > 0) yield ZEROS.subarray(0, pad);
  }
  yield ZEROS;
}

/** The tar of `entries` as a stream; entries are pulled only as the consumer reads. */
export function tarStream(entries: TarEntrySource): ReadableStream<Uint8Array> {
  return coalescedStream(archivePieces(entries));
}

function coalescedStream(pieces: AsyncGenerator<Uint8Array>, onError?: (e: unknown) => void): ReadableStream<Uint8Array> {
  const staging = new Uint8Array(COALESCE_BYTES);
  let staged = 0;
  let done = false;
  const flush = () => {
    const out = staging.slice(0, staged);
    staged = 0;
    return out;
  };
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        await fill(controller);
      } catch (e) {
        onError?.(e);
        throw e;
      }
    },
    cancel(reason) {
      onError?.(new LayerkitError('TAR_WRITER_CLOSED', 'the tar stream was cancelled by its reader', { cause: reason }));
      // Not awaited: the generator may be waiting for an entry that will never come.
      void pieces.return(undefined).catch(() => {});
    },
  }, { highWaterMark: 0 });

  async function fill(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    // Small pieces (headers, padding, small files) are copied together; large bodies pass through uncopied.
    while (!done) {
      const next = await pieces.next();
      if (next.done) {
        done = true;
        break;
      }
      const piece = next.value;
      if (staged + piece.length <= COALESCE_BYTES) {
        staging.set(piece, staged);
        staged += piece.length;
        if (staged === COALESCE_BYTES) return controller.enqueue(flush());
        continue;
      }
      if (staged > 0) controller.enqueue(flush());
      if (piece.length < COALESCE_BYTES / 2) {
        staging.set(piece, 0);
        staged = piece.length;
        return;
      }
      return controller.enqueue(piece);
    }
    if (staged > 0) controller.enqueue(flush());
    controller.close();
  }
}

/** The whole tar of `entries` in memory (for small archives and tests). */
export async function writeTar(entries: TarEntrySource): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const reader = tarStream(entries).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

/**
 * Push-based writer over the same stream: `add` resolves once the stream has written the entry
 * (so a producer waits for a slow consumer), `close` once every entry has been written.
 */
export class TarWriter {
  readonly readable: ReadableStream<Uint8Array>;
  #queue: Pending[] = [];
  #current: Pending | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  #failure: unknown;
  #ended = deferred();

  constructor() {
    this.readable = coalescedStream(archivePieces(this.#entries()), (e) => this.#fail(e));
  }

  async *#entries(): AsyncGenerator<TarWriteEntry> {
    for (;;) {
      if (this.#failure) return;
      this.#current = this.#queue.shift();
      if (this.#current) {
        yield this.#current.entry;
        this.#current.done.resolve();
        continue;
      }
      if (this.#closed) return this.#ended.resolve();
      await new Promise<void>((wake) => (this.#wake = wake));
    }
  }

  #fail(e: unknown): void {
    this.#failure ??= e;
    for (const pending of [this.#current, ...this.#queue.splice(0)]) pending?.done.reject(this.#failure);
    this.#ended.reject(this.#failure);
    this.#wake?.();
  }

  /** Queues an entry; resolves when the stream has written it (its body fully read). */
  add(entry: TarWriteEntry): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new LayerkitError('TAR_WRITER_CLOSED', `cannot add ${JSON.stringify(entry.name)}: the writer is closed`));
    const done = deferred();
    this.#queue.push({ entry, done });
    this.#wake?.();
    return done.promise;
  }

  /** No more entries: resolves when every queued entry has been written. */
  close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    return this.#ended.promise;
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Pending {
  entry: TarWriteEntry;
  done: Deferred;
}

function deferred(): Deferred {
  const d = {} as Deferred;
  d.promise = new Promise<void>((resolve, reject) => Object.assign(d, { resolve, reject }));
  d.promise.catch(() => {}); // a rejection nobody awaited is not unhandled; add/close return the same promise
  return d;
}
