// The WASM SHA-256 kernel against NIST's vectors, node:crypto and hash-wasm; whole, byte by byte
// and at random split points, because a streaming hash is only as good as its seams.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createSHA256 } from 'hash-wasm';
import { toHex } from '../../src/mod.ts';
import { WasmSha256 } from '../../src/core/sha256.ts';
import { core } from '../../src/core/wasm.ts';
import { randomBytes, randomInts, randomSplits, ready, runtime, skip } from '../_setup.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
const wasmHex = (parts: Uint8Array[]) => {
  const h = new WasmSha256(core());
  for (const p of parts) h.update(p);
  return toHex(h.digest());
};
const nodeHex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

test.before(async () => void (await ready()));

// FIPS 180-4 examples and the NIST CAVS short/long message vectors.
const NIST: [string, Uint8Array, string][] = [
  ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['448 bits', ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ['896 bits', ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'), 'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1'],
  ['one byte 0xbd', new Uint8Array([0xbd]), '68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b'],
  ['four bytes c98c8e55', new Uint8Array([0xc9, 0x8c, 0x8e, 0x55]), '7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504'],
  ['million a', new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
];

for (const [name, data, expected] of NIST) {
  test(`NIST vector: ${name}`, () => {
    assert.is(wasmHex([data]), expected);
    assert.is(wasmHex(data.length < 5000 ? Array.from(data, (b) => new Uint8Array([b])) : randomSplits(data, 3)), expected);
  });
}

test('every length 0..4096 equals node:crypto, whole and in two random pieces', () => {
  const data = randomBytes(4097, 11);
  const next = randomInts(5);
  for (let n = 0; n <= 4096; n++) {
    const slice = data.subarray(0, n);
    const expected = nodeHex(slice);
    assert.is(wasmHex([slice]), expected, `length ${n}`);
    const cut = next(n + 1);
    assert.is(wasmHex([slice.subarray(0, cut), slice.subarray(cut)]), expected, `length ${n} cut at ${cut}`);
  }
});

test('byte by byte and at random split points over lengths near block edges', () => {
  for (const n of [55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4095]) {
    const data = randomBytes(n, n);
    const expected = nodeHex(data);
    assert.is(wasmHex(Array.from(data, (b) => new Uint8Array([b]))), expected, `byte by byte, length ${n}`);
    for (let seed = 1; seed <= 20; seed++) assert.is(wasmHex(randomSplits(data, seed)), expected, `length ${n} seed ${seed}`);
  }
});

test('a few MiB, whole, at random splits and over the staging size, equal node:crypto', () => {
  const data = randomBytes(3 * (1 << 20) + 12345, 99);
  const expected = nodeHex(data);
  assert.is(wasmHex([data]), expected);
  assert.is(wasmHex(randomSplits(data, 42)), expected);
  const unaligned = [data.subarray(0, 1), data.subarray(1, 65537), data.subarray(65537)];
  assert.is(wasmHex(unaligned), expected);
});

if (runtime === 'workerd') {
  skip('sha256 equals hash-wasm', 'hash-wasm compiles WebAssembly from bytes, which workerd forbids');
} else {
  test('random lengths equal hash-wasm', async () => {
    const next = randomInts(17);
    for (let i = 0; i < 200; i++) {
      const data = randomBytes(next(70000), i + 1);
      const reference = await createSHA256();
      reference.update(data);
      assert.is(wasmHex(randomSplits(data, i + 1)), reference.digest('hex'));
    }
  });
}

test('many concurrent hashers keep their own state', () => {
  const inputs = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i * 37, i + 1));
  const hashers = inputs.map(() => new WasmSha256(core()));
  for (let offset = 0; offset < 3000; offset += 97) inputs.forEach((d, i) => hashers[i]!.update(d.subarray(offset, offset + 97)));
  inputs.forEach((d, i) => assert.is(toHex(hashers[i]!.digest()), nodeHex(d)));
});

test('memory does not grow over thousands of hashes', () => {
  const memory = core().exports.memory;
  new WasmSha256(core()).update(randomBytes(100)).digest();
  const pages = memory.buffer.byteLength;
  for (let i = 0; i < 5000; i++) new WasmSha256(core()).update(randomBytes(200, i + 1)).digest();
  assert.is(memory.buffer.byteLength, pages);
});

test('a finished hasher refuses more input', () => {
  const h = new WasmSha256(core());
  h.digest();
  assert.throws(() => h.update(new Uint8Array(1)));
  assert.throws(() => h.digest());
});

test.run();
