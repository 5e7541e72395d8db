/**
 * What every test file starts with: the core loaded from the checked debug build (the runner
 * puts its bytes or Module in a global), and a way to skip with a printed reason.
 */
import * as assert from 'uvu/assert';
import { init, isLayerkitError } from '../src/mod.ts';
import { skipped } from './_queue.ts';

const g = globalThis as { __LAYERKIT_TEST_WASM__?: WebAssembly.Module | Uint8Array<ArrayBuffer> };

export const runtime: 'node' | 'deno' | 'bun' | 'workerd' =
  typeof (globalThis as any).Deno === 'object' ? 'deno'
  : typeof (globalThis as any).Bun === 'object' ? 'bun'
  : typeof navigator === 'object' && navigator.userAgent === 'Cloudflare-Workers' ? 'workerd'
  : 'node';

export const ready = () => init(g.__LAYERKIT_TEST_WASM__);

/** Records a test that cannot run here, with the reason; the runner prints and counts it. */
export function skip(name: string, reason: string): void {
  skipped.push(`${name} [${runtime}]: ${reason}`);
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function randomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A deterministic generator of integers in [0, n). */
export function randomInts(seed = 7): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

/** Splits `data` at random points (deterministic for a seed). */
export function randomSplits(data: Uint8Array, seed: number): Uint8Array[] {
  const next = randomInts(seed);
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; ) {
    const n = 1 + next(Math.min(data.length - offset, 1 + next(3) * 700));
    parts.push(data.subarray(offset, offset + n));
    offset += n;
  }
  return parts;
}

/** Asserts that `promise` rejects with a LayerkitError carrying `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
    assert.unreachable(`expected ${code}`);
  } catch (e) {
    assert.ok(isLayerkitError(e), String(e));
    assert.is((e as { code: string }).code, code, (e as Error).message);
  }
}
