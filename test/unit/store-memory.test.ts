// The in-memory store: the same contract as the disk store — verify before storing, names,
// copy an image in and back out with every digest kept, gc keeps exactly what names reach.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { copyImageToStore, storeImage } from '../../src/store/store-image.ts';
import { collectGarbage } from '../../src/store/gc.ts';
import { cachedLayerIndex } from '../../src/store/layer-cache.ts';
import type { Layer } from '../../src/image/types.ts';
import { imageFromManifest } from '../../src/image/blob-image.ts';
import { ready } from '../_setup.ts';
import { codeOf, drain, sha256, streamOf, twoLayerImage, utf8 } from './_image-fixtures.ts';

test.before(async () => void (await ready()));

test('putBlob stores only bytes that match digest and size', async () => {
  const store = new MemoryStore();
  const bytes = utf8('content');
  const d = { digest: sha256(bytes), size: bytes.length };
  assert.is(await codeOf(store.putBlob(d, async () => streamOf(utf8('tampered')))), 'SIZE_MISMATCH');
  assert.is(await codeOf(store.putBlob(d, async () => streamOf(utf8('Content')))), 'DIGEST_MISMATCH');
  assert.is(await store.hasBlob(d.digest), false, 'nothing stored after a mismatch');
  await store.putBlob(d, async () => streamOf(bytes));
  assert.equal(await drain(await store.openBlob(d.digest)), bytes);
  assert.is(await codeOf(store.readBlob(d.digest, 3)), 'DOCUMENT_TOO_LARGE');
  assert.is(await codeOf(store.openBlob(sha256(utf8('absent')))), 'BLOB_UNKNOWN');
  assert.is(await codeOf(store.hasBlob('sha256:../x' as never)), 'DIGEST_INVALID');
});

test('an image copied in and opened again keeps manifest, config and layer digests', async () => {
  const fixture = await twoLayerImage();
  const store = new MemoryStore();
  await copyImageToStore(fixture.image(), store, ['docker.io/library/a:1', 'docker.io/library/a:latest']);
  const back = await storeImage(store, 'docker.io/library/a:1');
  assert.is((await back.manifestDescriptor()).digest, sha256(fixture.manifest));
  assert.equal(await back.rawConfig(), fixture.config);
  const layers = await back.layers();
  assert.equal(layers.map((l) => l.diffID), fixture.tars.map(sha256));
  assert.equal(await drain(await layers[1]!.uncompressed()), fixture.tars[1]);
  assert.equal((await store.listNames()).map((e) => e.name), ['docker.io/library/a:1', 'docker.io/library/a:latest']);
  assert.is(await codeOf(storeImage(store, 'docker.io/library/b:1')), 'IMAGE_NOT_FOUND');
});

test('a layer whose diffID differs from the config is DIGEST_MISMATCH and nothing is named', async () => {
  const fixture = await twoLayerImage();
  const config = JSON.parse(new TextDecoder().decode(fixture.config));
  config.rootfs.diff_ids[0] = sha256(utf8('not the tar'));
  const configBytes = utf8(JSON.stringify(config));
  fixture.blobs.set(sha256(configBytes), configBytes);
  const manifest = JSON.parse(new TextDecoder().decode(fixture.manifest));
  manifest.config = { ...manifest.config, digest: sha256(configBytes), size: configBytes.length };
  const bytes = utf8(JSON.stringify(manifest));
  const image = imageFromManifest(fixture.source, bytes, { mediaType: manifest.mediaType, digest: sha256(bytes), size: bytes.length });
  const store = new MemoryStore();
  assert.is(await codeOf(copyImageToStore(image, store, ['docker.io/library/bad:1'])), 'DIGEST_MISMATCH');
  assert.equal(await store.listNames(), []);
  assert.equal(await store.listBlobs(), [], 'the bad layer was not kept');
});

test('gc removes exactly the blobs no name reaches', async () => {
  const fixture = await twoLayerImage();
  const store = new MemoryStore();
  await copyImageToStore(fixture.image(), store, ['docker.io/library/a:1']);
  const stray = utf8('stray');
  await store.putBytes({ digest: sha256(stray), size: stray.length }, stray);
  const first = await collectGarbage(store);
  assert.equal(first.removed, [sha256(stray)]);
  assert.is((await store.listBlobs()).length, 4);
  await store.deleteName('docker.io/library/a:1');
  const second = await collectGarbage(store);
  assert.is(second.removed.length, 4);
  assert.equal(await store.listBlobs(), []);
});

test('gc prunes cached indexes whose diffID no stored config lists', async () => {
  const fixture = await twoLayerImage();
  const store = new MemoryStore();
  await copyImageToStore(fixture.image(), store, ['docker.io/library/a:1']);
  const layers = await fixture.image().layers();
  for (const layer of layers) (await cachedLayerIndex(store, layer)).index.free();
  const orphan = sha256(utf8('a layer of an image that is not stored'));
  await store.putCache('layer-index', orphan, utf8('index bytes'));
  const first = await collectGarbage(store);
  assert.equal(first.removedCache, [{ kind: 'layer-index', diffID: orphan }]);
  assert.ok(first.freed >= 'index bytes'.length);
  assert.equal((await store.listCache()).map((e) => e.diffID).sort(), layers.map((l) => l.diffID).sort());
  await store.deleteName('docker.io/library/a:1');
  const second = await collectGarbage(store);
  assert.equal(second.removedCache.map((e) => e.diffID).sort(), layers.map((l) => l.diffID).sort());
  assert.equal(await store.listCache(), []);
});

test('LayerIndex cached by diffID: the second look reads no layer byte', async () => {
  const fixture = await twoLayerImage();
  const store = new MemoryStore();
  const [gzipped] = await fixture.image().layers();
  let opens = 0;
  const counted: Layer = { ...gzipped!, compressed: async () => (opens++, gzipped!.compressed()) };
  const first = await cachedLayerIndex(store, counted);
  assert.is(first.cached, false);
  assert.equal([...Array(first.index.count).keys()].map((i) => first.index.path(i)), ['etc/', 'etc/passwd']);
  const second = await cachedLayerIndex(store, counted);
  assert.is(second.cached, true);
  assert.is(opens, 1, 'the layer was read once');
  assert.equal([...Array(second.index.count).keys()].map((i) => second.index.path(i)), ['etc/', 'etc/passwd']);
  first.index.free();
  second.index.free();
  const lying: Layer = { ...gzipped!, diffID: sha256(utf8('other')) };
  assert.is(await codeOf(cachedLayerIndex(new MemoryStore(), lying)), 'DIGEST_MISMATCH');
});

test.run();
