/**
 * Layer generation throughput: two directories (2,000 unchanged files; then 256 files of 256 KiB
 * added or rewritten, 100 deleted), and the layer that turns one into the other written to a file —
 * layerkit (walk both trees, diff in WASM, ChangeWriter entries, TarWriter; and the writing alone)
 * against GNU tar writing the same files (given the list; it neither walks nor diffs). MB/s of content.
 *
 *   node --import tsx bench/diff-layer.bench.ts --runs 5     or     npm run bench -- diff-layer
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { workload } from './_harness.ts';
import { commandCase } from './_process.ts';
import { walkDiff } from '../src/diff/changes.ts';
import { layerEntries } from '../src/diff/layer.ts';
import { layerTar } from '../src/diff/layer-tar.ts';
import { directoryTree } from '../src/diff/walk.ts';
import { need } from '../src/host.ts';
import { init } from '../src/node.ts';

const ROOT = new URL('../build/bench/diff-layer/', import.meta.url).pathname;
const CHANGED = 256;
const SIZE = 256 * 1024;

function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, x = seed | 1; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x;
  }
  return out;
}

function makeTrees(): void {
  if (fs.existsSync(`${ROOT}/ready`)) return;
  fs.rmSync(ROOT, { recursive: true, force: true });
  for (let d = 0; d < 20; d++) {
    fs.mkdirSync(`${ROOT}/a/lib/d${d}`, { recursive: true });
    for (let f = 0; f < 100; f++) fs.writeFileSync(`${ROOT}/a/lib/d${d}/f${f}`, pseudoRandom(2000, d * 100 + f + 1));
  }
  spawnSync('cp', ['-a', `${ROOT}/a`, `${ROOT}/b`]); // keeps nanosecond mtimes (fs.cpSync keeps only ms, which is a change)
  for (let k = 0; k < CHANGED; k++) {
    const path = k % 2 ? `${ROOT}/b/lib/d${k % 20}/f${Math.floor(k / 20)}` : `${ROOT}/b/lib/d${k % 20}/new${k}`;
    fs.writeFileSync(path, pseudoRandom(SIZE, k + 7));
  }
  for (let k = 0; k < 100; k++) fs.rmSync(`${ROOT}/b/lib/d${(k * 7) % 20}/f${50 + 2 * (k % 25)}`, { force: true }); // even: never rewritten
  fs.writeFileSync(`${ROOT}/ready`, '');
}

export default workload(import.meta, {
  name: 'diff-layer',
  title: `Generate the layer between two trees: ${CHANGED} files of ${SIZE / 1024} KiB changed (MB/s of content written)`,
  bytes: CHANGED * SIZE,
  runtimes: ['node', 'deno', 'bun'],
  ratio: ['layerkit', 'GNU tar'],
  async cases() {
    await init();
    makeTrees();
    const generate = async () => {
      const a = (await directoryTree(`${ROOT}/a`)).tree;
      const b = (await directoryTree(`${ROOT}/b`)).tree;
      const entries = layerEntries(b, await walkDiff(a, b, {}, true));
      await layerTar(entries).pipeTo(need('openWrite')(`${ROOT}/layerkit.tar`));
      return entries;
    };
    const entries = await generate();
    const names = entries.filter((e) => !e.name.split('/').pop()!.startsWith('.wh.')).map((e) => e.name);
    const content = entries.reduce((sum, e) => sum + (e.type === 'file' ? e.size : 0), 0);
    if (content !== CHANGED * SIZE) throw new Error(`the layer carries ${content} bytes of content, expected ${CHANGED * SIZE}`);
    fs.writeFileSync(`${ROOT}/list`, names.join('\n') + '\n');
    const writeOnly = () => layerTar(entries).pipeTo(need('openWrite')(`${ROOT}/layerkit.tar`));
    return [
      { name: 'layerkit', run: generate, note: 'walk both trees + diff + write' },
      { name: 'layerkit write only', run: writeOnly, note: 'entries known; reads the files, writes the tar' },
      commandCase('GNU tar', 'tar', ['-cf', `${ROOT}/gnu.tar`, '-C', `${ROOT}/b`, '--no-recursion', '-T', `${ROOT}/list`], { note: 'tar -cf of the same names (no walk, no diff)' }),
    ];
  },
});

