// The store's LayerIndex cache wired into the union view (indexStack's `indexOf`): counted layer
// opens prove that the first look reads each layer once and the second reads none, that a
// --sha256 request is never answered by an index without file digests, that content reads still
// stream (only) the supplying layer, verified, and that nothing unverified is cached. On generated
// stacks the cached union equals the union read straight from the layers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { indexStack, type IndexSource } from '../../src/fs/layer-stack.ts';
import { UnionFS, type FsEntry } from '../../src/fs/union-fs.ts';
import type { Layer } from '../../src/image/types.ts';
import { cachedLayerIndex, LAYER_INDEX_CACHE, LAYER_INDEX_SHA256_CACHE } from '../../src/store/layer-cache.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { randomInts, ready } from '../_setup.ts';
import { codeOf, gzip, sha256, streamOf, twoLayerImage, utf8 } from './_image-fixtures.ts';

test.before(async () => void (await ready()));

/** Layers whose every open (stored or uncompressed bytes) is counted, per layer. */
function counted(layers: Layer[]): { layers: Layer[]; opens: number[]; reset(): void } {
  const opens = layers.map(() => 0);
  const wrapped = layers.map((layer, k): Layer => ({
    ...layer,
    compressed: async () => (opens[k]!++, layer.compressed()),
    uncompressed: async () => (opens[k]!++, layer.uncompressed()),
  }));
  return { layers: wrapped, opens, reset: () => opens.fill(0) };
}

const cacheIn = (store: MemoryStore): IndexSource => async (layer, { sha256: digests }) => (await cachedLayerIndex(store, layer, { sha256Files: digests })).index;
const view = (fs: UnionFS) => JSON.stringify([...fs.walk()].map((e: FsEntry) => ({ ...e, xattrs: e.xattrs ? [...e.xattrs] : undefined })));

test('first look reads each layer once, the second reads none, and shows the same tree', async () => {
  const fixture = await twoLayerImage();
  const c = counted(await fixture.image().layers());
  const store = new MemoryStore();
  const direct = view(UnionFS.fromStack(await indexStack(c.layers)));
  assert.equal(c.opens, [1, 1], 'without a cache: one read per layer');
  c.reset();
  const first = view(UnionFS.fromStack(await indexStack(c.layers, { indexOf: cacheIn(store) })));
  assert.equal(c.opens, [1, 1]);
  c.reset();
  const second = view(UnionFS.fromStack(await indexStack(c.layers, { indexOf: cacheIn(store) })));
  assert.equal(c.opens, [0, 0], 'the second look reads no layer');
  assert.is(first, direct);
  assert.is(second, direct);
});

test('--sha256 needs its own kind: a plain index never answers it; a digest index answers both', async () => {
  const fixture = await twoLayerImage();
  const c = counted(await fixture.image().layers());
  const store = new MemoryStore();
  await indexStack(c.layers, { indexOf: cacheIn(store) });
  c.reset();
  const fs = UnionFS.fromStack(await indexStack(c.layers, { sha256: true, indexOf: cacheIn(store) }));
  assert.equal(c.opens, [1, 1], 'a plain cached index does not answer a --sha256 request');
  assert.is(fs.stat('tmp/newfile').sha256, sha256(utf8('Hello world\n')).slice(7));
  assert.is(fs.stat('etc/passwd').sha256, sha256(utf8('root:x:0:0::/root:/bin/sh\n')).slice(7));
  const first = view(fs); // one union per core at a time: read it before the next merge
  c.reset();
  const again = UnionFS.fromStack(await indexStack(c.layers, { sha256: true, indexOf: cacheIn(store) }));
  assert.equal(c.opens, [0, 0]);
  assert.is(view(again), first);
  // only a digest index cached: it answers a plain request too
  const digestsOnly = new MemoryStore();
  await indexStack(c.layers, { sha256: true, indexOf: cacheIn(digestsOnly) });
  c.reset();
  await indexStack(c.layers, { indexOf: cacheIn(digestsOnly) });
  assert.equal(c.opens, [0, 0]);
  // a plain index filed under the digest kind (damage, or an older writer) is not trusted
  const wrong = new MemoryStore();
  await indexStack(c.layers, { indexOf: cacheIn(wrong) });
  for (const layer of c.layers) await wrong.putCache(LAYER_INDEX_SHA256_CACHE, layer.diffID, (await wrong.getCache(LAYER_INDEX_CACHE, layer.diffID))!);
  c.reset();
  const rebuilt = UnionFS.fromStack(await indexStack(c.layers, { sha256: true, indexOf: cacheIn(wrong) }));
  assert.equal(c.opens, [1, 1]);
  assert.ok(rebuilt.stat('tmp/newfile').sha256);
});

test('content reads stream only the supplying layer, checked against the cached file digest', async () => {
  const fixture = await twoLayerImage();
  const c = counted(await fixture.image().layers());
  const store = new MemoryStore();
  await indexStack(c.layers, { sha256: true, indexOf: cacheIn(store) });
  c.reset();
  const fs = UnionFS.fromStack(await indexStack(c.layers, { sha256: true, indexOf: cacheIn(store) }));
  assert.is(new TextDecoder().decode(await fs.readFile('tmp/newfile')), 'Hello world\n');
  await fs.close();
  assert.equal(c.opens, [0, 1], 'cat reads the top layer only');
  // the top layer's blob replaced by other bytes: the index still comes from the cache, the content read fails
  const [, top] = await fixture.image().layers();
  fixture.blobs.set(top!.digest, await writeTar([{ name: 'tmp/', type: 'dir' }, { name: 'tmp/newfile', body: utf8('Hello WORLD\n') }]));
  const tampered = UnionFS.fromStack(await indexStack(await fixture.image().layers(), { sha256: true, indexOf: cacheIn(store) }));
  assert.is(await codeOf(tampered.readFile('tmp/newfile')), 'DIGEST_MISMATCH');
  await tampered.close();
});

test('a damaged cache entry is rebuilt; a layer that fails verification is never cached', async () => {
  const fixture = await twoLayerImage();
  const c = counted(await fixture.image().layers());
  const store = new MemoryStore();
  await indexStack(c.layers, { indexOf: cacheIn(store) });
  const key = c.layers[1]!.diffID;
  const bytes = (await store.getCache(LAYER_INDEX_CACHE, key))!;
  await store.putCache(LAYER_INDEX_CACHE, key, bytes.slice(0, bytes.length - 3));
  c.reset();
  await indexStack(c.layers, { indexOf: cacheIn(store) });
  assert.equal(c.opens, [0, 1], 'only the damaged entry is read again');
  // a diffID the tar does not have
  const empty = new MemoryStore();
  const [base] = await fixture.image().layers();
  const lying: Layer = { ...base!, diffID: sha256(utf8('not this tar')) };
  assert.is(await codeOf(indexStack([lying], { indexOf: cacheIn(empty) })), 'DIGEST_MISMATCH');
  assert.is(await empty.getCache(LAYER_INDEX_CACHE, lying.diffID), undefined);
  // a blob whose bytes are not its digest (same tar, stored differently): refused, nothing cached
  fixture.blobs.set(base!.digest, await gzip(fixture.tars[1]!));
  const code = await codeOf(indexStack(await fixture.image().layers(), { indexOf: cacheIn(empty) }));
  assert.ok(code === 'DIGEST_MISMATCH' || code === 'SIZE_MISMATCH', code);
  assert.is(await empty.getCache(LAYER_INDEX_CACHE, base!.diffID), undefined);
});

test('a store that cannot be read or written leaves the view working, uncached', async () => {
  const fixture = await twoLayerImage();
  const c = counted(await fixture.image().layers());
  const broken = { getCache: async () => Promise.reject(new Error('EIO')), putCache: async () => Promise.reject(new Error('EROFS')) };
  const indexOf: IndexSource = async (layer, o) => (await cachedLayerIndex(broken, layer, { sha256Files: o.sha256 })).index;
  const fs = UnionFS.fromStack(await indexStack(c.layers, { indexOf }));
  assert.ok(fs.stat('tmp/newfile'));
  assert.equal(c.opens, [1, 1]);
});

const NAMES = ['a', 'b', 'a/x', 'a/y', 'b/x', 'a/x/p', 'c', 'c/z'];

/** A random stack of 1-5 layers: files, dirs, symlinks, hardlinks, whiteouts and opaque markers. */
function randomStack(seed: number): TarWriteEntry[][] {
  const next = randomInts(seed);
  return Array.from({ length: 1 + next(5) }, (_, layer) => {
    const entries: TarWriteEntry[] = [];
    const used = new Set<string>();
    for (let n = 1 + next(7); n > 0; n--) {
      const name = NAMES[next(NAMES.length)]!;
      if (used.has(name)) continue;
      used.add(name);
      const meta = { mode: [0o644, 0o755, 0o600][next(3)]!, mtime: { sec: 1_700_000_000 + layer, nsec: 0 } };
      const slash = name.lastIndexOf('/');
      const base = (prefix: string) => `${name.slice(0, slash + 1)}${prefix}${name.slice(slash + 1)}`;
      switch (next(6)) {
        case 0: entries.push({ name: `${name}/`, type: 'dir', ...meta }); break;
        case 1: entries.push({ name, type: 'symlink', linkname: next(2) ? 'a' : '/b/x', ...meta }); break;
        case 2: entries.push({ name: base('.wh.'), type: 'file', ...meta }); break;
        case 3: entries.push({ name: `${name}/.wh..wh..opq`, type: 'file', ...meta }); break;
        default: entries.push({ name, type: 'file', body: utf8(`${name} ${layer} ${next(100)}`), ...meta });
      }
      if (next(4) === 0 && entries.at(-1)!.type === 'file' && !entries.at(-1)!.name.includes('.wh.')) {
        entries.push({ name: `${name}-link`, type: 'hardlink', linkname: name, ...meta });
      }
    }
    return entries;
  });
}

function memoryLayer(stored: Uint8Array, tar: Uint8Array): Layer {
  return {
    digest: sha256(stored), diffID: sha256(tar), size: stored.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressed: async () => streamOf(stored),
    uncompressed: async () => streamOf(tar),
  };
}

test('on 60 generated stacks the cached union (cold and warm, with and without digests) equals the direct one', async () => {
  for (let seed = 1; seed <= 60; seed++) {
    const tars = await Promise.all(randomStack(seed).map((entries) => writeTar(entries)));
    const layers = await Promise.all(tars.map(async (tar) => memoryLayer(seed % 2 ? await gzip(tar) : tar, tar)));
    const store = new MemoryStore();
    // a stack the union refuses (a symlink loop in a layer) must be refused the same way
    const union = (options: Parameters<typeof indexStack>[1]) => indexStack(layers, options).then((s) => view(UnionFS.fromStack(s))).catch((e) => `error ${e.code}`);
    for (const sha of [false, true]) {
      const direct = await union({ sha256: sha });
      const cold = await union({ sha256: sha, indexOf: cacheIn(store) });
      const warm = await union({ sha256: sha, indexOf: cacheIn(store) });
      assert.is(cold, direct, `seed ${seed} sha256 ${sha} (cold)`);
      assert.is(warm, direct, `seed ${seed} sha256 ${sha} (warm)`);
    }
  }
});

test.run();
