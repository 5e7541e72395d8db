/**
 * SHA-256 throughput: 256 MiB fed in 1 MiB chunks to the WASM kernel, hash-wasm and the
 * runtime's native streaming hash (node:crypto, as layerkit's `native` backend), and the same
 * 256 MiB as one buffer to WebCrypto (it has no streaming API). Runs on Node, Deno, Bun and
 * inside workerd; the figures decide the default sha256 backend (src/digest/backends.ts).
 *
 *   node --import tsx bench/sha256.bench.ts --runs 5     or     npm run bench -- sha256
 */
import { createSHA256 } from 'hash-wasm';
import { MiB, workload, type Case } from './_harness.ts';
import { core } from '../src/core/wasm.ts';
import { WasmSha256 } from '../src/core/sha256.ts';
import { createHasher, hasNativeHash, type Hasher } from '../src/digest/backends.ts';
import { init, toHex } from '../src/mod.ts';

const CHUNKS = 256;

/** Deterministic pseudo-random bytes (xorshift32), made here so workerd needs no input files. */
function pseudoRandom(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0, x = 0x9e3779b9; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x;
  }
  return out;
}

const stream = (make: () => Hasher | Promise<Hasher>, chunk: Uint8Array, chunks = CHUNKS) => async () => {
  const h = await make();
  for (let i = 0; i < chunks; i++) h.update(chunk);
  return toHex(h.digest());
};

export default workload(import.meta, {
  name: 'sha256',
  title: 'SHA-256 of 256 MiB: streamed in 1 MiB chunks (WebCrypto: one 256 MiB buffer, one-shot)',
  bytes: CHUNKS * MiB,
  runtimes: ['node', 'deno', 'bun', 'workerd'],
  ratio: ['kernel', 'hash-wasm'],
  async cases() {
    await init();
    const chunk = pseudoRandom(MiB);
    const whole = new Uint8Array(CHUNKS * MiB);
    for (let i = 0; i < CHUNKS; i++) whole.set(chunk, i * MiB);

    let hashWasm: Awaited<ReturnType<typeof createSHA256>> | undefined;
    let hashWasmError = '';
    try {
      hashWasm = await createSHA256();
    } catch (e) {
      hashWasmError = `hash-wasm cannot start here (${(e as Error).message.slice(0, 80)})`;
    }
    const hashWasmHasher = (): Hasher => {
      hashWasm!.init();
      return { update: (d) => hashWasm!.update(d), digest: () => hashWasm!.digest('binary') };
    };
    const webCrypto = async () => toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', whole)));
    const cases: Case[] = [
      { name: 'kernel', run: stream(() => new WasmSha256(core()), chunk), note: 'layerkit WASM' },
      { name: 'hash-wasm', run: stream(hashWasmHasher, chunk), skip: hashWasm ? undefined : hashWasmError },
      {
        name: 'node:crypto', run: stream(() => createHasher('sha256', 'native'), chunk), note: 'layerkit native backend',
        skip: hasNativeHash() ? undefined : 'no native hash registered on this runtime',
      },
      { name: 'WebCrypto', run: webCrypto, note: 'one-shot' },
    ];

    // Every backend must agree before any is timed (on 4 MiB, to keep set-up short).
    const answers = new Map<string, string>();
    for (const c of cases.filter((c) => !c.skip)) {
      const small = c.name === 'WebCrypto'
        ? toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', whole.subarray(0, 4 * MiB))))
        : await stream(c.name === 'kernel' ? () => new WasmSha256(core())
          : c.name === 'hash-wasm' ? hashWasmHasher : () => createHasher('sha256', 'native'), chunk, 4)();
      answers.set(c.name, small);
    }
    if (new Set(answers.values()).size !== 1) throw new Error(`sha256 backends disagree: ${JSON.stringify([...answers])}`);
    return cases;
  },
});
