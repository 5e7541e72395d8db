// Byte-stream plumbing: resumeBytes and borrowedChunks must hand over every byte in order, whether
// the consumer reads with its own buffer (BYOB) or takes chunks, whatever the buffer sizes, and
// decompressedStream must keep a byte source a byte stream (so a file is read into one buffer).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { borrowedChunks, byobReader, resumeBytes } from '../../src/streams.ts';
import { decompressedStream } from '../../src/compress/detect.ts';
import { verified } from '../../src/image/verify.ts';
import { digestBytes } from '../../src/digest/stream.ts';
import { randomBytes, randomInts } from '../_setup.ts';

/** A byte stream over `data` that fills BYOB requests (at most `most` bytes each) or enqueues copies. */
function byteSource(data: Uint8Array, most: number, counters = { pulls: 0, cancelled: false }) {
  let at = 0;
  const source: UnderlyingByteSource = {
    type: 'bytes',
    pull(controller) {
      counters.pulls++;
      const request = controller.byobRequest;
      if (at >= data.length) {
        controller.close();
        request?.respond(0);
        return;
      }
      if (request?.view) {
        const n = Math.min(most, request.view.byteLength, data.length - at);
        new Uint8Array(request.view.buffer, request.view.byteOffset, n).set(data.subarray(at, at + n));
        at += n;
        request.respond(n);
      } else {
        const n = Math.min(most, data.length - at);
        controller.enqueue(data.slice(at, at + n));
        at += n;
      }
    },
    cancel() {
      counters.cancelled = true;
    },
  };
  return new ReadableStream(source) as ReadableStream<Uint8Array>;
}

async function collect(stream: ReadableStream<Uint8Array>, chunkSize?: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of borrowedChunks(stream, chunkSize)) parts.push(chunk.slice());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

test('borrowedChunks reads a byte stream into one reused buffer, any sizes', async () => {
  const data = randomBytes(300_001, 3);
  const pick = randomInts(9);
  for (let round = 0; round < 20; round++) {
    const most = 1 + pick(70_000);
    const size = 1 + pick(90_000);
    assert.equal(await collect(byteSource(data, most), size), data, `most ${most}, size ${size}`);
  }
  // a plain (non-byte) stream: chunks as they come
  const plain = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(data.subarray(0, 5)); c.enqueue(data.subarray(5)); c.close(); } });
  assert.equal(await collect(plain), data);
});

test('borrowedChunks with a ring: a held chunk stays intact until let go, also when it comes back as another buffer', async () => {
  const data = randomBytes(200_003, 6);
  const pick = randomInts(12);
  for (const plainStream of [false, true]) {
    for (let round = 0; round < 10; round++) {
      const most = 1 + pick(30_000);
      const size = 1 + pick(40_000);
      const buffers = 2 + pick(4);
      // each chunk is held for a while, as a worker writing from it would; every other one is
      // "transferred" (the caller's buffer detached, the memory handed back as a new ArrayBuffer)
      const held: { chunk: Uint8Array; copy: Uint8Array }[] = [];
      let k = 0;
      const inUse = (chunk: Uint8Array) => {
        const { buffer, byteOffset, length } = chunk;
        const copy = chunk.slice();
        const transfer = k++ % 2 === 0;
        const back = transfer ? structuredClone(buffer as ArrayBuffer, { transfer: [buffer as ArrayBuffer] }) : (buffer as ArrayBuffer);
        const view = new Uint8Array(back, byteOffset, length);
        held.push({ chunk: view, copy });
        return new Promise<ArrayBuffer | void>((resolve) => setTimeout(() => {
          // nothing wrote into the buffer while it was held
          assert.equal(view, copy, 'a held chunk changed');
          resolve(transfer ? back : undefined);
        }, pick(3)));
      };
      const source = plainStream
        ? new ReadableStream<Uint8Array>({ start(c) { for (let at = 0; at < data.length; at += most) c.enqueue(data.slice(at, at + most)); c.close(); } })
        : byteSource(data, most);
      const parts: Uint8Array[] = [];
      for await (const chunk of borrowedChunks(source, size, { buffers, inUse })) parts.push(chunk.slice());
      const out = new Uint8Array(data.length);
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      assert.is(at, data.length);
      assert.equal(out, data, `${plainStream ? 'plain' : 'byte'} stream, most ${most}, size ${size}, ${buffers} buffers`);
      assert.ok(held.length === parts.length, 'every chunk was offered to inUse');
    }
  }
});

test('borrowedChunks: a caller that stops early (a read still under way) can then cancel the stream', async () => {
  const counters = { pulls: 0, cancelled: false };
  const stream = byteSource(randomBytes(500_000, 2), 10_000, counters);
  let seen = 0;
  for await (const chunk of borrowedChunks(stream, 4096)) {
    seen += chunk.length;
    if (seen > 20_000) break;
  }
  assert.ok(!stream.locked, 'the lock is released');
  await stream.cancel('done');
  assert.ok(counters.cancelled);
  // and when the caller throws
  const again = byteSource(randomBytes(50_000, 2), 1_000);
  try {
    for await (const _ of borrowedChunks(again)) throw new Error('stop');
  } catch (error) {
    assert.is((error as Error).message, 'stop');
  }
  assert.ok(!again.locked);
});

test('resumeBytes serves the first chunk, then the source, to BYOB and default readers alike', async () => {
  const data = randomBytes(200_000, 5);
  const pick = randomInts(4);
  for (let round = 0; round < 20; round++) {
    const split = pick(data.length + 1);
    const source = byteSource(data.subarray(split), 1 + pick(50_000));
    const resumed = resumeBytes(byobReader(source)!, data.slice(0, split));
    if (round % 2) assert.equal(await collect(resumed, 1 + pick(80_000)), data, `byob, split ${split}`);
    else {
      const parts: Uint8Array[] = [];
      const reader = resumed.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
      assert.equal(Uint8Array.from(parts.flatMap((p) => [...p])), data, `default reader, split ${split}`);
    }
  }
});

test('resumeBytes passes a cancel on to the source', async () => {
  const counters = { pulls: 0, cancelled: false };
  const resumed = resumeBytes(byobReader(byteSource(randomBytes(10_000, 1), 100, counters))!);
  const reader = resumed.getReader({ mode: 'byob' });
  await reader.read(new Uint8Array(64));
  await reader.cancel('enough');
  assert.ok(counters.cancelled);
});

test('verified() over a byte source: the bytes when they match, a typed error when not, for BYOB and default readers', async () => {
  const data = randomBytes(300_000, 12);
  const digest = await digestBytes(data);
  const codeOf = async (stream: ReadableStream<Uint8Array>, byob: boolean) => {
    try {
      if (byob) return await collect(stream, 50_000);
      const parts: Uint8Array[] = [];
      const reader = stream.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value.slice());
      return Uint8Array.from(parts.flatMap((p) => [...p]));
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };
  const flipped = data.slice();
  flipped[123_456]! ^= 1;
  for (const byob of [true, false]) {
    assert.equal(await codeOf(verified(byteSource(data, 20_000), digest, data.length), byob), data);
    assert.is(await codeOf(verified(byteSource(flipped, 20_000), digest, data.length), byob), 'DIGEST_MISMATCH');
    assert.is(await codeOf(verified(byteSource(data.subarray(1), 20_000), digest, data.length), byob), 'SIZE_MISMATCH');
    assert.is(await codeOf(verified(byteSource(data, 20_000), digest, data.length - 1), byob), 'SIZE_MISMATCH');
  }
});

test('decompressedStream keeps an uncompressed byte source a byte stream, with every byte', async () => {
  const data = randomBytes(100_000, 8);
  const { compression, stream } = await decompressedStream(byteSource(data, 7_000));
  assert.is(compression, 'none');
  assert.ok(byobReader(stream), 'a byte stream');
});

test('decompressedStream of an empty byte source: none, and no bytes', async () => {
  const { compression, stream } = await decompressedStream(byteSource(new Uint8Array(0), 10));
  assert.is(compression, 'none');
  assert.is((await collect(stream)).length, 0);
});

test('decompressedStream of a byte source: the same bytes for none and gzip', async () => {
  const data = randomBytes(100_000, 8);
  const plain = await decompressedStream(byteSource(data, 3_000));
  assert.equal(await collect(plain.stream, 10_000), data);
  const gz = new Uint8Array(await new Response(new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
  const unzipped = await decompressedStream(byteSource(gz, 2_000));
  assert.is(unzipped.compression, 'gzip');
  assert.equal(await collect(unzipped.stream), data);
});

test.run();
