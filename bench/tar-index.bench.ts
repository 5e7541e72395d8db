/**
 * Index a layer-like tar of ~1 GiB and ~100k files (realistic size mix; bench/_tar-inputs.ts):
 * layerkit's one-pass index (entry table + diffID), its header-only index that jumps over
 * contents, and `layerkit tar ls` as a process, against the JavaScript tar readers in list mode
 * and bsdtar / GNU tar -tvf as processes. The tar is generated once into build/bench/.
 *
 *   node --import tsx bench/tar-index.bench.ts --runs 3
 */
import { statSync } from 'node:fs';
import { ensureTar, layerEntries, tarIndexWorkload } from './_tar-inputs.ts';

const FILES = 100_000;
const path = await ensureTar('tar-index-1g', layerEntries(FILES, 1));

export default tarIndexWorkload(import.meta, 'tar-index', `List/index a ${(statSync(path).size / 2 ** 30).toFixed(2)} GiB layer tar of ${FILES} files (+ dirs, symlinks)`, path);
