/**
 * The union merge: 10 layers × 50k entries (upper layers rewrite, delete with whiteouts, make
 * directories opaque and add new trees), merged by the WASM kernel reading the LayerIndex tables
 * in place, against a plain TypeScript merge written for this benchmark (the same top-down rules
 * over Maps of strings, then a depth-first sort). Then 1M lookups of paths in the result, in a
 * scattered order: the kernel's hash index (string → UTF-8 → lexical clean → probe), one call per
 * path and batched (lookupMany), against Map.get. Both merges must
 * list the same paths in the same order (checked before timing).
 *
 *   node --import tsx bench/union.bench.ts --runs 5     or     npm run bench -- union
 */
import { workload } from './_harness.ts';
import { init } from '../src/mod.ts';
import { mergeStack, type StackLayer } from '../src/fs/layer-stack.ts';
import { indexLayer } from '../src/tar/index-layer.ts';
import { writeTar, type TarWriteEntry } from '../src/tar/writer.ts';

const LAYERS = 10;
const PER_LAYER = 50_000;
const LOOKUPS = 1_000_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Layer 0: 500 dirs × 99 files; each upper layer rewrites, deletes, opaques and adds. */
function makeLayers(): TarWriteEntry[][] {
  const layers: TarWriteEntry[][] = [];
  const base: TarWriteEntry[] = [];
  for (let d = 0; base.length < PER_LAYER; d++) {
    base.push({ name: `usr/lib/pkg${d}/`, type: 'dir' });
    for (let f = 0; f < 99 && base.length < PER_LAYER; f++) base.push({ name: `usr/lib/pkg${d}/file-${f}.so`, type: 'file' });
  }
  layers.push(base);
  for (let l = 1; l < LAYERS; l++) {
    const entries: TarWriteEntry[] = [];
    for (let k = 0; k < 2_000; k++) entries.push({ name: `usr/lib/pkg${(k * 7 + l) % 500}/.wh.file-${(k * 13 + l) % 99}.so`, type: 'file' });
    for (let k = 0; k < 20; k++) entries.push({ name: `usr/lib/pkg${(k * 23 + l * 3) % 500}/.wh..wh..opq`, type: 'file' });
    for (let k = 0; entries.length < PER_LAYER / 2; k++) entries.push({ name: `usr/lib/pkg${(k * 11 + l) % 500}/file-${(k * 3 + l) % 99}.so`, type: 'file' });
    for (let d = 0; entries.length < PER_LAYER; d++) {
      entries.push({ name: `opt/layer${l}/app${d}/`, type: 'dir' });
      for (let f = 0; f < 49 && entries.length < PER_LAYER; f++) entries.push({ name: `opt/layer${l}/app${d}/part-${f}.js`, type: 'file' });
    }
    layers.push(entries);
  }
  return layers;
}

interface Node { layer: number; dir: boolean; hideSelf: number; hideKids: number; state: 'entry' | 'implicit' | 'tomb' }

const clean = (name: string) => name.split('/').filter((p) => p !== '' && p !== '.').join('/');
const parentOf = (p: string) => { const i = p.lastIndexOf('/'); return i < 0 ? '' : p.slice(0, i); };

/** The union in plain TypeScript: the same top-down rules as the kernel, over Maps of strings. */
function mapMerge(layers: { name: string; type: string }[][]): { paths: string[]; map: Map<string, Node> } {
  const map = new Map<string, Node>();
  const hiddenFrom = (path: string, layer: number) => {
    for (let p = parentOf(path); ; p = parentOf(p)) {
      const n = map.get(p);
      if (n && n.hideKids > layer) return true;
      if (p === '') return false;
    }
  };
  const ensureParents = (path: string, layer: number) => {
    for (let p = parentOf(path); p !== '' && !map.has(p); p = parentOf(p)) map.set(p, { layer, dir: true, hideSelf: 0, hideKids: 0, state: 'implicit' });
  };
  for (let layer = layers.length - 1; layer >= 0; layer--) {
    const marks: [string, 'wh' | 'opq'][] = [];
    for (const e of layers[layer]!) {
      const path = clean(e.name);
      const base = path.slice(path.lastIndexOf('/') + 1);
      if (base === '.wh..wh..opq') { marks.push([parentOf(path), 'opq']); continue; }
      if (base.startsWith('.wh.')) { marks.push([parentOf(path) ? `${parentOf(path)}/${base.slice(4)}` : base.slice(4), 'wh']); continue; }
      if (hiddenFrom(path, layer)) continue;
      const dir = e.type === 'dir';
      const old = map.get(path);
      if (old && old.layer > layer) { if (!dir && old.hideSelf <= layer) { old.hideSelf = old.hideKids = layer; } continue; }
      map.set(path, { layer, dir, hideSelf: dir ? 0 : layer, hideKids: dir ? 0 : layer, state: 'entry' });
      ensureParents(path, layer);
    }
    for (const [path, kind] of marks) {
      const old = map.get(path);
      if (kind === 'wh') {
        if (!old) map.set(path, { layer, dir: false, hideSelf: layer, hideKids: layer, state: 'tomb' });
        else if (old.layer > layer || old.dir) { old.hideSelf = Math.max(old.hideSelf, layer); old.hideKids = Math.max(old.hideKids, layer); }
      } else if (!hiddenFrom(path, layer)) {
        if (!old) { map.set(path, { layer, dir: true, hideSelf: 0, hideKids: layer, state: 'implicit' }); ensureParents(path, layer); }
        else old.hideKids = Math.max(old.hideKids, layer);
      }
    }
  }
  const paths = [...map].filter(([, n]) => n.state !== 'tomb').map(([p]) => p);
  // depth-first name order: compare with '/' below every other character
  const key = (p: string) => p.replaceAll('/', '\u0000');
  const keyed = paths.map((p) => [key(p), p] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { paths: keyed.map(([, p]) => p), map };
}

export default workload(import.meta, {
  name: 'union',
  title: `Union merge of ${LAYERS} layers × ${PER_LAYER / 1000}k entries, then ${LOOKUPS / 1e6}M lookups: WASM kernel vs a TypeScript Map merge`,
  ratio: ['kernel merge', 'Map merge'],
  async cases() {
    await init();
    const layers = makeLayers();
    const stack: StackLayer[] = [];
    for (const entries of layers) {
      const tar = await writeTar(entries);
      const { index } = await indexLayer(new Blob([tar as Uint8Array<ArrayBuffer>]).stream(), { decompress: false });
      stack.push({ index, uncompressed: async () => new Blob([tar as Uint8Array<ArrayBuffer>]).stream() });
    }
    const plain = layers.map((entries) => entries.map((e) => ({ name: e.name, type: e.type ?? 'file' })));
    // the two merges must agree, path for path, before anything is timed
    const union = mergeStack(stack);
    const kernelPaths = Array.from({ length: union.count }, (_, i) => union.path(i));
    const { paths, map } = mapMerge(plain);
    if (kernelPaths.length !== paths.length || kernelPaths.some((p, i) => p !== paths[i])) {
      throw new Error(`the merges disagree: kernel ${kernelPaths.length} paths, Map ${paths.length}`);
    }
    // each query a string of its own, as a request would bring it (not the interned path itself:
    // Map.get would find its hash cached and its bytes in cache for free), and each case its own
    // strings: Deno's V8 turns a string once used as a Map key into a pointer to the interned key,
    // so queries shared with the Map case read scattered keys (Deno's lookupMany: 437 ms shared)
    const makeQueries = () => Array.from({ length: LOOKUPS }, (_, i) => decoder.decode(encoder.encode(kernelPaths[(i * 7919) % kernelPaths.length]!)));
    const [single, batched, mapped] = [makeQueries(), makeQueries(), makeQueries()];
    let lookupIndex = mergeStack(stack);
    return [
      { name: 'kernel merge', note: `${union.count} paths, tables read in place`, run: () => { lookupIndex = mergeStack(stack); } },
      { name: 'Map merge', note: 'same rules, Map<string> + sort', run: () => void mapMerge(plain) },
      {
        name: 'kernel lookups', note: `${LOOKUPS / 1e6}M lookups`,
        run: () => { let found = 0; for (const q of single) if (lookupIndex.lookup(q) >= 0) found++; if (found !== LOOKUPS) throw new Error('lookup missed'); },
      },
      {
        name: 'kernel lookupMany', note: `${LOOKUPS / 1e6}M lookups, batched`,
        run: () => { let found = 0; for (const pos of lookupIndex.lookupMany(batched)) if (pos >= 0) found++; if (found !== LOOKUPS) throw new Error('lookup missed'); },
      },
      {
        name: 'Map lookups', note: `${LOOKUPS / 1e6}M Map.get`,
        run: () => { let found = 0; for (const q of mapped) if (map.get(q)) found++; if (found !== LOOKUPS) throw new Error('lookup missed'); },
      },
    ];
  },
});
