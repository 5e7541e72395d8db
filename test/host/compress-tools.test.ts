// Compression against the gzip and zstd commands (references we did not write): what they write
// we read, what we write gzip reads; a zstd frame with a window the zstd command refuses is
// refused here too; 10^6 empty members; bombs stopped at the cap with memory bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressedStream, decompressedStream } from '../../src/mod.ts';
import { gunzipEngine } from '../../src/compress/gzip.ts';
import { randomBytes, randomSplits, skip, expectCode } from '../_setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'layerkit-compress-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const has = (tool: string) => spawnSync(tool, ['--version']).status === 0;
const streamOf = (parts: Uint8Array[]) => new ReadableStream<Uint8Array>({ start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); } });
const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const shell = (script: string) => execFileSync('bash', ['-c', script], { cwd: dir, maxBuffer: 1 << 28 });

/** A layer-like input: text, random bytes and runs of zeros. */
const SAMPLE = (() => {
  const text = new TextEncoder().encode('usr/lib/x86_64-linux-gnu/libc.so.6 -> libc-2.36.so\n'.repeat(20_000));
  const out = new Uint8Array(text.length + 600_000 + 400_000);
  out.set(text, 0);
  out.set(randomBytes(600_000, 4), text.length);
  return out; // the last 400 000 bytes stay zero
})();
writeFileSync(join(dir, 'sample'), SAMPLE);

test('reads what the zstd command writes: levels, long windows, no checksum, several frames', async () => {
  if (!has('zstd')) return skip('zstd command', 'zstd is not installed');
  const variants: [string, string][] = [
    ['l1', 'zstd -q -1 -c sample'], ['l3', 'zstd -q -c sample'], ['l19', 'zstd -q -19 -c sample'],
    ['long', 'zstd -q --long=24 -c sample'], ['nocheck', 'zstd -q --no-check -c sample'],
    ['stdin', 'zstd -q -c < sample'], ['frames', 'head -c 500000 sample | zstd -q -c; tail -c +500001 sample | zstd -q -c'],
  ];
  for (const [name, command] of variants) {
    const zst = new Uint8Array(shell(command));
    const d = await decompressedStream(streamOf(randomSplits(zst, name.length)));
    assert.is(d.compression, 'zstd');
    assert.equal(await bytesOf(d.stream), SAMPLE, name);
  }
});

test('a window the zstd command refuses by default is refused here (DECOMPRESS_LIMIT)', async () => {
  if (!has('zstd')) return skip('zstd window', 'zstd is not installed');
  const zst = new Uint8Array(shell('head -c 1000000 /dev/zero | zstd -q --long=28 -c'));
  const theirs = spawnSync('zstd', ['-d', '-c'], { input: zst });
  assert.is.not(theirs.status, 0, 'zstd -d refuses a 256 MiB window without --memory');
  await expectCode(bytesOf((await decompressedStream(streamOf([zst]))).stream), 'DECOMPRESS_LIMIT');
  const allowed = await decompressedStream(streamOf([zst]), { zstdMaxWindow: 2 ** 28 });
  assert.is((await bytesOf(allowed.stream)).length, 1_000_000, 'with the cap raised as zstd --memory=256MB would');
});

test('reads what gzip writes (levels, concatenated members); gzip reads what we write', async () => {
  if (!has('gzip')) return skip('gzip command', 'gzip is not installed');
  for (const command of ['gzip -1 -c sample', 'gzip -9 -c sample', 'head -c 700000 sample | gzip -c; tail -c +700001 sample | gzip -c']) {
    const gz = new Uint8Array(shell(command));
    assert.equal(await bytesOf((await decompressedStream(streamOf(randomSplits(gz, 3)))).stream), SAMPLE, command);
  }
  writeFileSync(join(dir, 'ours.gz'), await bytesOf(compressedStream(streamOf([SAMPLE]), 'gzip')));
  assert.equal(new Uint8Array(shell('gzip -dc ours.gz')), SAMPLE);
});

test('10^6 empty gzip members: gzip -d and we both decode them to nothing', async () => {
  if (!has('gzip')) return skip('empty members', 'gzip is not installed');
  const empty = new Uint8Array(shell('gzip -c < /dev/null'));
  const many = new Uint8Array(empty.length * 1_000_000);
  for (let i = 0; i < 1_000_000; i++) many.set(empty, i * empty.length);
  writeFileSync(join(dir, 'many.gz'), many);
  assert.is(shell('gzip -dc many.gz').length, 0);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < many.length; at += 1 << 20) parts.push(many.subarray(at, at + (1 << 20)));
  assert.is((await bytesOf((await decompressedStream(streamOf(parts))).stream)).length, 0);
});

/** Decodes `name` chunk by chunk without keeping the output; returns bytes out and peak RSS growth. */
async function drain(name: string, options = {}): Promise<{ out: number; rssGrowth: number }> {
  const { openRead } = (await import('../../src/runtime/node.ts')).nodeHost;
  const before = process.memoryUsage().rss;
  let peak = before;
  let out = 0;
  const reader = (await decompressedStream(openRead(join(dir, name)), options)).stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out += value.length;
    if ((out & 0xfffff) < value.length) {
      // Bun's collector may leave freed blocks uncollected for a long while under load (RSS then
      // tracks garbage, not what the decoder holds): collect every 16 MiB there before sampling
      if ((out & 0xffffff) < value.length) (globalThis as { Bun?: { gc(sync: boolean): void } }).Bun?.gc(true);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
  return { out, rssGrowth: Math.max(peak, process.memoryUsage().rss) - before };
}

test('bombs: 256 MiB of zeros (gzip ~256 KB, zstd ~8 KB) stop at the cap; a full decode keeps memory bounded', async () => {
  if (!has('gzip') || !has('zstd')) return skip('bombs', 'gzip or zstd is not installed');
  shell('head -c 268435456 /dev/zero | gzip -1 > bomb.gz; head -c 268435456 /dev/zero | zstd -q -1 > bomb.zst');
  for (const name of ['bomb.gz', 'bomb.zst']) {
    await expectCode(drain(name, { maxBytes: 64 << 20 }), 'DECOMPRESS_LIMIT');
  }
  const full = await drain('bomb.zst');
  assert.is(full.out, 2 ** 28);
  // Holding the output would take ≥ 256 MiB. The decoder hands out 128 KiB blocks as they are
  // pulled, but collectors differ in how soon they return the freed ones (52–99 MiB of growth seen
  // standalone on node, deno and bun), so the bound is 192 MiB.
  assert.ok(full.rssGrowth < 192 << 20, `RSS grew by ${full.rssGrowth >> 20} MiB while 256 MiB streamed through`);
});

test('the zstd command agrees that gzip-style trailing garbage breaks a zstd stream', async () => {
  if (!has('zstd')) return skip('zstd trailing', 'zstd is not installed');
  const zst = new Uint8Array(shell('zstd -q -c sample; printf "trailing garbage"'));
  assert.is.not(spawnSync('zstd', ['-d', '-c'], { input: zst, maxBuffer: 1 << 28 }).status, 0);
  await expectCode(bytesOf((await decompressedStream(streamOf([zst]))).stream), 'DECOMPRESS_CORRUPT');
  assert.ok(['native', 'host', 'pako'].includes(await gunzipEngine()));
  assert.equal(file('sample'), SAMPLE);
});

test.run();
