// The WASM diff kernel against the plain TypeScript reference (test/_tree.ts) on random tree
// pairs, and the generated layer's defining property: applied on A it gives B.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffTrees, walkDiff } from '../../src/diff/changes.ts';
import { layerEntries } from '../../src/diff/layer.ts';
import { buildTree, compareWalkOrder, type SourceEntry } from '../../src/diff/tree.ts';
import { ready } from '../_setup.ts';
import { applyLayer, randomTreePair, referenceDiff, treeDifferences, withContent, type RefEntry } from '../_tree.ts';

const PAIRS = 250;
const lines = (changes: { kind: string; path: string }[]) => changes.map((c) => `${c.kind} /${c.path}`);
const bytesOf = (e: { source?: unknown }) => (e.source as RefEntry | undefined)?.__bytes;

test.before(async () => void (await ready()));

test(`kernel equals the reference on ${PAIRS} random tree pairs (default, --content, --ignore mtime)`, async () => {
  let changed = 0;
  for (let seed = 1; seed <= PAIRS; seed++) {
    const [a, b] = randomTreePair(seed, 10 + (seed % 40)).map(withContent) as [ReturnType<typeof withContent>, ReturnType<typeof withContent>];
    const got = lines(await diffTrees(a, b));
    assert.equal(got, referenceDiff(a, b), `seed ${seed}`);
    assert.equal(lines(await diffTrees(a, b, { content: true })), referenceDiff(a, b, { content: true }), `seed ${seed} --content`);
    assert.equal(lines(await diffTrees(a, b, { ignore: ['mtime'] })), referenceDiff(a, b, { ignoreMtime: true }), `seed ${seed} --ignore mtime`);
    assert.equal(lines(await diffTrees(a, a)), [], `seed ${seed}: a tree against itself`);
    if (got.length) changed++;
  }
  assert.ok(changed > PAIRS * 0.8, `most pairs differ (${changed})`);
});

test(`applying the generated layer on A gives B on ${PAIRS} random pairs (whiteouts, and with opaque markers)`, async () => {
  let opaqueUsed = 0;
  for (let seed = 1; seed <= PAIRS; seed++) {
    const [a, b] = randomTreePair(seed, 10 + (seed % 40)).map(withContent) as [ReturnType<typeof withContent>, ReturnType<typeof withContent>];
    const records = await walkDiff(a, b, {}, true);
    for (const opaque of [false, true]) {
      const entries = layerEntries(b, records, { opaque });
      if (opaque && entries.some((e) => e.name.endsWith('.wh..wh..opq'))) opaqueUsed++;
      assert.equal(treeDifferences(applyLayer(a, entries, bytesOf), b), [], `seed ${seed} opaque ${opaque}`);
      const names = entries.map((e) => e.name);
      assert.equal(names.length, new Set(names).size, `seed ${seed}: no name written twice`);
      for (const e of entries) {
        const parent = e.name.replace(/\/$/, '').split('/').slice(0, -1).join('/');
        if (parent) assert.ok(names.indexOf(`${parent}/`) >= 0 && names.indexOf(`${parent}/`) < names.indexOf(e.name), `seed ${seed}: ${e.name} after its parent`);
      }
    }
  }
  assert.ok(opaqueUsed > 0, 'some pairs use an opaque marker');
});

test('walk order: "/" sorts before every other byte, per directory', () => {
  const tree = buildTree(['a b', 'a-1', 'a/x', 'a', 'a/x/y', 'b', 'A', 'a.b'].map((path) => ({ path, type: path === 'a' || path === 'a/x' ? 'dir' : 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtimeSec: 0, mtimeNsec: 0 }) as SourceEntry));
  assert.equal(tree.entries.map((e) => e.path), ['A', 'a', 'a/x', 'a/x/y', 'a b', 'a-1', 'a.b', 'b']);
  assert.ok(compareWalkOrder('a/😀', 'a/\uffff') > 0, 'UTF-8 byte order past U+FFFF');
});

test('hard links in a tar resolve to their target; the layer writes the first changed name as the file', async () => {
  const base = { mode: 0o755, uid: 0, gid: 0, mtimeSec: 1, mtimeNsec: 0 };
  const a = buildTree([{ ...base, path: 'bin', type: 'dir', size: 0 }, { ...base, path: 'bin/app', type: 'file', size: 3, sha256: 'x' }] as SourceEntry[]);
  const b = buildTree([
    { ...base, path: 'bin', type: 'dir', size: 0 }, { ...base, path: 'bin/app', type: 'file', size: 3, sha256: 'x' },
    { ...base, path: 'bin/app2', type: 'hardlink', size: 0, linkname: 'bin/app' },
  ] as SourceEntry[]);
  assert.equal(lines(await diffTrees(a, b)), ['A /bin/app2']);
  const entries = layerEntries(b, await walkDiff(a, b, {}, true));
  assert.equal(entries.map((e) => [e.name, e.type, e.linkname]), [['bin/', 'dir', undefined], ['bin/app2', 'file', undefined], ['bin/app', 'hardlink', 'bin/app2']]);
});

test('--parents lists every directory with a change below it, once, before its children (docker diff over overlayfs)', async () => {
  const [a, b] = randomTreePair(3, 40).map(withContent) as [ReturnType<typeof withContent>, ReturnType<typeof withContent>];
  const plain = await diffTrees(a, b);
  const withParents = await diffTrees(a, b, { parents: true });
  const paths = withParents.map((c) => c.path);
  assert.equal(paths.length, new Set(paths).size);
  assert.equal([...paths].sort(compareWalkOrder), paths, 'still in walk order');
  for (const c of plain) {
    const parts = c.path.split('/');
    for (let d = 1; d < parts.length; d++) {
      const dir = parts.slice(0, d).join('/');
      const inBoth = a.entries[a.index.get(dir) ?? -1]?.type === 'dir' && b.entries[b.index.get(dir) ?? -1]?.type === 'dir';
      if (inBoth) assert.ok(paths.includes(dir), `${dir} listed for ${c.path}`);
    }
  }
});

test.run();
