/**
 * Index a tar of 200k small files (≤ 1 KiB each: where per-entry cost dominates): layerkit's
 * one-pass index, its header-only index and `layerkit tar ls` as a process, against the
 * JavaScript tar readers in list mode and bsdtar / GNU tar -tvf.
 *
 *   node --import tsx bench/tar-index-small.bench.ts --runs 3
 */
import { statSync } from 'node:fs';
import { ensureTar, layerEntries, tarIndexWorkload } from './_tar-inputs.ts';

const FILES = 200_000;
const path = await ensureTar('tar-index-200k-small', layerEntries(FILES, 2, 1024));

export default tarIndexWorkload(import.meta, 'tar-index-small', `List/index a tar of ${FILES} small files (${(statSync(path).size / 2 ** 20).toFixed(0)} MiB)`, path);
