/**
 * TarReader: a tar stream in, entries out, each with a `readable` body (Deno std/tar's model).
 * Read or cancel each body before asking for the next entry; moving on without that discards the
 * rest of the body (reading it later fails). Compression is detected by magic bytes.
 *
 *   for await (const entry of new TarReader(file.stream())) {
 *     if (entry.type === 'file') console.log(entry.name, await new Response(entry.readable).text());
 *     else await entry.readable.cancel();
 *   }
 */
import { decompressedStream } from '../compress/detect.ts';
import { TarEvent, TarParser } from '../core/tar.ts';
import { TarError } from '../core/tar-errors.ts';
import type { SparseRegion, TarHeader } from '../core/tar-types.ts';
import { core } from '../core/wasm.ts';
import { releaseStream } from './release.ts';

/** One entry: its resolved header and its logical content (sparse files expanded with zeros). */
export interface TarEntry extends TarHeader {
  readonly readable: ReadableStream<Uint8Array>;
}

export interface TarReaderOptions {
  /** Detect gzip/zstd by magic bytes and decompress (default: on). */
  decompress?: boolean;
}

const HOLE_CHUNK = 1 << 16;

export class TarReader implements AsyncIterable<TarEntry> {
  #source: ReadableStream<Uint8Array>;
  #options: TarReaderOptions;
  #parser: TarParser | undefined;
  #input: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #pending: Uint8Array | undefined;
  #lookahead: TarEvent | undefined;
  #final: TarEvent | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #body: BodyState | undefined;
  #used = false;

  constructor(source: ReadableStream<Uint8Array>, options: TarReaderOptions = {}) {
    this.#source = source;
    this.#options = options;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TarEntry> {
    if (this.#used) throw new TypeError('a TarReader can be iterated once');
    this.#used = true;
    const stream = this.#options.decompress === false ? this.#source : (await decompressedStream(this.#source)).stream;
    this.#input = stream.getReader();
    const parser = (this.#parser = new TarParser(core(), { hashStream: false }));
    try {
      for (;;) {
        const event = await this.#serial(() => this.#nextHeader());
        if (event === TarEvent.End) return;
        if (event === TarEvent.Error) throw parser.error();
        const header = parser.index.header(0);
        const body = (this.#body = new BodyState(header));
        yield Object.assign(header, { readable: this.#bodyStream(body) });
      }
    } finally {
      if (this.#body) this.#body.abandoned = true;
      parser.index.free();
      parser.dispose();
      await releaseStream(this.#input);
    }
  }

  // Kernel calls and reads of the source happen one at a time, whoever asks (iterator or body).
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }

  // Skips what is left of the previous body, then returns Entry, End or Error.
  async #nextHeader(): Promise<TarEvent> {
    if (this.#body) this.#body.abandoned = true;
    for (;;) {
      const event = await this.#advance();
      if (event !== TarEvent.Data) return event;
    }
  }

  // The next event that is not NeedInput, reading the source as needed.
  async #advance(): Promise<TarEvent> {
    if (this.#lookahead !== undefined) {
      const event = this.#lookahead;
      this.#lookahead = undefined;
      return event;
    }
    if (this.#final !== undefined) return this.#final;
    const parser = this.#parser!;
    let event = parser.step();
    while (event === TarEvent.NeedInput) {
      if (this.#pending && this.#pending.length > 0) {
        const piece = this.#pending.subarray(0, parser.bufferSize);
        this.#pending = this.#pending.subarray(piece.length);
        event = parser.load(piece);
        continue;
      }
      const { done, value } = await this.#input!.read();
      if (done) event = parser.end();
      else this.#pending = value;
    }
    if (event === TarEvent.End || event === TarEvent.Error) this.#final = event;
    return event;
  }

  #bodyStream(body: BodyState): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: (controller) => this.#serial(async () => {
        if (body.abandoned) return controller.error(new TypeError('this entry\'s body was skipped: read it before asking for the next entry'));
        for (;;) {
          const out = body.take();
          if (out) return controller.enqueue(out);
          if (body.closed) return controller.close();
          const event = await this.#advance();
          if (event === TarEvent.Data) body.push(this.#parser!.data());
          else if (event === TarEvent.Error && this.#parser!.error().phase === 'data') {
            this.#lookahead = event;
            return controller.error(this.#parser!.error());
          } else {
            this.#lookahead = event;
            body.finish();
          }
        }
      }),
      cancel: () => {
        body.abandoned = true;
      },
    }, { highWaterMark: 0 });
  }
}

/** A body in flight: physical bytes in, logical bytes out (zeros for sparse holes). */
class BodyState {
  abandoned = false;
  closed = false;
  #out: (Uint8Array | number)[] = []; // a number is a run of zeros, made lazily (holes can be huge)
  #regions: SparseRegion[] | undefined;
  #region = 0;
  #logical = 0; // logical bytes emitted
  #regionUsed = 0; // bytes of the current region emitted
  #size: number;

  constructor(header: TarHeader) {
    this.#regions = header.sparse;
    this.#size = header.size;
  }

  push(physical: Uint8Array): void {
    if (!this.#regions) {
      if (physical.length > 0) this.#out.push(physical);
      return;
    }
    let at = 0;
    while (at < physical.length && this.#region < this.#regions.length) {
      const region = this.#regions[this.#region]!;
      this.#zerosTo(region.offset);
      const n = Math.min(region.length - this.#regionUsed, physical.length - at);
      if (n > 0) this.#out.push(physical.subarray(at, at + n));
      at += n;
      this.#logical += n;
      this.#regionUsed += n;
      if (this.#regionUsed === region.length) {
        this.#region++;
        this.#regionUsed = 0;
      }
    }
  }

  finish(): void {
    if (this.#regions) {
      // Regions of length zero, then the trailing hole.
      while (this.#region < this.#regions.length && this.#regions[this.#region]!.length === 0) this.#region++;
      this.#zerosTo(this.#size);
    }
    this.closed = true;
  }

  take(): Uint8Array | undefined {
    const next = this.#out[0];
    if (typeof next !== 'number') return this.#out.shift() as Uint8Array | undefined;
    const n = Math.min(HOLE_CHUNK, next);
    if (n === next) this.#out.shift();
    else this.#out[0] = next - n;
    return new Uint8Array(n);
  }

  #zerosTo(offset: number): void {
    if (this.#logical < offset) this.#out.push(offset - this.#logical);
    this.#logical = Math.max(this.#logical, offset);
  }
}

/** Reads every entry of a tar stream (a convenience over TarReader). */
export function readTar(source: ReadableStream<Uint8Array>, options?: TarReaderOptions): AsyncIterable<TarEntry> {
  return new TarReader(source, options);
}

export { TarError };
