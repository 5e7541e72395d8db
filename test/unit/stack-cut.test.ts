// The top-down cut of `ls IMAGE PATH` (src/fs/stack-cut.ts) against the full union, on generated
// stacks: for every stack and query path, what ls prints (PATH itself when not a directory, its
// children, and its whole subtree for -R, with supplying layer numbers and hardlink leaders) is
// the same whether all layers were merged or only those from the cut up. Stacks the full union
// refuses are counted apart: there the cut may answer, having not read the defective layer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { indexStack } from '../../src/fs/layer-stack.ts';
import { indexStackFor } from '../../src/fs/stack-cut.ts';
import { UnionFS, type FsEntry } from '../../src/fs/union-fs.ts';
import type { Layer } from '../../src/image/types.ts';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { randomInts, ready, runtime } from '../_setup.ts';
import { sha256, streamOf, utf8 } from './_image-fixtures.ts';

test.before(async () => void (await ready()));

const NAMES = ['a', 'b', 'a/x', 'a/y', 'b/x', 'a/x/p', 'a/x/p/q', 'c', 'c/z', 'c/z/w'];
const QUERIES = [...NAMES, 'zz', 'a/', './a/x', 'c/z/w/v'];

/** A random stack: files, dirs, symlinks (also as parents of later names), hardlinks within and across layers, devices, whiteouts, opaque markers. */
function randomStack(seed: number): TarWriteEntry[][] {
  const next = randomInts(seed);
  return Array.from({ length: 2 + next(5) }, (_, layer) => {
    const entries: TarWriteEntry[] = [];
    const used = new Set<string>();
    for (let n = 1 + next(8); n > 0; n--) {
      const name = NAMES[next(NAMES.length)]!;
      if (used.has(name)) continue;
      used.add(name);
      const meta = { mode: [0o644, 0o755, 0o600][next(3)]!, uid: next(2), mtime: { sec: 1_700_000_000 + layer * 10 + n, nsec: 0 } };
      const slash = name.lastIndexOf('/');
      const marker = (prefix: string) => `${name.slice(0, slash + 1)}${prefix}${name.slice(slash + 1)}`;
      const kind = next(12);
      if (kind < 2) entries.push({ name: `${name}/`, type: 'dir', ...meta });
      else if (kind < 3) entries.push({ name, type: 'symlink', linkname: ['a', '/b/x', 'x', '../c'][next(4)]!, ...meta });
      else if (kind < 5) entries.push({ name: marker('.wh.'), type: 'file', ...meta });
      else if (kind < 7) entries.push({ name: `${name}/.wh..wh..opq`, type: 'file', ...meta });
      else if (kind < 8) entries.push({ name, type: 'hardlink', linkname: NAMES[next(NAMES.length)]!, ...meta }); // often to a lower layer
      else if (kind < 9) entries.push({ name, type: 'char', devmajor: 1, devminor: 3, ...meta });
      else entries.push({ name, type: 'file', body: utf8(`${name} ${layer} ${next(100)}`), ...meta });
      if (next(5) === 0 && entries.at(-1)!.type === 'file' && !entries.at(-1)!.name.includes('.wh.')) {
        entries.push({ name: `${name}-link`, type: 'hardlink', linkname: name, ...meta });
      }
    }
    return entries;
  });
}

const memoryLayer = (tar: Uint8Array): Layer => ({
  digest: sha256(tar), diffID: sha256(tar), size: tar.length, mediaType: 'application/vnd.oci.image.layer.v1.tar',
  compressed: async () => streamOf(tar), uncompressed: async () => streamOf(tar),
});

/**
 * One printed entry. The merge numbers a directory with no entry in any layer by the first layer
 * that implied it, even when an opaque marker or whiteout above hid that layer's directory and a
 * later layer implied it again; the cut stack, which never saw the hidden one, numbers it by the
 * later layer. That number is the only difference allowed, and it is counted.
 */
let implicitRenumbered = 0;
const json = (fs: UnionFS, pos: number) => JSON.stringify({ ...fs.entry(pos), xattrs: undefined, ...(fs.union.sourceLayer(pos) < 0 ? { layer: 'implied' } : {}) });

/** What `ls [-R] PATH` prints, as ls.ts decides it; an error as its code. */
function lsView(fs: UnionFS, path: string, recursive: boolean): string {
  try {
    const top = fs.lookup(path);
    if (top === -1) fs.stat(path);
    if (recursive) {
      const [from, to] = top === -2 ? [0, fs.union.count] : [top + 1, fs.union.subtreeEnd(top)];
      return Array.from({ length: to - from }, (_, k) => json(fs, from + k)).join('\n');
    }
    if (top !== -2 && fs.union.type(top) !== 'dir') return json(fs, top);
    return fs.union.children(top === -2 ? -1 : top).map((c) => json(fs, c)).join('\n');
  } catch (error) {
    return `error ${(error as { code?: string }).code}`;
  }
}

const STACKS = runtime === 'node' ? 200 : 40;

test(`on ${STACKS} generated stacks, ls PATH over the cut stack equals ls PATH over all layers`, async () => {
  let compared = 0;
  let cut = 0;
  let layersSkipped = 0;
  let refusedFull = 0;
  for (let seed = 1; seed <= STACKS; seed++) {
    const stackEntries = randomStack(seed);
    const layers = (await Promise.all(stackEntries.map((entries) => writeTar(entries)))).map(memoryLayer);
    const stack = await indexStack(layers).catch(() => undefined);
    let full = false;
    const expected = new Map<string, string>();
    try {
      const fs = UnionFS.fromStack(stack!);
      for (const q of QUERIES) for (const r of [false, true]) expected.set(`${q} ${r}`, lsView(fs, q, r));
      full = true;
    } catch {
      // the full union refuses this stack
    }
    for (const layer of stack ?? []) layer.index.free(); // indexes live in WebAssembly memory until freed
    for (const q of QUERIES) {
      let view: UnionFS;
      try {
        view = await UnionFS.open({ layers: async () => layers } as never, { under: q });
      } catch (error) {
        assert.ok(!full, `seed ${seed} ${q}: the cut stack failed (${(error as Error).message}) where the full union did not`);
        continue;
      }
      const from = view.offset;
      if (from > 0) { cut++; layersSkipped += from; }
      for (const r of [false, true]) {
        const got = lsView(view, q, r);
        if (!full) { refusedFull++; continue; }
        assert.is(got, expected.get(`${q} ${r}`), `seed ${seed}, ls ${r ? '-R ' : ''}${q}, cut at layer ${from}: ${JSON.stringify(stackEntries.map((l) => l.map((e) => `${e.type}:${e.name}${e.linkname ? `>${e.linkname}` : ''}`)))}`);
        compared++;
      }
      for (const layer of view.stack) layer.index.free();
    }
  }
  assert.ok(cut > STACKS / 4, `the cut happened only ${cut} times`);
  console.log(`  stack-cut: ${compared} ls answers compared, ${cut} cut stacks (${layersSkipped} layers not read), ${refusedFull} answers on stacks the full union refuses`);
});

test('a hardlink to a lower layer, a name through a symlink, and the root keep every layer', async () => {
  const tars = await Promise.all([
    [{ name: 'a/', type: 'dir' }, { name: 'a/f', body: utf8('base') }],
    [{ name: '.wh.a', type: 'file' }, { name: 'a/g', type: 'hardlink', linkname: 'x' }],
  ].map((l) => writeTar(l as TarWriteEntry[])));
  const crossLink = await writeTar([{ name: 'x', body: utf8('lower') }]);
  const layers = [memoryLayer(crossLink), ...tars.map(memoryLayer)];
  assert.is((await indexStackFor(layers, 'a')).from, 0, 'layer 2 links to layer 0: nothing cut');
  const plain = [memoryLayer(tars[0]!), memoryLayer(await writeTar([{ name: '.wh.a', type: 'file' }]))];
  assert.is((await indexStackFor(plain, 'a')).from, 1, 'a whiteout of a decides a');
  assert.is((await indexStackFor(plain, 'a/f')).from, 1, 'and everything under it');
  assert.is((await indexStackFor(plain, 'b')).from, 0, 'not other paths');
  assert.is((await indexStackFor(plain, '')).from, 0, 'nor the root');
  assert.is((await indexStackFor(plain, 'x/../a')).from, 0, 'a path with .. is not cut for');
  const throughSymlink = [memoryLayer(tars[0]!), memoryLayer(await writeTar([{ name: 'l', type: 'symlink', linkname: 'a' }, { name: 'l/.wh.f', type: 'file' }]))];
  assert.is((await indexStackFor(throughSymlink, 'a/f')).from, 0, 'a marker reached through a symlink of its layer is left to the merge');
});

test.run();
