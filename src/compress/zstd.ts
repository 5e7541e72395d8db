/**
 * zstd decompression as a stream, by fzstd (pure JavaScript, so it runs on workerd, which refuses
 * to compile WebAssembly from bytes). fzstd allocates each frame's whole window up front, so a
 * frame scanner here reads every frame header first and refuses windows over the cap
 * (DECOMPRESS_LIMIT) before fzstd sees the bytes. It also walks block headers, so bytes after the
 * last frame that are not a frame are DECOMPRESS_CORRUPT, like truncation and bad block types.
 *
 * Why fzstd (bench/zstd.bench.ts, 32 MiB, loaded 2-core machine, 2026-11): zstddec (WASM) was
 * 3-5x faster (138-169 MB/s against 31-46 MB/s streamed) but fails on workerd ("Wasm code
 * generation disallowed by embedder") and only decodes whole buffers, which breaks bounded memory.
 *
 *   const plain = source.pipeThrough(zstdDecompress({ zstdMaxWindow: 2 ** 27 }));
 */
import { Decompress } from 'fzstd';
import { LayerkitError } from '../errors.ts';
import { DEFAULT_ZSTD_MAX_WINDOW, limitError, type DecompressLimits } from './limits.ts';

const ZSTD_MAGIC = 0xfd2fb528;
const corrupt = (why: string) => new LayerkitError('DECOMPRESS_CORRUPT', `zstd: ${why}`, {
  hint: 'the zstd data is truncated, damaged, or followed by bytes that are not zstd',
});

type ScanState = 'magic' | 'frameHeader' | 'block' | 'checksum' | 'skippableSize';

/** Reads frame and block headers as bytes stream past, without decoding any block. */
export class ZstdFrameScanner {
  #need = 4; // bytes wanted before the next decision
  #held: number[] = [];
  #skip = 0; // content bytes to pass over
  #state: ScanState = 'magic';
  #checksum = false;
  #frames = 0;

  constructor(readonly maxWindow: number) {}

  /** Checks `chunk`; throws DECOMPRESS_LIMIT or DECOMPRESS_CORRUPT on what it must not pass. */
  scan(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(this.#need - this.#held.length, chunk.length - at);
      for (let i = 0; i < n; i++) this.#held.push(chunk[at + i]!);
      at += n;
      if (this.#held.length === this.#need) this.#step();
    }
  }

  /** At end of input: a frame must not be cut off, and there must have been one. */
  finish(): void {
    if (this.#state !== 'magic' || this.#held.length > 0 || this.#skip > 0) throw corrupt('unexpected end of data inside a frame');
    if (this.#frames === 0) throw corrupt('no frame');
  }

  #take(need: number, state: ScanState): void {
    this.#held = [];
    this.#need = need;
    this.#state = state;
  }

  #step(): void {
    const h = this.#held;
    const u32 = (i: number) => (h[i]! | (h[i + 1]! << 8) | (h[i + 2]! << 16) | (h[i + 3]! << 24)) >>> 0;
    switch (this.#state) {
      case 'magic': {
        const magic = u32(0);
        if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) return this.#take(4, 'skippableSize');
        if (magic !== ZSTD_MAGIC) throw corrupt(this.#frames ? 'trailing data after the last frame' : 'bad magic');
        return this.#take(1, 'frameHeader');
      }
      case 'skippableSize': {
        this.#skip = u32(0);
        this.#frames++;
        return this.#take(4, 'magic');
      }
      case 'frameHeader': return this.#frameHeader();
      case 'block': {
        const header = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        const [last, type, size] = [header & 1, (header >> 1) & 3, header >>> 3];
        if (type === 3) throw corrupt('reserved block type');
        this.#skip = type === 1 ? 1 : size;
        if (!last) return this.#take(3, 'block');
        this.#frames++;
        return this.#checksum ? this.#take(4, 'checksum') : this.#take(4, 'magic');
      }
      case 'checksum': return this.#take(4, 'magic');
    }
  }

  #frameHeader(): void {
    const h = this.#held;
    const descriptor = h[0]!;
    const singleSegment = (descriptor >> 5) & 1;
    const fcsFlag = descriptor >> 6;
    const dictBytes = [0, 1, 2, 4][descriptor & 3]!;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    const length = 1 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
    if (h.length < length) {
      this.#need = length; // read the rest of the header, then come back
      return;
    }
    if (descriptor & 8) throw corrupt('reserved bit set in a frame header');
    this.#checksum = ((descriptor >> 2) & 1) === 1;
    let window: number;
    if (singleSegment) {
      let fcs = 0;
      for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + h[1 + dictBytes + i]!;
      window = fcsBytes === 2 ? fcs + 256 : fcs;
    } else {
      const exponent = h[1]! >> 3;
      const base = 2 ** (10 + exponent);
      window = base + (base / 8) * (h[1]! & 7);
    }
    if (window > this.maxWindow) {
      throw limitError(`a zstd frame's window (${window} bytes)`, this.maxWindow, 'raise zstdMaxWindow if this data is trusted (zstd -d needs --memory= for the same)');
    }
    this.#take(3, 'block');
  }
}

/**
 * fzstd decodes every block a push completes before it returns, so one 1 MiB chunk of a zstd bomb
 * would come out as gigabytes at once. Input goes in slices this small instead (a 3-byte block
 * header plus one RLE byte can stand for 128 KiB, so ≤ 16 MiB comes out of one slice), and only
 * when the consumer pulls: memory stays bounded whatever the ratio.
 */
const SLICE = 512;

/** zstd → bytes, checked by ZstdFrameScanner first; errors are DECOMPRESS_CORRUPT or DECOMPRESS_LIMIT. */
export function zstdDecompress(limits: DecompressLimits = {}): ReadableWritablePair<Uint8Array, Uint8Array> {
  const scanner = new ZstdFrameScanner(limits.zstdMaxWindow ?? DEFAULT_ZSTD_MAX_WINDOW);
  const decoded: Uint8Array[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) decoded.push(data); // fzstd hands over a fresh array per block
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      decoder.push(chunk, final);
    } catch (e) {
      throw corrupt((e as Error).message);
    }
  };
  const input = new TransformStream<Uint8Array, Uint8Array>();
  const source = input.readable.getReader();
  let pending: Uint8Array = new Uint8Array(0);
  let at = 0;
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (decoded.length === 0 && !ended) {
        if (at < pending.length) {
          push(pending.subarray(at, at + SLICE), false);
          at += SLICE;
          continue;
        }
        const { done, value } = await source.read();
        if (done) {
          scanner.finish();
          push(new Uint8Array(0), true);
          ended = true;
        } else {
          scanner.scan(value);
          pending = value;
          at = 0;
        }
      }
      for (const block of decoded.splice(0)) controller.enqueue(block);
      if (ended && decoded.length === 0) controller.close();
    },
    cancel: (reason) => source.cancel(reason),
  }, { highWaterMark: 0 });
  return { writable: input.writable, readable };
}
