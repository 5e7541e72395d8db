// Hostile and well-formed documents: caps before reading whole, index/manifest confusion,
// schema 1, bad digests refused before any path exists, corrupted blobs detected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseConfig, parseManifestOrIndex } from '../../src/image/documents.ts';
import { readDocument, resolveImage, type BlobSource } from '../../src/image/blob-image.ts';
import { verified } from '../../src/image/verify.ts';
import type { Digest } from '../../src/digest/digest.ts';
import { ready } from '../_setup.ts';
import { codeOf, drain, sha256, streamOf, twoLayerImage, utf8 } from './_image-fixtures.ts';

test.before(async () => void (await ready()));

const D = sha256(utf8('x'));
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: D, size: 1 };

/** A source that serves `size` zero bytes for any digest and counts what was read. */
function endless(size: number): BlobSource & { read: number } {
  const counter = {
    read: 0,
    async open() {
      let left = size;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          if (left <= 0) return c.close();
          const n = Math.min(left, 64 << 10);
          left -= n;
          counter.read += n;
          c.enqueue(new Uint8Array(n));
        },
      });
    },
  };
  return counter;
}

test('a manifest descriptor over 4 MiB is refused before anything is read (DOCUMENT_TOO_LARGE)', async () => {
  const source = endless(5 << 20);
  const code = await codeOf(resolveImage(source, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 5 << 20 }));
  assert.is(code, 'DOCUMENT_TOO_LARGE');
  assert.is(source.read, 0);
});

test('a manifest whose descriptor lies about its size stops at size + 1, not at the end (SIZE_MISMATCH)', async () => {
  const source = endless(64 << 20);
  const code = await codeOf(readDocument(source, { ...desc, size: 100 }, MAX_MANIFEST_BYTES, 'manifest'));
  assert.is(code, 'SIZE_MISMATCH');
  assert.ok(source.read <= 128 << 10, `read ${source.read} bytes`);
});

test('a config over 8 MiB is refused before it is read whole (DOCUMENT_TOO_LARGE)', async () => {
  const fixture = await twoLayerImage();
  const manifest = JSON.parse(new TextDecoder().decode(fixture.manifest));
  manifest.config.size = MAX_CONFIG_BYTES + 1;
  const bytes = utf8(JSON.stringify(manifest));
  const source = endless(2 << 30);
  const { imageFromManifest } = await import('../../src/image/blob-image.ts');
  const image = imageFromManifest(source, bytes, { mediaType: manifest.mediaType, digest: sha256(bytes), size: bytes.length });
  assert.is(await codeOf(image.config()), 'DOCUMENT_TOO_LARGE');
  assert.is(source.read, 0);
  manifest.config.size = 10;
  const lying = utf8(JSON.stringify(manifest));
  const image2 = imageFromManifest(source, lying, { mediaType: manifest.mediaType, digest: sha256(lying), size: lying.length });
  assert.is(await codeOf(image2.config()), 'SIZE_MISMATCH');
  assert.ok(source.read <= 128 << 10, `read ${source.read} bytes`);
  assert.is(await codeOf(() => parseConfig(new Uint8Array(MAX_CONFIG_BYTES + 1))), 'DOCUMENT_TOO_LARGE');
  assert.is(await codeOf(() => parseManifestOrIndex(new Uint8Array(MAX_MANIFEST_BYTES + 1))), 'DOCUMENT_TOO_LARGE');
});

test('a document that is both an index and a manifest is refused (DOCUMENT_AMBIGUOUS)', async () => {
  const both = { schemaVersion: 2, manifests: [], config: desc, layers: [] };
  assert.is(await codeOf(() => parseManifestOrIndex(utf8(JSON.stringify(both)))), 'DOCUMENT_AMBIGUOUS');
  const typedIndex = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', config: desc, layers: [] };
  assert.is(await codeOf(() => parseManifestOrIndex(utf8(JSON.stringify(typedIndex)))), 'DOCUMENT_AMBIGUOUS');
  const announced = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: desc, layers: [] };
  assert.is(await codeOf(() => parseManifestOrIndex(utf8(JSON.stringify(announced)), 'application/vnd.oci.image.index.v1+json')), 'DOCUMENT_AMBIGUOUS');
});

test('schema 1 manifests get a clear "not supported" (SCHEMA1_UNSUPPORTED)', async () => {
  const schema1 = { schemaVersion: 1, name: 'library/x', tag: 'latest', fsLayers: [], history: [] };
  assert.is(await codeOf(() => parseManifestOrIndex(utf8(JSON.stringify(schema1)))), 'SCHEMA1_UNSUPPORTED');
  const signed = { ...schema1, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' };
  assert.is(await codeOf(() => parseManifestOrIndex(utf8(JSON.stringify(signed)))), 'SCHEMA1_UNSUPPORTED');
});

test('digest strings like sha256:../x are refused before a path is built (DIGEST_INVALID)', async () => {
  const asked: string[] = [];
  const source: BlobSource = { open: async (d) => (asked.push(d), streamOf(new Uint8Array())) };
  for (const digest of ['sha256:../x', 'sha256:../../etc/passwd', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, 'sha256:']) {
    const manifest = { schemaVersion: 2, config: { ...desc, digest }, layers: [] };
    assert.is(await codeOf(() => parseManifestOrIndex(utf8(JSON.stringify(manifest)))), 'DIGEST_INVALID', digest);
    const inIndex = { schemaVersion: 2, manifests: [{ ...desc, digest }] };
    assert.is(await codeOf(() => parseManifestOrIndex(utf8(JSON.stringify(inIndex)))), 'DIGEST_INVALID', digest);
    assert.is(await codeOf(resolveImage(source, { ...desc, digest: digest as Digest })), 'DIGEST_INVALID', digest);
  }
  assert.equal(asked, [], 'no blob was opened for a bad digest');
});

test('a config whose diff_ids hold a bad digest is refused (DIGEST_INVALID)', async () => {
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:../x'] } };
  assert.is(await codeOf(() => parseConfig(utf8(JSON.stringify(config)))), 'DIGEST_INVALID');
});

test('truncated, extended and bit-flipped blobs are detected (SIZE_MISMATCH, DIGEST_MISMATCH)', async () => {
  const bytes = utf8('the quick brown fox jumps over the lazy dog');
  const digest = sha256(bytes);
  assert.equal(await drain(verified(streamOf(bytes), digest, bytes.length)), bytes);
  assert.is(await codeOf(drain(verified(streamOf(bytes.subarray(0, 20)), digest, bytes.length))), 'SIZE_MISMATCH');
  assert.is(await codeOf(drain(verified(streamOf(new Uint8Array([...bytes, 0])), digest, bytes.length))), 'SIZE_MISMATCH');
  for (let i = 0; i < bytes.length; i += 7) {
    const flipped = bytes.slice();
    flipped[i]! ^= 1 << (i % 8);
    assert.is(await codeOf(drain(verified(streamOf(flipped), digest, bytes.length))), 'DIGEST_MISMATCH', `flip at ${i}`);
  }
});

test('layers of an image: digest and diffID are both verified as they stream', async () => {
  const fixture = await twoLayerImage();
  const [base, top] = await fixture.image().layers();
  assert.equal(await drain(await base!.uncompressed()), fixture.tars[0]);
  assert.equal(await drain(await top!.uncompressed()), fixture.tars[1]);
  const stored = fixture.blobs.get(base!.digest)!;
  const flipped = stored.slice();
  flipped[flipped.length >> 1]! ^= 0x10;
  fixture.blobs.set(base!.digest, flipped);
  assert.is(await codeOf(drain(await base!.compressed())), 'DIGEST_MISMATCH');
  const viaTar = await codeOf(async () => drain(await base!.uncompressed()));
  // The decompressor may stop first (its own typed code) or the digest check at the end: either detects it.
  assert.ok(['DIGEST_MISMATCH', 'LAYER_CORRUPT', 'DECOMPRESS_CORRUPT'].includes(viaTar), viaTar);
  fixture.blobs.set(base!.digest, stored.subarray(0, stored.length - 5));
  assert.is(await codeOf(drain(await base!.compressed())), 'SIZE_MISMATCH');
});

test('a config diffID that does not match the layer is DIGEST_MISMATCH on the uncompressed stream', async () => {
  const fixture = await twoLayerImage();
  const config = JSON.parse(new TextDecoder().decode(fixture.config));
  config.rootfs.diff_ids[1] = sha256(utf8('something else'));
  const configBytes = utf8(JSON.stringify(config));
  fixture.blobs.set(sha256(configBytes), configBytes);
  const manifest = JSON.parse(new TextDecoder().decode(fixture.manifest));
  manifest.config = { ...manifest.config, digest: sha256(configBytes), size: configBytes.length };
  const bytes = utf8(JSON.stringify(manifest));
  const { imageFromManifest } = await import('../../src/image/blob-image.ts');
  const layers = await imageFromManifest(fixture.source, bytes, { mediaType: manifest.mediaType, digest: sha256(bytes), size: bytes.length }).layers();
  assert.is(await codeOf(async () => drain(await layers[1]!.uncompressed())), 'DIGEST_MISMATCH');
});

test('the manifest count of layers must match diff_ids (DOCUMENT_INVALID)', async () => {
  const fixture = await twoLayerImage();
  const manifest = JSON.parse(new TextDecoder().decode(fixture.manifest));
  manifest.layers.pop();
  const bytes = utf8(JSON.stringify(manifest));
  const { imageFromManifest } = await import('../../src/image/blob-image.ts');
  assert.is(await codeOf(imageFromManifest(fixture.source, bytes, { mediaType: manifest.mediaType, digest: sha256(bytes), size: bytes.length }).layers()), 'DOCUMENT_INVALID');
});

test.run();
