/**
 * Tree diff of two 200k-entry trees with 1% changes (700 modified, 700 added, 600 deleted): the
 * WASM kernel on trees already in linear memory, the same including laying both trees out
 * (encodeTree) and decoding the records, against plain TypeScript: the same double walk over
 * the same sorted arrays, and a Map-based diff (look up every path, then sort the changes).
 * All four must give the same change list (checked before timing). Portable: runs in workerd too.
 *
 *   node --import tsx bench/diff.bench.ts --runs 5     or     npm run bench -- diff
 */
import { workload } from './_harness.ts';
import { encodeTree, runDiffKernel } from '../src/core/diff.ts';
import { core } from '../src/core/wasm.ts';
import { buildTree, compareWalkOrder, type DiffTree, type SourceEntry, type TreeEntry } from '../src/diff/tree.ts';
import { init } from '../src/mod.ts';

const ENTRIES = 200_000;

function makeTrees(): [DiffTree, DiffTree] {
  const a: SourceEntry[] = [];
  for (let d = 0; a.length < ENTRIES; d++) {
    a.push({ path: `usr/d${d}`, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeSec: 1_700_000_000, mtimeNsec: 0 });
    for (let f = 0; f < 99; f++) a.push({ path: `usr/d${d}/file-${f}.so`, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1000 + f, mtimeSec: 1_700_000_000, mtimeNsec: 123_000 + f });
  }
  const b = a.map((e) => ({ ...e }));
  const files = b.filter((e) => e.type === 'file');
  const step = Math.floor(files.length / 2000);
  for (let k = 0; k < 2000; k++) {
    const e = files[k * step]!;
    if (k % 20 < 7) e.mtimeNsec += 1; // modified: decided by metadata, no content read
    else if (k % 20 < 14) b.push({ ...e, path: `${e.path}.new` });
    else e.path = ''; // deleted
  }
  return [buildTree(a), buildTree(b.filter((e) => e.path !== ''))];
}

const same = (x: TreeEntry, y: TreeEntry) =>
  x.type === y.type && x.mode === y.mode && x.uid === y.uid && x.gid === y.gid && (x.type === 'dir' ||
  (x.size === y.size && x.mtimeSec === y.mtimeSec && x.mtimeNsec === y.mtimeNsec));

/** The double walk in plain TypeScript over the same sorted arrays. */
function tsWalk(a: DiffTree, b: DiffTree): number {
  let i = 0, j = 0, n = 0;
  const A = a.entries, B = b.entries;
  while (i < A.length || j < B.length) {
    const order = i >= A.length ? 1 : j >= B.length ? -1 : compareWalkOrder(A[i]!.path, B[j]!.path);
    if (order < 0) {
      const dir = A[i]!.type === 'dir' ? A[i]!.path + '/' : undefined;
      i++;
      if (dir) while (i < A.length && A[i]!.path.startsWith(dir)) i++;
      n++;
    } else if (order > 0) { j++; n++; }
    else { if (!same(A[i]!, B[j]!)) n++; i++; j++; }
  }
  return n;
}

/** A Map-based diff: every path looked up on the other side, then the changes sorted. */
function tsMap(a: DiffTree, b: DiffTree): number {
  const before = new Map(a.entries.map((e) => [e.path, e]));
  const after = new Map(b.entries.map((e) => [e.path, e]));
  const out: string[] = [];
  for (const [path, x] of before) {
    const y = after.get(path);
    if (!y || !same(x, y)) out.push(path);
  }
  for (const path of after.keys()) if (!before.has(path)) out.push(path);
  return out.sort(compareWalkOrder).length;
}

export default workload(import.meta, {
  name: 'diff',
  title: `Diff two ${ENTRIES / 1000}k-entry trees with 1% changes (ms, lower is better)`,
  runtimes: ['node', 'deno', 'bun', 'workerd'],
  ratio: ['kernel', 'TS double walk'],
  async cases() {
    await init();
    const [a, b] = makeTrees();
    const c = core();
    const encodedA = encodeTree(c, a);
    const encodedB = encodeTree(c, b);
    const kernel = () => runDiffKernel(c, encodedA, encodedB, 0).length;
    const withLayout = () => {
      const x = encodeTree(c, a), y = encodeTree(c, b);
      try { return runDiffKernel(c, x, y, 0).length; } finally { y.free(); x.free(); }
    };
    const counts = [kernel(), withLayout(), tsWalk(a, b), tsMap(a, b)];
    if (new Set(counts).size !== 1 || counts[0] !== 2000) throw new Error(`the diffs disagree: ${counts.join(', ')} changes`);
    return [
      { name: 'kernel', run: kernel, note: 'trees already in linear memory' },
      { name: 'kernel + layout', run: withLayout, note: 'encodeTree × 2, walk, records' },
      { name: 'TS double walk', run: () => tsWalk(a, b) },
      { name: 'TS Map diff', run: () => tsMap(a, b) },
    ];
  },
});
