/**
 * Decompressing a 32 MiB layer-like tar: zstd by fzstd (pure JS: what layerkit uses, through its
 * frame scanner, and fzstd alone one-shot) against zstddec (WebAssembly, one-shot only, and it
 * compiles its WASM from bytes, which workerd forbids) and `zstd -d`; gzip by the native
 * DecompressionStream and by pako (the two engines src/compress/gzip.ts chooses between) and `gzip -d`.
 *
 *   node --import tsx bench/zstd.bench.ts --runs 3        (also deno run -A, bun)
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { decompress as fzstdDecompress } from 'fzstd';
import { ZSTDDecoder } from 'zstddec';
import { MiB, workload, type Case } from './_harness.ts';
import { commandCase } from './_process.ts';
import '../src/node.ts';
import { gunzipStream } from '../src/compress/gzip.ts';
import { zstdDecompress } from '../src/compress/zstd.ts';

const SIZE = 32 * MiB;
const dir = new URL('../build/bench/', import.meta.url).pathname;

/** Text, incompressible bytes and zeros, in 4 KiB pieces, as a layer of binaries and configs looks. */
function layerLike(): Uint8Array {
  const out = new Uint8Array(SIZE);
  const text = new TextEncoder().encode('/usr/share/doc/libc6/changelog.Debian.gz: ELF 64-bit LSB shared object, x86-64\n');
  let x = 12345;
  for (let at = 0; at < SIZE; at += 4096) {
    const kind = (at >> 12) % 5;
    for (let i = at; i < Math.min(at + 4096, SIZE); i++) {
      if (kind < 2) out[i] = text[i % text.length]!;
      else if (kind < 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
    }
  }
  return out;
}

function inputs(): { zst: Uint8Array; gz: Uint8Array } {
  mkdirSync(dir, { recursive: true });
  const raw = `${dir}zstd-input.tar`;
  if (!existsSync(`${raw}.zst`) || !existsSync(`${raw}.gz`)) {
    writeFileSync(raw, layerLike());
    for (const [cmd, args] of [['zstd', ['-q', '-f', '-3', raw]], ['gzip', ['-f', '-k', '-6', raw]]] as const) {
      const r = spawnSync(cmd, [...args]);
      if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    }
  }
  return { zst: new Uint8Array(readFileSync(`${raw}.zst`)), gz: new Uint8Array(readFileSync(`${raw}.gz`)) };
}

const chunks = (bytes: Uint8Array) => new ReadableStream<Uint8Array>({
  start(c) { for (let at = 0; at < bytes.length; at += MiB) c.enqueue(bytes.subarray(at, at + MiB)); c.close(); },
});

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.length;
  }
}

export default workload(import.meta, {
  name: 'zstd',
  title: 'Decompress a 32 MiB layer-like tar: zstd (fzstd vs zstddec vs zstd -d), gzip (native vs pako vs gzip -d)',
  bytes: SIZE,
  ratio: ['fzstd stream (layerkit)', 'zstddec'],
  async cases() {
    const { zst, gz } = inputs();
    const zstddec = new ZSTDDecoder();
    await zstddec.init();
    const check = (name: string, n: number) => { if (n !== SIZE) throw new Error(`${name} produced ${n} bytes, not ${SIZE}`); };
    check('fzstd', fzstdDecompress(zst).length);
    check('zstddec', zstddec.decode(zst, SIZE).length);
    check('gzip native', await drain(chunks(gz).pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>)));
    const cases: Case[] = [
      { name: 'fzstd stream (layerkit)', note: 'frame scanner + fzstd, 1 MiB chunks', run: async () => check('fzstd stream', await drain(chunks(zst).pipeThrough(zstdDecompress()))) },
      { name: 'fzstd one-shot', run: () => check('fzstd', fzstdDecompress(zst).length) },
      { name: 'zstddec', note: 'WASM, one-shot (no streaming API)', run: () => check('zstddec', zstddec.decode(zst, SIZE).length) },
      commandCase('zstd -d', 'zstd', ['-d', '-q', '-c', '-f', `${dir}zstd-input.tar.zst`, '-o', '/dev/null']),
      { name: 'gzip native', note: 'DecompressionStream', run: async () => check('gzip native', await drain(await gunzipStream(chunks(gz), 'native'))) },
      { name: 'gzip node:zlib', note: 'host gunzip + trailing check', run: async () => check('gzip host', await drain(await gunzipStream(chunks(gz), 'host'))) },
      { name: 'gzip pako', note: 'pako Inflate, streamed', run: async () => check('gzip pako', await drain(await gunzipStream(chunks(gz), 'pako'))) },
      commandCase('gzip -d', 'gzip', ['-d', '-c', '-k', '-f', `${dir}zstd-input.tar.gz`]),
    ];
    return cases;
  },
});
