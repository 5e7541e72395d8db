/**
 * Binding of the tar reader kernel (assembly/tar.ts). A parser owns a context and a private 1 MiB
 * input buffer in linear memory (not the shared staging area, so hashing between events cannot
 * overwrite bytes the parser has not consumed yet) and an entry table (assembly/entries.ts).
 *
 *   const p = new TarParser(core(), { index: true, sha256Files: true });
 *   for await (const chunk of stream) p.feed(chunk);   // index mode: runs whole chunks in WASM
 *   const { diffID, size } = p.finish();  p.index      // a LayerIndex of every entry
 */
import { LayerkitError } from '../errors.ts';
import { LayerIndex } from './layer-index.ts';
import { TarError, type TarErrorCode } from './tar-errors.ts';
import type { Core } from './wasm.ts';

/** What a kernel call stopped at. */
export const TarEvent = { NeedInput: 0, Entry: 1, Data: 2, End: 3, Error: 4 } as const;
export type TarEvent = (typeof TarEvent)[keyof typeof TarEvent];

// Result fields at the start of the kernel context (assembly/tar.ts S_*).
const S = { event: 0, dataPtr: 4, dataLen: 8, errorCode: 12, errorPhase: 16, errorEntry: 20, errorOffset: 24, streamPos: 32, table: 40, buffer: 44, digest: 48 } as const;
const FLAG_INDEX = 1, FLAG_HASH_FILES = 2, FLAG_HASH_STREAM = 4;

/** Kernel error numbers (assembly/tar.ts ERR_*) to stable codes. */
const ERROR_CODES: TarErrorCode[] = [
  'TAR_BAD_HEADER', 'TAR_BAD_CHECKSUM', 'TAR_BAD_HEADER', 'TAR_BAD_PAX', 'TAR_BAD_SPARSE',
  'TAR_FIELD_TOO_LONG', 'TAR_NEGATIVE_SIZE', 'TAR_TRUNCATED', 'TAR_TOO_MANY_ENTRIES',
];
const ERROR_TEXT = [
  'invalid tar header', 'invalid tar header checksum', 'invalid tar header: a zero block followed by data',
  'invalid pax extended header', 'invalid GNU sparse map', 'tar header field too long (over 1 MiB)',
  'negative tar entry size', 'unexpected end of the tar stream', 'too many entries for one index',
];

export interface TarParserOptions {
  /** Index mode: keep every entry in the table and skip contents inside WASM (no data events). */
  index?: boolean;
  /** Hash each regular file's logical content (index mode). */
  sha256Files?: boolean;
  /** Hash the whole stream (the diffID); on by default. */
  hashStream?: boolean;
}

// Contexts (each with a 1 MiB buffer) are pooled per core: the stub allocator cannot reuse freed
// memory that is not on top of its heap, so a context is reset and reused, never freed.
const pools = new WeakMap<Core, number[]>();

/** Bytes fed at a time by a parser that steps over data: a header, or a few small entries, per kernel call. */
const SKIPPING_STEP = 8 * 1024;

export class TarParser {
  readonly ctx: number;
  readonly bufferSize: number;
  #index: LayerIndex;
  #flags: number;
  /** An index that hashes nothing: feed() steps over entries' data (see there). */
  readonly #skipsData: boolean;
  #finished = false;
  #disposed = false;

  constructor(readonly core: Core, options: TarParserOptions = {}) {
    this.#flags = (options.index ? FLAG_INDEX : 0) | (options.sha256Files ? FLAG_HASH_FILES : 0) | (options.hashStream === false ? 0 : FLAG_HASH_STREAM);
    let pool = pools.get(core);
    if (!pool) pools.set(core, (pool = []));
    const reused = pool.pop();
    if (reused === undefined) this.ctx = core.exports.tarCreate(this.#flags);
    else {
      this.ctx = reused;
      core.exports.tarReset(reused, this.#flags, 1);
    }
    this.bufferSize = Number(core.exports.TAR_BUFFER_SIZE.value);
    this.#skipsData = this.#flags === FLAG_INDEX;
    this.#index = new LayerIndex(core, this.field(S.table));
  }

  /** The entries read so far (index mode), or the current entry at 0 (streaming). Owned by the caller. */
  get index(): LayerIndex {
    return this.#index;
  }

  /** Starts over on a new stream with the same table, emptied (for tests and benchmarks that parse many archives). */
  reset(): void {
    this.core.exports.tarReset(this.ctx, this.#flags, 0);
    this.#index = new LayerIndex(this.core, this.field(S.table));
    this.#finished = false;
  }

  private field(offset: number): number {
    return new DataView(this.core.exports.memory.buffer).getUint32(this.ctx + offset, true);
  }

  /** Copies up to bufferSize bytes of `bytes` into the parser's buffer and runs the kernel; see step(). */
  load(bytes: Uint8Array): TarEvent {
    this.core.bytes(this.bufferPtr, bytes.length).set(bytes);
    return this.call(bytes.length);
  }

  /** Continues over bytes already loaded; NeedInput once they are all consumed. */
  step(): TarEvent {
    return this.call(0);
  }

  // A trap can only be memory exhaustion (the kernel checks everything else): say so, typed.
  private call(loaded: number): TarEvent {
    try {
      return this.core.exports.tarFeed(this.ctx, loaded) as TarEvent;
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      throw new LayerkitError('WASM_OUT_OF_MEMORY', 'the tar index no longer fits in WebAssembly memory', {
        hint: 'the archive has too many entries or too long names for one index', cause: error,
      });
    }
  }

  /**
   * Index mode: runs the kernel over a whole chunk; throws the TarError if the archive is bad.
   * Returns true at the end of the archive. A parser that only indexes (no file digests, no
   * stream hash) never reads entries' data, so it steps over it (skipData) instead of copying it
   * into the kernel: only headers and small entries' bytes go in, a few KiB at a time (unpack
   * writes 200 MB of bodies from the chunk itself, none of which the parse needs).
   */
  feed(chunk: Uint8Array): boolean {
    let ended = false;
    const step = this.#skipsData ? Math.min(this.bufferSize, SKIPPING_STEP) : this.bufferSize;
    for (let offset = 0; offset < chunk.length; ) {
      if (this.#skipsData) offset += this.skipData(chunk.length - offset);
      if (offset >= chunk.length) break;
      const slice = chunk.subarray(offset, offset + step);
      this.core.bytes(this.bufferPtr, slice.length).set(slice);
      // After the end the kernel still hashes what follows: the diffID covers trailing bytes.
      if (this.feedLoaded(slice.length)) ended = true;
      offset += slice.length;
    }
    return ended;
  }

  /**
   * Skips up to `max` bytes of the current entry's data unread, so a seekable source can jump
   * ahead instead of reading them: only between chunks, in an entry's data, when nothing is being
   * hashed (no diffID, no file digests). Returns how many bytes the source must skip.
   */
  skipData(max: number): number {
    return this.core.exports.tarSkipData(this.ctx, max);
  }

  /** Runs the kernel over `length` bytes already written at `bufferPtr`; see feed(). */
  feedLoaded(length: number): boolean {
    let event = this.call(length);
    while (event === TarEvent.Entry || event === TarEvent.Data) event = this.step();
    if (event === TarEvent.Error) throw this.error();
    return event === TarEvent.End;
  }

  /** Where the parser's buffer is (bufferSize bytes): a source may read straight into it. */
  get bufferPtr(): number {
    return this.field(S.buffer);
  }

  /** Says the stream ended: End, or Error when it ended inside a header or an entry's data. */
  end(): TarEvent {
    this.#finished = true;
    return this.core.exports.tarFinish(this.ctx) as TarEvent;
  }

  /** Ends the stream and returns the diffID and size; throws the TarError for a truncated archive. */
  finish(): { diffID: Uint8Array; size: number } {
    if (!this.#finished && this.end() === TarEvent.Error) throw this.error();
    return { diffID: this.digest(), size: this.streamPosition };
  }

  /** The sha256 of every byte fed so far (call after end()). */
  digest(): Uint8Array {
    return this.core.bytes(this.ctx + S.digest, 32).slice();
  }

  /** Bytes of the uncompressed stream consumed so far. */
  get streamPosition(): number {
    return Number(new DataView(this.core.exports.memory.buffer).getBigUint64(this.ctx + S.streamPos, true));
  }

  /** The bytes of the last Data event (a copy). */
  data(): Uint8Array {
    return this.core.bytes(this.field(S.dataPtr), this.field(S.dataLen)).slice();
  }

  /** The error the kernel stopped at, as a TarError. */
  error(): TarError {
    const n = this.field(S.errorCode);
    const offset = Number(new DataView(this.core.exports.memory.buffer).getBigUint64(this.ctx + S.errorOffset, true));
    const entry = this.field(S.errorEntry);
    const phase = this.field(S.errorPhase) === 1 ? 'data' : 'header';
    const what = phase === 'data' ? `reading the data of entry ${entry}` : `reading the header of entry ${entry}`;
    return new TarError(ERROR_CODES[n] ?? 'TAR_BAD_HEADER', `${ERROR_TEXT[n] ?? 'invalid tar'} (${what}, at byte ${offset})`, entry, phase, offset);
  }

  /** Returns the context to the pool; the index stays valid (free it separately). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    pools.get(this.core)!.push(this.ctx);
  }
}
