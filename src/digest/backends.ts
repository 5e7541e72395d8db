/**
 * Where hashes are computed. The WebAssembly kernel works everywhere; a runtime entry may
 * register the runtime's native streaming hash (node:crypto on Node, Deno, Bun and workerd), which
 * `npm run bench -- sha256` measures at 7–9× the kernel on each of the four (SHA-NI; figures in
 * bench/results/sha256.json), so it is the default where present.
 * `LAYERKIT_SHA256=wasm|native` (read by the runtime entry) or `setSha256Backend` overrides.
 *
 *   const h = await createHasher('sha256'); h.update(bytes); formatDigest('sha256', h.digest())
 */
import { core } from '../core/wasm.ts';
import { WasmSha256 } from '../core/sha256.ts';
import { LayerkitError } from '../errors.ts';
import type { Algorithm } from './digest.ts';

export interface Hasher {
  update(data: Uint8Array): unknown;
  /** The raw digest; the hasher is finished afterwards. */
  digest(): Uint8Array;
}

export type Sha256Backend = 'wasm' | 'native';
export type NativeHashFactory = (algorithm: Algorithm) => Hasher;

let nativeHash: NativeHashFactory | undefined;
let sha256Backend: Sha256Backend | undefined;

/** Called by a runtime entry that has a native streaming hash. */
export function registerNativeHash(factory: NativeHashFactory): void {
  nativeHash = factory;
}

/** Chooses the sha256 backend for this process; `undefined` restores the measured default. */
export function setSha256Backend(backend: Sha256Backend | undefined): void {
  if (backend === 'native' && !nativeHash) {
    throw new LayerkitError('BACKEND_UNAVAILABLE', 'this runtime has no native sha256', { hint: 'use the wasm backend' });
  }
  sha256Backend = backend;
}

export function currentSha256Backend(): Sha256Backend {
  return sha256Backend ?? (nativeHash ? 'native' : 'wasm');
}

export function hasNativeHash(): boolean {
  return nativeHash !== undefined;
}

/** A streaming hasher for `algorithm`; sha256 on the chosen backend, sha512 native or hash-wasm. */
export async function createHasher(algorithm: Algorithm, backend?: Sha256Backend): Promise<Hasher> {
  if (algorithm === 'sha256') {
    const chosen = backend ?? currentSha256Backend();
    if (chosen === 'native') {
      if (!nativeHash) throw new LayerkitError('BACKEND_UNAVAILABLE', 'this runtime has no native sha256', { hint: 'use the wasm backend' });
      return nativeHash('sha256');
    }
    return new WasmSha256(core());
  }
  // hash-wasm compiles WebAssembly from bytes, which workerd forbids; the native hash works there.
  if (nativeHash) return nativeHash('sha512');
  const { createSHA512 } = await import('hash-wasm'); // loaded only here: a CLI start would pay for it
  const sha512 = await createSHA512();
  return { update: (data) => sha512.update(data), digest: () => sha512.digest('binary') };
}
