/**
 * Index a tar of 200k small files (≤ 1 KiB each: where per-entry cost dominates): layerkit's
 * one-pass index, its header-only index and `layerkit tar ls` as a process, against the
 * JavaScript tar readers in list mode and bsdtar / GNU tar -tvf.
 *
 *   node --import tsx bench/tar-index-small.bench.ts --runs 3
 */
import { init } from '../src/mod.ts';
import { statSync } from 'node:fs';
import { workload } from './_harness.ts';
import { ensureTar, indexFigures, layerEntries, tarListCases } from './_tar-inputs.ts';

const FILES = 200_000;
const path = await ensureTar('tar-index-200k-small', layerEntries(FILES, 2, 1024));

export default workload(import.meta, {
  name: 'tar-index-small',
  title: `List/index a tar of ${FILES} small files (${(statSync(path).size / 2 ** 20).toFixed(0)} MiB)`,
  bytes: statSync(path).size,
  ratio: ['layerkit tar ls', 'bsdtar -tvf'],
  async cases() {
    await init();
    const figures = await indexFigures(path);
    console.log(`  index: ${figures.entries} entries, ${figures.usedBytes} bytes used (${((figures.usedBytes - figures.pathBytes) / figures.entries).toFixed(1)} B/entry + ${figures.pathBytes} path bytes), WASM memory ${figures.wasmBytes} bytes`);
    return tarListCases(path, figures.entries);
  },
});
