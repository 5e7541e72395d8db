// The on-disk store: verify-then-rename, nothing left on failure, digests checked before any
// path is built, atomic index.json, names in annotations, and the LayerIndex cache across opens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { LayoutStore, NAME_ANNOTATION, REF_ANNOTATION } from '../../src/store/layout-store.ts';
import { cachedLayerIndex } from '../../src/store/layer-cache.ts';
import { copyImageToStore, storeImage } from '../../src/store/store-image.ts';
import { openImage } from '../../src/cli/resolve.ts';
import type { Digest } from '../../src/digest/digest.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const work = mkdtempSync(`${tmpdir()}/layerkit-store-`);
const sample = new URL('../../sample/oci', import.meta.url).pathname;
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const stream = (b: Uint8Array) => new Blob([b as Uint8Array<ArrayBuffer>]).stream();
test.after(() => rmSync(work, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'no error', (e) => (e as { code?: string }).code ?? String(e));
}

test('a blob is visible only after size and digest matched; failures leave nothing behind', async () => {
  const store = await LayoutStore.open(`${work}/a`);
  const bytes = new TextEncoder().encode('layer bytes');
  const d = { digest: sha(bytes), size: bytes.length };
  assert.is(await code(store.putBlob(d, async () => stream(new TextEncoder().encode('layer bytez')))), 'DIGEST_MISMATCH');
  assert.is(await code(store.putBlob(d, async () => stream(bytes.subarray(1)))), 'SIZE_MISMATCH');
  assert.is(existsSync(store.blobPath(d.digest)), false);
  assert.equal(readdirSync(`${work}/a/ingest`).filter((f) => f.endsWith('.partial')), []);
  await store.putBlob(d, async () => stream(bytes));
  assert.equal(new Uint8Array(readFileSync(store.blobPath(d.digest))), bytes);
});

test('digest strings like sha256:../x are refused before any path is built', async () => {
  const store = await LayoutStore.open(`${work}/b`);
  const before = readdirSync(`${work}/b`, { recursive: true }).sort();
  for (const bad of ['sha256:../x', 'sha256:../../../../tmp/owned', `sha256:${'A'.repeat(64)}`, 'sha1:abc']) {
    assert.is(await code(store.putBlob({ digest: bad as Digest, size: 1 }, async () => stream(new Uint8Array(1)))), 'DIGEST_INVALID', bad);
    assert.is(await code(store.openBlob(bad as Digest)), 'DIGEST_INVALID', bad);
    assert.is(await code(store.getCache('layer-index', bad as Digest)), 'DIGEST_INVALID', bad);
  }
  assert.equal(readdirSync(`${work}/b`, { recursive: true }).sort(), before);
});

test('names live in index.json annotations (containerd name + OCI tag); retagging replaces', async () => {
  const store = await LayoutStore.open(`${work}/c`);
  const image = await openImage(`oci:${sample}:latest`);
  await copyImageToStore(image, store, ['docker.io/library/sample:1']);
  await copyImageToStore(image, store, ['docker.io/library/sample:1']);
  const index = JSON.parse(readFileSync(`${work}/c/index.json`, 'utf8'));
  assert.is(index.manifests.length, 1);
  assert.equal(index.manifests[0].annotations, { [NAME_ANNOTATION]: 'docker.io/library/sample:1', [REF_ANNOTATION]: '1' });
  const back = await storeImage(store, 'docker.io/library/sample:1');
  assert.is((await back.manifestDescriptor()).digest, (await image.manifestDescriptor()).digest);
  assert.equal(readdirSync(`${work}/c/ingest`), [], 'no temporary files remain');
});

test('the LayerIndex cache survives reopening the store', async () => {
  const image = await openImage(`oci:${sample}:latest`);
  const [, hello] = await image.layers();
  const first = await cachedLayerIndex(await LayoutStore.open(`${work}/d`), hello!);
  assert.is(first.cached, false);
  const again = await cachedLayerIndex(await LayoutStore.open(`${work}/d`), hello!);
  assert.is(again.cached, true);
  const paths = [...Array(again.index.count).keys()].map((i) => again.index.path(i));
  assert.ok(paths.includes('tmp/newfile'), paths.join());
  first.index.free();
  again.index.free();
});

test.run();
