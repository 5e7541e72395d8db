/**
 * SHA-256 on the WebAssembly kernel. Each hasher owns one context in linear memory, taken from
 * a pool and returned by `digest()`, so hashing allocates nothing per chunk.
 *
 *   const h = new WasmSha256(core()); h.update(bytes); h.digest() // Uint8Array(32)
 */
import type { Core } from './wasm.ts';

const pools = new WeakMap<Core, number[]>();

function takeContext(core: Core): number {
  let pool = pools.get(core);
  if (!pool) pools.set(core, (pool = []));
  return pool.pop() ?? core.exports.alloc(Number(core.exports.SHA256_CONTEXT_SIZE.value) + 32);
}

export class WasmSha256 {
  #ctx: number;
  constructor(private readonly core: Core) {
    this.#ctx = takeContext(core);
    core.exports.sha256Init(this.#ctx);
  }

  update(data: Uint8Array): this {
    const { core } = this;
    if (this.#ctx < 0) throw new Error('sha256: update() after digest()');
    for (let offset = 0; offset < data.length; offset += core.inputSize) {
      const chunk = data.subarray(offset, offset + core.inputSize);
      core.exports.sha256Update(this.#ctx, core.stage(chunk), chunk.length);
    }
    return this;
  }

  /** The 32-byte digest; the hasher cannot be used afterwards. */
  digest(): Uint8Array {
    const { core } = this;
    const ctx = this.#ctx;
    if (ctx < 0) throw new Error('sha256: digest() called twice');
    const out = ctx + Number(core.exports.SHA256_CONTEXT_SIZE.value);
    core.exports.sha256Final(ctx, out);
    const result = core.bytes(out, 32).slice();
    pools.get(core)!.push(ctx);
    this.#ctx = -1;
    return result;
  }
}
