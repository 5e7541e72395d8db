// The union kernel against an independent model: the kernel merges top-down with tombstones;
// the model below replays the layers bottom-up as an extractor would (apply the layer's
// whiteouts to what lies below, then its entries in tar order). Both must give the same tree,
// metadata sources, supplying layers and hardlink groups, on hand-made cases and on random stacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildUnion, type UnionInput, type UnionEntryType } from '../../src/core/union.ts';
import { core } from '../../src/core/wasm.ts';
import { LayerkitError } from '../../src/errors.ts';
import { randomInts, ready } from '../_setup.ts';

test.before(async () => void (await ready()));

interface ModelNode { type: UnionEntryType; layer: number; srcLayer: number; srcEntry: number; inode: string }

function clean(name: string): string {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { if (!out.length) throw new Error('escape'); out.pop(); } else out.push(part);
  }
  return out.join('/');
}
const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const under = (p: string, dir: string) => p.startsWith(dir + '/');

/** Bottom-up replay: what an extractor following the OCI rules leaves behind. */
function modelMerge(layers: UnionInput[][]): Map<string, ModelNode> {
  const tree = new Map<string, ModelNode>();
  const remove = (p: string, self: boolean) => {
    for (const key of [...tree.keys()]) if ((self && key === p) || under(key, p)) tree.delete(key);
  };
  let copies = 0;
  layers.forEach((entries, layer) => {
    for (const e of entries) {
      const path = clean(String(e.name));
      const base = path.slice(path.lastIndexOf('/') + 1);
      if (base === '.wh..wh..opq') remove(parentOf(path), false);
      else if (base.startsWith('.wh.')) remove(parentOf(path) ? `${parentOf(path)}/${base.slice(4)}` : base.slice(4), true);
    }
    entries.forEach((e, index) => {
      const path = clean(String(e.name));
      const base = path.slice(path.lastIndexOf('/') + 1);
      if (base.startsWith('.wh.')) {
        if (base === '.wh..wh..opq' && !tree.has(parentOf(path)) && parentOf(path)) mkdirs(path, layer, true);
        else if (base === '.wh..wh..opq' && parentOf(path) && tree.get(parentOf(path))!.type !== 'dir') mkdirs(path, layer, true);
        return;
      }
      if (path === '') return;
      mkdirs(path, layer, false);
      let node: ModelNode;
      if (e.type === 'hardlink') {
        const target = clean(String(e.link));
        let t = tree.get(target)!;
        if (t.layer < layer) {
          t = { ...t, layer, inode: `copy${copies++}` };
          tree.set(target, t);
        }
        node = { ...t, layer };
      } else node = { type: e.type, layer, srcLayer: layer, srcEntry: index, inode: `${layer}:${index}` };
      const old = tree.get(path);
      if (e.type === 'dir' && old?.type === 'dir') { tree.set(path, node); return; }
      remove(path, true);
      tree.set(path, node);
    });
  });
  return tree;

  function mkdirs(path: string, layer: number, self: boolean) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length + (self ? 0 : 0); i++) {
      const dir = parts.slice(0, i).join('/');
      const old = tree.get(dir);
      if (old?.type === 'dir') continue;
      remove(dir, true);
      tree.set(dir, { type: 'dir', layer, srcLayer: -1, srcEntry: -1, inode: 'implicit' });
    }
  }
}

function kernelTree(layers: UnionInput[][]) {
  const union = buildUnion(core(), layers);
  const tree = new Map<string, ModelNode>();
  for (let pos = 0; pos < union.count; pos++) {
    const inode = union.inode(pos);
    tree.set(union.path(pos), { type: union.type(pos), layer: union.layer(pos), srcLayer: union.sourceLayer(pos), srcEntry: union.sourceEntry(pos), inode: String(inode) });
  }
  return { union, tree };
}

/** Hardlink groups as sorted lists of paths, so inode numbering schemes compare equal. */
function groups(tree: Map<string, ModelNode>): string[][] {
  const byInode = new Map<string, string[]>();
  for (const [path, node] of tree) if (node.type !== 'dir') byInode.set(node.inode, [...(byInode.get(node.inode) ?? []), path]);
  return [...byInode.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort();
}

function compare(layers: UnionInput[][], label: string) {
  const model = modelMerge(layers);
  const { tree } = kernelTree(layers);
  const summary = (t: Map<string, ModelNode>) => [...t].map(([p, n]) => `${p} ${n.type} L${n.layer} src=${n.srcLayer}:${n.srcEntry}`).sort();
  // implicit directories: the kernel lends them a lower directory's metadata, the model keeps the
  // lower node itself; compare which lower entry supplies them, else "none"
  assert.equal(summary(tree).map((l) => l.replace(/ L\d+ src=-1:-1$/, ' implicit')), summary(model).map((l) => l.replace(/ L\d+ src=-1:-1$/, ' implicit')), label);
  assert.equal(groups(tree), groups(model), `${label}: hardlink groups`);
}

const f = (name: string, extra: Partial<UnionInput> = {}): UnionInput => ({ type: 'file', name, ...extra });
const d = (name: string): UnionInput => ({ type: 'dir', name });

test('whiteouts hide lower paths and their subtrees, never same-layer entries', () => {
  const layers = [
    [d('etc/'), f('etc/passwd'), f('etc/motd'), d('var/'), d('var/log/'), f('var/log/a')],
    [f('etc/.wh.motd'), f('.wh.var'), d('var/'), f('var/new'), f('etc/motd2'), f('etc/.wh.motd2')],
  ];
  const { tree } = kernelTree(layers);
  assert.equal([...tree.keys()], ['etc', 'etc/motd2', 'etc/passwd', 'var', 'var/new']);
  compare(layers, 'whiteouts');
});

test('an opaque marker hides lower children wherever it sits in the layer', () => {
  const layers = [
    [d('data/'), f('data/a'), d('data/sub/'), f('data/sub/b'), f('keep')],
    [f('data/new'), d('data/'), f('data/.wh..wh..opq')],
  ];
  assert.equal([...kernelTree(layers).tree.keys()], ['data', 'data/new', 'keep']);
  compare(layers, 'opaque');
});

test('type changes: file over dir, dir over file, symlink over dir', () => {
  const layers = [
    [d('a/'), f('a/x'), f('b'), d('c/'), f('c/y')],
    [f('a'), d('b/'), f('b/z'), { type: 'symlink', name: 'c' } as UnionInput],
  ];
  const { tree } = kernelTree(layers);
  assert.equal([...tree.keys()], ['a', 'b', 'b/z', 'c']);
  assert.is(tree.get('c')!.type, 'symlink');
  compare(layers, 'type changes');
});

test('implicit parents borrow the metadata of the directory below; children are sorted depth-first', () => {
  const layers = [[d('a/'), f('a-b'), f('a/z')], [f('a/b/c/file'), f('a.txt')]];
  const { union, tree } = kernelTree(layers);
  assert.equal(tree.get('a')!.srcLayer, 0);
  assert.equal(tree.get('a/b')!.srcLayer, -1);
  assert.equal(Array.from({ length: union.count }, (_, i) => union.path(i)), ['a', 'a/b', 'a/b/c', 'a/b/c/file', 'a/z', 'a-b', 'a.txt']);
  assert.equal(union.children(-1).map((p) => union.path(p)), ['a', 'a-b', 'a.txt']);
  assert.equal(union.children(union.lookup('a')).map((p) => union.path(p)), ['a/b', 'a/z']);
  compare(layers, 'implicit');
});

test('hardlinks resolve to their target as their layer sees it; a lower target is copied up', () => {
  const layers = [
    [d('bin/'), f('bin/tool'), { type: 'hardlink', name: 'bin/same', link: 'bin/tool' } as UnionInput, f('x')],
    [{ type: 'hardlink', name: 'bin/up', link: '/bin/tool' } as UnionInput, { type: 'hardlink', name: 'y', link: 'x' } as UnionInput],
    [f('x')],
  ];
  const { tree } = kernelTree(layers);
  assert.equal(tree.get('bin/up')!.srcLayer, 0);
  assert.equal(tree.get('bin/up')!.layer, 1);
  assert.equal(groups(tree), [['bin/same'], ['bin/tool', 'bin/up']].filter((g) => g.length > 1));
  assert.is(tree.get('x')!.layer, 2);
  assert.is(tree.get('y')!.layer, 1);
  compare(layers, 'hardlinks');
});

test('lookup cleans lexically, finds the root, refuses escapes', () => {
  const union = buildUnion(core(), [[d('./etc/'), f('./etc/passwd')]]);
  assert.ok(union.lookup('/etc//passwd') >= 0);
  assert.is(union.lookup('etc/x/../passwd'), union.lookup('etc/passwd'));
  assert.is(union.lookup('/'), -2);
  assert.is(union.lookup('nope'), -1);
  assert.is(union.lookup('../etc'), -3);
});

test('hostile names are typed errors', () => {
  const code = (layers: UnionInput[][]) => {
    try { buildUnion(core(), layers); return 'ok'; } catch (e) { return (e as LayerkitError).code; }
  };
  assert.is(code([[f('../x')]]), 'PATH_ESCAPE');
  assert.is(code([[f('/../x')]]), 'PATH_ESCAPE');
  assert.is(code([[f('a/../../x')]]), 'PATH_ESCAPE');
  for (const name of ['.wh..', '.wh...', 'etc/.wh...', '.wh.']) assert.is(code([[f(name)]]), 'WHITEOUT_INVALID', name);
  assert.is(code([[f('.wh.etc/somefile')]]), 'WHITEOUT_INVALID');
  assert.is(code([[{ type: 'hardlink', name: 'h', link: '../../V/hello' }]]), 'PATH_ESCAPE');
  assert.is(code([[{ type: 'hardlink', name: 'h', link: 'later' }, f('later')]]), 'HARDLINK_INVALID');
  assert.is(code([[d('dir/'), { type: 'hardlink', name: 'h', link: 'dir' }]]), 'HARDLINK_INVALID');
  assert.is(code([[f('.wh.x'), { type: 'hardlink', name: 'h', link: '.wh.x' }]]), 'HARDLINK_INVALID');
  assert.is(code([[f('./')]]), 'ROOT_TYPE_CHANGE');
  assert.is(code([[d('./'), f('/etc/x'), f('////etc/y')]]), 'ok');
  assert.is(code([[{ type: 'symlink', name: 'bin/sh', link: '/bin/busybox' }]]), 'ok');
});

/** A random stack over a small name universe, so layers collide often. */
function randomStack(seed: number): UnionInput[][] {
  const next = randomInts(seed);
  const names = ['a', 'b', 'c', 'a/x', 'a/y', 'a/x/p', 'a/x/q', 'b/z', 'b/z/w', 'c/k'];
  const layers: UnionInput[][] = [];
  const count = 2 + next(5);
  for (let l = 0; l < count; l++) {
    const entries: UnionInput[] = [];
    const seen = new Set<string>();
    const files = new Set<string>();
    for (let i = 0, n = 1 + next(7); i < n; i++) {
      const name = names[next(names.length)]!;
      const op = next(10);
      const parent = parentOf(name);
      const base = name.slice(parent ? parent.length + 1 : 0);
      // keep each layer free of same-layer conflicts (see below): one type per path, nothing under a file
      const clash = (asFile: boolean) => [...seen].some((other) => (other === name && (asFile || files.has(name))) ||
        (asFile && under(other, name)) || (files.has(other) && under(name, other)));
      if (op < 3 && !clash(false)) entries.push(d(name + '/'));
      else if (op < 6 && !clash(true)) { entries.push(f(name)); files.add(name); }
      else if (op < 7 && !clash(true)) { entries.push({ type: 'symlink', name, link: '../x' }); files.add(name); }
      else if (op < 7) continue;
      else if (op < 9) entries.push(f(parent ? `${parent}/.wh.${base}` : `.wh.${base}`));
      else if (!files.has(name) && ![...files].some((file) => under(name, file))) entries.push(f(`${name}/.wh..wh..opq`));
      else continue;
      if (op < 7) seen.add(name);
    }
    layers.push(entries);
  }
  return layers;
}

test('kernel equals the bottom-up model on 2000 random stacks', () => {
  let compared = 0;
  for (let seed = 1; seed <= 2000; seed++) {
    const layers = randomStack(seed);
    // same-layer conflicts (a file and entries below it in one layer, or one path both a file and
    // a directory) mean different things to an extractor (in order) and to overlayfs (last wins)
    const conflicting = layers.some((entries) => {
      const real = entries.filter((e) => !String(e.name).includes('.wh.'));
      const files = new Set(real.filter((e) => e.type !== 'dir').map((e) => clean(String(e.name))));
      const dirs = new Set(real.filter((e) => e.type === 'dir').map((e) => clean(String(e.name))));
      return [...files].some((file) => dirs.has(file)) || entries.some((e) => [...files].some((file) => under(clean(String(e.name)), file)));
    });
    if (conflicting) continue;
    compare(layers, `seed ${seed}: ${JSON.stringify(layers.map((l) => l.map((e) => `${e.type[0]}:${e.name}`)))}`);
    compared++;
  }
  assert.ok(compared > 1000, `only ${compared} stacks without same-layer conflicts`);
});

test.run();
