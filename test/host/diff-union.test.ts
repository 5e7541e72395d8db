// The two ways an image becomes a diff tree must agree: the union kernel's merged index
// (src/fs UnionFS → unionTree) and the plain TypeScript layer merge (mergedTree), on every
// case of ../shared/corpus/union; and diffing the union of layers 0..k-1 against 0..k must
// describe exactly what layer k's own tar carries (each non-whiteout path changed or present).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { diffTrees } from '../../src/diff/changes.ts';
import { loadContents, mergedTree, readImageLayers } from '../../src/diff/image-tree.ts';
import { unionTree } from '../../src/diff/union-tree.ts';
import { directoryFiles } from '../../src/formats/layout-files.ts';
import { openOciLayout } from '../../src/formats/oci-layout.ts';
import { UnionFS } from '../../src/fs/union-fs.ts';
import { ready, skip } from '../_setup.ts';
import { treeDifferences } from '../_tree.ts';
import { corpusDir } from '../_corpus.ts';

const CORPUS = corpusDir('union');
const cases = existsSync(CORPUS) ? readdirSync(CORPUS).filter((d) => existsSync(`${CORPUS}/${d}/oci/index.json`)).sort() : [];

test.before(async () => void (await ready()));

if (cases.length === 0) test('union corpus', () => skip('diff union corpus', `no corpus at ${CORPUS}`));
for (const id of cases) {
  test(`union ${id}: kernel union and TS merge give the same tree; each layer's diff stays inside what it lists`, async () => {
    const image = await openOciLayout(directoryFiles(`${CORPUS}/${id}/oci`), 'latest');
    const fs = await UnionFS.open(image, { sha256: true });
    try {
      const layers = await readImageLayers(image);
      const viaKernel = unionTree(fs);
      const viaMerge = mergedTree(layers);
      assert.equal(treeDifferences(viaKernel, viaMerge), [], 'same paths, types, modes, owners, sizes, times, links');
      assert.equal((await diffTrees(viaKernel, viaMerge, { content: true })).map((c) => `${c.kind} /${c.path}`), [], 'and no content differs');
      // loadContents reads the merged tree's files by offset, one pass per layer: same bytes as the union view.
      const files = viaMerge.entries.filter((e) => e.type === 'file' && e.size > 0);
      await loadContents(layers, files);
      for (const e of files) assert.equal(await e.content!(), await fs.readFile(e.path), e.path);
      for (let k = 1; k < layers.length; k++) {
        const changes = await diffTrees(mergedTree(layers.slice(0, k)), mergedTree(layers.slice(0, k + 1)));
        const listed = new Set(layers[k]!.entries.map((e) => e.path.replace(/(^|\/)\.wh\.(\.wh\.\.opq)?([^/]*)$/, (_, slash, opq, name) => (opq ? '' : `${slash}${name}`)).replace(/\/$/, '')));
        for (const c of changes) {
          const covered = [...listed].some((p) => c.path === p || c.path.startsWith(p + '/') || (p !== '' && p.startsWith(c.path + '/')));
          assert.ok(covered || listed.has(''), `layer ${k}: ${c.kind} /${c.path} comes from an entry of that layer`);
        }
      }
    } finally {
      await fs.close();
    }
  });
}

test.run();
