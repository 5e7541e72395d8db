// Compression on every runtime (workerd included): detection by magic, gzip round trips at random
// split points, the gzip member/trailing-data rules on whichever engine this runtime gets, zstd
// frames built by hand from RFC 8878 (raw, RLE and skippable frames; windows over the cap), and
// bombs stopped by the output cap. The host tests check against the gzip and zstd commands.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  compressedStream, compressionOfMediaType, decompressedStream, detectCompression,
} from '../../src/mod.ts';
import { gunzipEngine, gunzipStream, gzipStream, pakoGunzip } from '../../src/compress/gzip.ts';
import { randomBytes, randomSplits, runtime, expectCode } from '../_setup.ts';

const streamOf = (parts: Uint8Array[]) => new ReadableStream<Uint8Array>({ start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); } });
const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());
const join = (...xs: Uint8Array[]) => { const o = new Uint8Array(xs.reduce((n, x) => n + x.length, 0)); let i = 0; for (const x of xs) o.set(x, i), (i += x.length); return o; };
const gzip = (data: Uint8Array) => bytesOf(gzipStream(streamOf([data])));
const plain = async (data: Uint8Array, parts?: Uint8Array[], options = {}) => bytesOf((await decompressedStream(streamOf(parts ?? [data]), options)).stream);

test('detectCompression reads magic bytes; media types name what they claim', () => {
  assert.is(detectCompression(Uint8Array.of(0x1f, 0x8b, 8, 0)), 'gzip');
  assert.is(detectCompression(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd)), 'zstd');
  assert.is(detectCompression(Uint8Array.of(0x75, 0x73, 0x74, 0x61)), 'none');
  assert.is(detectCompression(new Uint8Array(0)), 'none');
  assert.is(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+gzip'), 'gzip');
  assert.is(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
  assert.is(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
  assert.is(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar'), 'none');
});

test('a media type that disagrees with the magic is reported, and the magic wins', async () => {
  const data = randomBytes(1000, 3);
  const d = await decompressedStream(streamOf([await gzip(data)]), { expected: 'zstd' });
  assert.equal(d.mismatch, { expected: 'zstd', detected: 'gzip' });
  assert.equal(await bytesOf(d.stream), data);
  const ok = await decompressedStream(streamOf([data]), { expected: 'none' });
  assert.is(ok.mismatch, undefined);
});

test('gzip round trip at random split points, both engines', async () => {
  const data = join(randomBytes(200_000, 5), new Uint8Array(300_000), randomBytes(1000, 6));
  const gz = await gzip(data);
  for (const seed of [1, 2, 3]) assert.equal(await plain(gz, randomSplits(gz, seed)), data, `seed ${seed}`);
  assert.equal(await bytesOf(streamOf(randomSplits(gz, 4)).pipeThrough(pakoGunzip())), data, 'pako engine');
});

test(`gzip rules on this runtime's engine: members concatenated, byte by byte too`, async () => {
  const [a, b] = [await gzip(randomBytes(5000, 1)), await gzip(randomBytes(700, 2))];
  const want = join(randomBytes(5000, 1), randomBytes(700, 2));
  const two = join(a, b);
  assert.equal(await plain(two), want, `engine ${await gunzipEngine()}`);
  assert.equal(await plain(two, Array.from(two, (x) => Uint8Array.of(x))), want);
  assert.equal(await plain(two, [a, b]), want, 'split at the member boundary');
});

test('100 000 empty gzip members decode to nothing, iteratively', async () => {
  const empty = await gzip(new Uint8Array(0));
  const many = new Uint8Array(empty.length * 100_000);
  for (let i = 0; i < 100_000; i++) many.set(empty, i * empty.length);
  assert.is((await plain(many, randomSplits(many, 3))).length, 0);
});

const BROKEN: [string, (gz: Uint8Array) => Uint8Array][] = [
  ['trailing garbage', (gz) => join(gz, new TextEncoder().encode('garbage after the member'))],
  ['one trailing byte', (gz) => join(gz, Uint8Array.of(0x41))],
  ['NUL padding', (gz) => join(gz, new Uint8Array(512))],
  ['NUL then garbage', (gz) => join(gz, Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))],
  ['a truncated trailer', (gz) => gz.subarray(0, gz.length - 3)],
  ['a truncated body', (gz) => gz.subarray(0, gz.length >> 1)],
  ['a bad CRC', (gz) => { const x = gz.slice(); x[x.length - 8]! ^= 1; return x; }],
  ['a bad length', (gz) => { const x = gz.slice(); x[x.length - 1]! ^= 1; return x; }],
  ['a second member cut short', (gz) => join(gz, gz.subarray(0, 12))],
];
for (const [why, mangle] of BROKEN) {
  test(`gzip with ${why} is DECOMPRESS_CORRUPT, whole and in odd slices`, async () => {
    const bad = mangle(await gzip(randomBytes(20_000, 9)));
    await expectCode(plain(bad), 'DECOMPRESS_CORRUPT');
    await expectCode(plain(bad, randomSplits(bad, 7)), 'DECOMPRESS_CORRUPT');
    await expectCode(bytesOf(await gunzipStream(streamOf(randomSplits(bad, 8)), 'pako')), 'DECOMPRESS_CORRUPT');
  });
}

test('a gzip bomb stops at the output cap with DECOMPRESS_LIMIT, having read little of it', async () => {
  const zeros = new Uint8Array(1 << 20);
  let pulled = 0;
  const member = await gzip(join(...Array(32).fill(zeros))); // 32 MiB of zeros, ~32 KiB compressed
  const bomb = join(...Array(16).fill(member)); // 512 MiB from ~512 KiB, in 16 members
  const source = new ReadableStream<Uint8Array>({
    pull(c) { if (pulled >= bomb.length) return c.close(); c.enqueue(bomb.subarray(pulled, pulled + 1024)); pulled += 1024; },
  }, { highWaterMark: 0 });
  const d = await decompressedStream(source, { maxBytes: 4 << 20 });
  await expectCode(bytesOf(d.stream), 'DECOMPRESS_LIMIT');
  assert.ok(pulled < bomb.length / 4, `stopped after ${pulled} of ${bomb.length} compressed bytes`);
});

// --- zstd frames built by hand (RFC 8878): magic, descriptor, window, blocks ----------------------
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const block = (last: boolean, type: number, size: number, body: number[]) => {
  const h = (size << 3) | (type << 1) | (last ? 1 : 0);
  return [h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, ...body];
};
/** A frame (no checksum, window descriptor byte `window`) of the given blocks. */
const frame = (window: number, ...blocks: number[][]) => [...MAGIC, 0x00, window, ...blocks.flat()];
const rawFrame = (text: string) => frame(0x00, block(true, 0, text.length, [...new TextEncoder().encode(text)]));
const rle = (byte: number, size: number, last: boolean) => block(last, 1, size, [byte]);
const skippable = (n: number) => [0x50, 0x2a, 0x4d, 0x18, n & 0xff, 0, 0, 0, ...new Array(n).fill(7)];

test('zstd: raw, RLE, multiple and skippable frames decode, byte by byte too', async () => {
  const bytes = Uint8Array.from([...rawFrame('hello '), ...skippable(5), ...frame(0x00, rle(0x61, 3, false), rle(0x62, 2, true)), ...rawFrame('!')]);
  assert.is(new TextDecoder().decode(await plain(bytes)), 'hello aaabb!');
  assert.is(new TextDecoder().decode(await plain(bytes, Array.from(bytes, (x) => Uint8Array.of(x)))), 'hello aaabb!');
});

test('zstd: a frame asking for a 2 GiB window is DECOMPRESS_LIMIT before anything is allocated', async () => {
  const wide = Uint8Array.from(frame(21 << 3, rle(0, 10, true))); // window descriptor exponent 21 → 2^31
  await expectCode(plain(wide), 'DECOMPRESS_LIMIT');
  const singleSegment = Uint8Array.from([...MAGIC, 0xa0, 0, 0, 0, 0x80, ...rle(0, 10, true)]); // content size 2^31, no window byte
  await expectCode(plain(singleSegment), 'DECOMPRESS_LIMIT');
  const twoMiB = Uint8Array.from(frame(11 << 3, rle(0x7a, 10, true)));
  await expectCode(plain(twoMiB, undefined, { zstdMaxWindow: 2 ** 20 }), 'DECOMPRESS_LIMIT');
  assert.is((await plain(twoMiB, undefined, { zstdMaxWindow: 2 ** 21 })).length, 10, 'a cap at the window lets it through');
});

test('zstd: trailing data, truncation and reserved blocks are DECOMPRESS_CORRUPT', async () => {
  const good = rawFrame('data');
  for (const bad of [[...good, 1, 2, 3, 4, 5], good.slice(0, good.length - 2), frame(0x00, block(true, 3, 1, [0]))]) {
    await expectCode(plain(Uint8Array.from(bad)), 'DECOMPRESS_CORRUPT');
  }
});

test('a zstd bomb of RLE blocks stops at the output cap', async () => {
  const blocks: number[][] = [];
  for (let i = 0; i < 512; i++) blocks.push(rle(0, 128 * 1024, i === 511)); // 64 MiB from ~2 KiB
  const bomb = Uint8Array.from(frame(10 << 3, ...blocks));
  await expectCode(plain(bomb, randomSplits(bomb, 2), { maxBytes: 8 << 20 }), 'DECOMPRESS_LIMIT');
});

test('compressedStream: gzip round-trips; zstd writing is refused with UNSUPPORTED_COMPRESSION', async () => {
  const data = randomBytes(70_000, 12);
  assert.equal(await plain(await bytesOf(compressedStream(streamOf([data]), 'gzip'))), data);
  assert.equal(await bytesOf(compressedStream(streamOf([data]), 'none')), data);
  try {
    compressedStream(streamOf([data]), 'zstd');
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'UNSUPPORTED_COMPRESSION');
  }
});

test(`the gunzip engine here is known (${runtime})`, async () => {
  assert.ok(['native', 'host', 'pako'].includes(await gunzipEngine()));
});

test.run();
