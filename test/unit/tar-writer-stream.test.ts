// The streaming tar writer: determinism, bodies as bytes or streams (at random split points), size
// mismatches as typed errors, backpressure, cancellation, and the push-based TarWriter. Output is
// read back with a small ustar+pax reader written here from POSIX.1-2001 (the host tests use
// GNU tar, bsdtar and Python's tarfile as references we did not write).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TarWriter, tarStream, writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { randomBytes, randomSplits, expectCode } from '../_setup.ts';

const utf8 = new TextEncoder();
const text = new TextDecoder();

interface Parsed { name: string; typeflag: string; size: number; mode: number; uid: number; linkname: string; mtime: string; pax: Record<string, string>; content: Uint8Array }

/** A minimal reader: ustar headers, pax `x` records override path/linkpath/size/uid/mtime. */
function parseTar(tar: Uint8Array): Parsed[] {
  const out: Parsed[] = [];
  const str = (b: Uint8Array, at: number, w: number) => { const f = b.subarray(at, at + w); const n = f.indexOf(0); return text.decode(n < 0 ? f : f.subarray(0, n)); };
  const oct = (b: Uint8Array, at: number, w: number) => parseInt(str(b, at, w) || '0', 8);
  let pax: Record<string, string> = {};
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((x) => x === 0)) break;
    const typeflag = String.fromCharCode(h[156]!);
    const size = oct(h, 124, 12);
    const data = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (typeflag === 'x') {
      for (let i = 0; i < data.length; ) {
        const sp = data.indexOf(0x20, i);
        const len = Number(text.decode(data.subarray(i, sp)));
        const rec = text.decode(data.subarray(sp + 1, i + len - 1));
        const eq = rec.indexOf('=');
        pax[rec.slice(0, eq)] = rec.slice(eq + 1);
        i += len;
      }
      continue;
    }
    const prefix = str(h, 345, 155);
    const fileSize = pax.size !== undefined ? Number(pax.size) : size;
    out.push({
      name: pax.path ?? (prefix ? `${prefix}/` : '') + str(h, 0, 100), typeflag, size: fileSize, mode: oct(h, 100, 8),
      uid: pax.uid !== undefined ? Number(pax.uid) : oct(h, 108, 8), linkname: pax.linkpath ?? str(h, 157, 100),
      mtime: pax.mtime ?? String(oct(h, 136, 12)), pax, content: data.slice(),
    });
    pax = {};
  }
  return out;
}

const streamOf = (parts: Uint8Array[], onCancel?: () => void) => new ReadableStream<Uint8Array>({
  start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); },
  cancel: onCancel,
});

const SAMPLE = (): TarWriteEntry[] => [
  { name: 'etc/', type: 'dir', mode: 0o755, mtime: { sec: 1700000000, nsec: 0 } },
  { name: 'etc/motd', body: utf8.encode('hello\n'), mode: 0o644, uid: 1000, mtime: { sec: 1700000000, nsec: 250_000_000 } },
  { name: `${'deep/'.repeat(30)}file`, body: randomBytes(1500, 3) },
  { name: 'ünïcödé', body: randomBytes(512, 4), uid: 3_000_000 },
  { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
  { name: 'etc/motd.link', type: 'hardlink', linkname: 'etc/motd' },
  { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'run/fifo', type: 'fifo' },
];

test('same entries give the same bytes, block-aligned, ending in two zero blocks', async () => {
  const [a, b] = [await writeTar(SAMPLE()), await writeTar(SAMPLE())];
  assert.equal(a, b);
  assert.is(a.length % 512, 0);
  assert.ok(a.subarray(a.length - 1024).every((x) => x === 0));
});

test('an empty archive is exactly two zero blocks', async () => {
  assert.equal(await writeTar([]), new Uint8Array(1024));
});

test('what it writes reads back field for field', async () => {
  const parsed = parseTar(await writeTar(SAMPLE()));
  const input = SAMPLE();
  assert.equal(parsed.map((p) => p.name), input.map((e) => e.name));
  assert.equal(parsed.map((p) => p.typeflag), ['5', '0', '0', '0', '2', '1', '3', '6']);
  assert.equal(parsed[1]!.mtime, '1700000000.25');
  assert.is(parsed[3]!.uid, 3_000_000);
  assert.equal(parsed[4]!.linkname, '/bin/busybox');
  for (let i = 0; i < input.length; i++) {
    const body = input[i]!.body as Uint8Array | undefined;
    assert.equal(parsed[i]!.content, body ?? new Uint8Array(0), input[i]!.name);
  }
});

test('a streamed body at random split points writes the same bytes as the whole body', async () => {
  const content = randomBytes(300_000, 11);
  const whole = await writeTar([{ name: 'f', body: content }, { name: 'g', body: utf8.encode('x') }]);
  for (const seed of [1, 2, 3, 4, 5]) {
    const streamed = await writeTar([
      { name: 'f', size: content.length, body: streamOf(randomSplits(content, seed)) },
      { name: 'g', size: 1, body: streamOf([utf8.encode('x')]) },
    ]);
    assert.equal(streamed, whole, `seed ${seed}`);
  }
});

test('async iterables of entries are read lazily, as the consumer pulls', async () => {
  let produced = 0;
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    for (let i = 0; i < 1000; i++) {
      produced++;
      yield { name: `f${i}`, body: randomBytes(40_000, i + 1) };
    }
  }
  const reader = tarStream(entries()).getReader();
  await reader.read();
  await reader.read();
  assert.ok(produced < 10, `only a few entries produced after two reads (${produced})`);
  await reader.cancel();
});

test('a large body streams through in its own chunks, pulled only on demand', async () => {
  let pulls = 0;
  const chunk = randomBytes(1 << 20, 9);
  const body = new ReadableStream<Uint8Array>({ pull(c) { pulls++; c.enqueue(chunk); } }, { highWaterMark: 0 });
  const reader = tarStream([{ name: 'big', size: 64 << 20, body }]).getReader();
  let sawChunk = false;
  for (let i = 0; i < 5; i++) sawChunk ||= (await reader.read()).value === chunk;
  assert.ok(sawChunk, 'a 1 MiB chunk is passed on without a copy');
  assert.ok(pulls <= 6, `body pulled ${pulls} times for 5 reads`);
  await reader.cancel();
});

test('a body shorter than declared is TAR_SIZE_MISMATCH', async () => {
  await expectCode(writeTar([{ name: 'f', size: 10, body: streamOf([utf8.encode('short')]) }]), 'TAR_SIZE_MISMATCH');
  await expectCode(writeTar([{ name: 'f', size: 10, body: utf8.encode('short') }]), 'TAR_SIZE_MISMATCH');
  await expectCode(writeTar([{ name: 'f', size: 10 }]), 'TAR_SIZE_MISMATCH');
});

test('a body longer than declared is TAR_SIZE_MISMATCH, and the body stream is cancelled', async () => {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({ pull(c) { c.enqueue(randomBytes(100, 2)); } , cancel() { cancelled = true; } });
  await expectCode(writeTar([{ name: 'f', size: 250, body }]), 'TAR_SIZE_MISMATCH');
  assert.ok(cancelled);
});

test('a streamed body without a size, or content on a symlink, is TAR_ENTRY_INVALID', async () => {
  await expectCode(writeTar([{ name: 'f', body: streamOf([utf8.encode('x')]) }]), 'TAR_ENTRY_INVALID');
  await expectCode(writeTar([{ name: 'l', type: 'symlink', linkname: 't', body: new Uint8Array(0) }]), 'TAR_ENTRY_INVALID');
});

test('cancelling the tar stream cancels the body being written', async () => {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({ pull(c) { c.enqueue(randomBytes(70_000, 5)); }, cancel() { cancelled = true; } }, { highWaterMark: 0 });
  const reader = tarStream([{ name: 'f', size: 10 << 20, body }]).getReader();
  await reader.read();
  await reader.read();
  await reader.cancel('enough');
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(cancelled);
});

test('TarWriter: entries pushed while a consumer reads give the same bytes as writeTar', async () => {
  const writer = new TarWriter();
  const collected = new Response(writer.readable).arrayBuffer();
  for (const entry of SAMPLE()) await writer.add(entry);
  await writer.close();
  assert.equal(new Uint8Array(await collected), await writeTar(SAMPLE()));
});

test('TarWriter: add waits for the consumer (backpressure)', async () => {
  const writer = new TarWriter();
  let resolved = false;
  const first = writer.add({ name: 'a', body: randomBytes(200_000, 1) }).then(() => (resolved = true));
  const second = writer.add({ name: 'b', body: randomBytes(10, 1) });
  await new Promise((r) => setTimeout(r, 10));
  assert.not.ok(resolved, 'nothing was read, so the entry is not written yet');
  const done = new Response(writer.readable).arrayBuffer();
  await first;
  await second;
  await writer.close();
  assert.is(parseTar(new Uint8Array(await done)).length, 2);
});

test('TarWriter: a failing entry rejects its add, close, and later adds', async () => {
  const writer = new TarWriter();
  const consumed = new Response(writer.readable).arrayBuffer().catch((e) => e);
  await writer.add({ name: 'ok', body: utf8.encode('fine') });
  await expectCode(writer.add({ name: 'bad', size: 5, body: streamOf([utf8.encode('no')]) }), 'TAR_SIZE_MISMATCH');
  await expectCode(writer.close(), 'TAR_SIZE_MISMATCH');
  await expectCode(writer.add({ name: 'late' }), 'TAR_SIZE_MISMATCH');
  assert.is((await consumed).code, 'TAR_SIZE_MISMATCH');
});

test('TarWriter: add after close is TAR_WRITER_CLOSED', async () => {
  const writer = new TarWriter();
  const done = new Response(writer.readable).arrayBuffer();
  await writer.close();
  await expectCode(writer.add({ name: 'late' }), 'TAR_WRITER_CLOSED');
  assert.equal(new Uint8Array(await done), new Uint8Array(1024));
});

test.run();
