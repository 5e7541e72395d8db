// unpack reads the headers of a layer stored as an uncompressed tar file ahead, by seeking, and
// writes its bodies in place from one verified stream after the merge (src/fs/unpack-bodies.ts).
// What must hold: the same tree as the spooled path and as GNU tar -xf (unpack-single-read covers
// that for both paths), the blob's bytes verified even when no body comes from it, a blob whose
// headers change between the two reads refused, and docker-archive members read ahead in place.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync } from 'node:fs';
import { openImage } from '../../src/cli/resolve.ts';
import type { Layer } from '../../src/image/types.ts';
import { unpackImage } from '../../src/fs/unpack.ts';
import { nodeTreeWriter } from '../../src/runtime/node-tree-writer.ts';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { layerkit } from '../_cli.ts';
import { memoryFile, memoryLayer, readTree, withTempDir, writeOciImage } from '../_overlay.ts';
import { expectCode, randomBytes, ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const mtime = { sec: 1_700_000_000, nsec: 0 };
const sample = new URL('../../sample/oci', import.meta.url).pathname;

function leftBehind(base: string): string[] {
  return ['R', 'R.layerkit-partial', 'R.layerkit-bodies'].filter((name) => existsSync(`${base}/${name}`));
}

test('a layer whose headers differ between the read ahead and the verified stream is refused, nothing left behind', async () => {
  await withTempDir('read-ahead-changed', async (base) => {
    const entries = (mode: number): TarWriteEntry[] => [
      { name: 'd/', type: 'dir', mode: 0o755, mtime },
      { name: 'd/f', type: 'file', mode, mtime, body: randomBytes(5000, 1) },
    ];
    const ahead = await writeTar(entries(0o644));
    const streamed = await writeTar(entries(0o4755)); // what the blob holds by the time it is streamed
    const layer: Layer = { ...memoryLayer(streamed), uncompressedFile: async () => memoryFile(ahead) };
    await expectCode(unpackImage([layer], `${base}/R`, nodeTreeWriter), 'LAYER_CHANGED');
    assert.equal(leftBehind(base), []);
  });
});

test('a layer read ahead that supplies no body is still verified before the tree appears', async () => {
  await withTempDir('read-ahead-verify', async (base) => {
    const lower = await writeTar([{ name: 'd/', type: 'dir', mode: 0o755, mtime }, { name: 'd/link', type: 'symlink', linkname: 'x', mtime }]);
    const upper = await writeTar([{ name: 'd/f', type: 'file', mode: 0o644, mtime, body: randomBytes(3000, 2) }]);
    writeOciImage(`${base}/img`, [lower, upper]);
    const layers = await openImage(`oci:${base}/img:latest`).then((image) => image.layers());
    assert.ok(layers.every((l) => l.uncompressedFile), 'layout layers stored uncompressed offer a seekable file');
    // bytes after the end of the archive: its headers read the same, only the stream's check (size, digest) tells
    appendFileSync(`${base}/img/blobs/sha256/${layers[0]!.digest.slice(7)}`, new Uint8Array(1024).fill(7));
    await expectCode(unpackImage(layers, `${base}/R`, nodeTreeWriter), 'SIZE_MISMATCH');
    assert.equal(leftBehind(base), []);
  });
});

test('docker-archive members and OCI layout blobs are read ahead and unpack to the same tree', async () => {
  await withTempDir('read-ahead-archive', async (base) => {
    const copy = layerkit(['copy', `oci:${sample}`, `docker-archive:${base}/sample.tar:sample:1`]);
    assert.is(copy.status, 0, copy.stderr);
    const trees = [];
    for (const [name, reference] of [['oci', `oci:${sample}`], ['archive', `docker-archive:${base}/sample.tar`]] as const) {
      const layers = await openImage(reference).then((image) => image.layers());
      assert.ok(layers.every((l) => l.uncompressedFile), `${name}: every layer offers a seekable file`);
      const file = (await layers[0]!.uncompressedFile!())!;
      try {
        const head = new Uint8Array(512);
        file.read(head, 0);
        assert.is(new TextDecoder().decode(head.subarray(257, 262)), 'ustar', `${name}: the file is the layer's tar`);
      } finally {
        file.close();
      }
      await unpackImage(layers, `${base}/${name}`, nodeTreeWriter, { rootless: true });
      trees.push(readTree(`${base}/${name}`));
    }
    assert.ok(trees[0]!.length > 3, 'the sample unpacked');
    assert.equal(trees[1], trees[0]);
  });
});

test.run();
