/**
 * File contents by offset in a layer's uncompressed stream. A cursor keeps one stream open per
 * layer and moves forward through it; asking for an offset behind it re-opens the layer (tar
 * order is usually the order callers ask in, so a walk reads each layer about once).
 *
 *   const cursor = new LayerCursor(layer.uncompressed);
 *   for await (const chunk of cursor.read(index.dataOffset(i), index.size(i))) sink(chunk);
 */
import { LayerkitError } from '../errors.ts';
import type { Opener } from '../image/types.ts';

export class LayerCursor {
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #position = 0;
  #pending: Uint8Array | undefined;

  constructor(private readonly open: Opener) {}

  async #next(): Promise<Uint8Array | undefined> {
    if (this.#pending) {
      const chunk = this.#pending;
      this.#pending = undefined;
      return chunk;
    }
    const { done, value } = await this.#reader!.read();
    return done ? undefined : value;
  }

  /** The `length` bytes at `offset`, as chunks (views valid until the next call). */
  async *read(offset: number, length: number): AsyncGenerator<Uint8Array> {
    if (length === 0) return;
    if (!this.#reader || offset < this.#position) {
      await this.close();
      this.#reader = (await this.open()).getReader();
      this.#position = 0;
    }
    let left = length;
    while (left > 0 || this.#position < offset) {
      const chunk = await this.#next();
      if (!chunk) throw new LayerkitError('LAYER_TRUNCATED', `a layer ended before byte ${offset + length} (at ${this.#position})`, { hint: 'the blob is shorter than its index says; re-pull it' });
      const start = this.#position;
      const end = start + chunk.length;
      this.#position = end;
      if (end <= offset) continue;
      const from = Math.max(0, offset - start);
      const to = Math.min(chunk.length, from + left);
      if (to < chunk.length) {
        this.#pending = chunk.subarray(to);
        this.#position = start + to;
      }
      left -= to - from;
      yield chunk.subarray(from, to);
      if (left === 0) break;
    }
  }

  /** The bytes at `offset` as one array. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let at = 0;
    for await (const chunk of this.read(offset, length)) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  async close(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    this.#pending = undefined;
    if (reader) await reader.cancel().catch(() => {});
  }
}
