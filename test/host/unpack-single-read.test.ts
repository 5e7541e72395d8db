// unpack reads each layer once: its file bodies are spooled while the layer is indexed and moved
// into place after the merge (src/fs/unpack-bodies.ts). Checked against GNU tar -xf of the same
// layers, one after the other (no whiteouts in these stacks, so that is the union): the same tree,
// byte for byte, with the layer streams cut whole, byte by byte and at random split points, and
// every layer opened exactly once; and the same for layers read ahead (a seekable tar: headers
// first, bodies written in place from the one stream). GNU sparse files (read the slow way) and a
// blob that fails its digest (nothing left behind, spool included) too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openImage } from '../../src/cli/resolve.ts';
import type { Layer } from '../../src/image/types.ts';
import { unpackImage } from '../../src/fs/unpack.ts';
import { nodeTreeWriter } from '../../src/runtime/node-tree-writer.ts';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { memoryFile, memoryLayer, readTree, writeOciImage } from '../_overlay.ts';
import { expectCode, randomBytes, randomInts, randomSplits, ready, skip } from '../_setup.ts';

test.before(async () => void (await ready()));

const MiB = 1 << 20;
const mtime = { sec: 1_700_000_000, nsec: 0 };

/** Two layers: files of many sizes (empty, one block, across 1 MiB chunks), hardlinks, symlinks; the upper one rewrites some. */
function stack(seed: number, big: boolean): TarWriteEntry[][] {
  const next = randomInts(seed);
  const sizes = [0, 1, 511, 512, 513, 10_000, ...(big ? [MiB - 1, MiB, MiB + 700, 3 * MiB + 5] : [])];
  const lower: TarWriteEntry[] = [{ name: 'd/', type: 'dir', mode: 0o755, mtime }, { name: 'd/e/', type: 'dir', mode: 0o700, mtime }];
  const names: string[] = [];
  sizes.forEach((size, i) => {
    const name = `${i % 2 ? 'd' : 'd/e'}/f${i}`;
    names.push(name);
    lower.push({ name, type: 'file', mode: [0o644, 0o755, 0o600, 0o4755][i % 4], uid: i % 3 ? 0 : 1234, gid: i % 5 ? 0 : 99, mtime, body: randomBytes(size, seed + i) });
  });
  lower.push({ name: 'd/hard', type: 'hardlink', linkname: names[5]!, mtime }, { name: 'd/sym', type: 'symlink', linkname: 'e/f0', mtime });
  const upper: TarWriteEntry[] = [];
  for (let i = 0; i < 3; i++) {
    const name = names[1 + next(names.length - 1)]!;
    if (!upper.some((e) => e.name === name)) upper.push({ name, type: 'file', mode: 0o640, mtime: { sec: mtime.sec + 1, nsec: 0 }, body: randomBytes(100 + next(5000), seed * 7 + i) });
  }
  upper.push({ name: 'new/', type: 'dir', mode: 0o755, mtime }, { name: 'new/x', type: 'file', mode: 0o644, mtime, body: randomBytes(2000, seed + 99) });
  // every directory the upper layer writes into, listed after its files: tar -xf restores a
  // directory's time when it meets the entry, and leaves the times of others as writing made them
  upper.push({ name: 'd/', type: 'dir', mode: 0o755, mtime }, { name: 'd/e/', type: 'dir', mode: 0o700, mtime });
  return [lower, upper];
}

/**
 * A layer whose stream comes in `cut`'s pieces, counting how often it is opened; `readAhead`: it
 * also offers its tar as a seekable file (as an uncompressed blob on disk does), so unpack reads
 * its headers ahead and writes bodies in place instead of spooling them.
 */
function countedLayer(tar: Uint8Array, cut: (tar: Uint8Array) => Uint8Array[], opens: number[], n: number, readAhead: boolean): Layer {
  const base = memoryLayer(tar);
  const open = async () => {
    opens[n] = (opens[n] ?? 0) + 1;
    const pieces = cut(tar);
    let i = 0;
    return new ReadableStream<Uint8Array>({ pull: (c) => (i < pieces.length ? c.enqueue(pieces[i++]!.slice()) : c.close()) });
  };
  return { ...base, compressed: open, uncompressed: open, ...(readAhead ? { uncompressedFile: async () => memoryFile(tar) } : {}) };
}

function gnuTarAvailable(): boolean {
  return spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout?.includes('GNU tar') ?? false;
}

const cuts: [string, boolean, (tar: Uint8Array) => Uint8Array[], rootless?: boolean][] = [
  ['whole', true, (tar) => [tar]],
  ['whole, --rootless', true, (tar) => [tar], true],
  ['1 MiB chunks', true, (tar) => Array.from({ length: Math.ceil(tar.length / MiB) }, (_, k) => tar.subarray(k * MiB, (k + 1) * MiB))],
  ['random split points', true, (tar) => randomSplits(tar, tar.length)],
  ['byte by byte', false, (tar) => Array.from(tar, (_, k) => tar.subarray(k, k + 1))],
];

for (const [cutName, big, cut, rootless = false] of cuts) for (const readAhead of [false, true]) {
  const name = `${cutName}${readAhead ? ', read ahead' : ''}`;
  test(`unpack, layers cut ${name}: each layer read once, the tree equals GNU tar -xf of the layers in order`, async () => {
    if (!gnuTarAvailable()) return skip(`unpack single read (${name})`, 'GNU tar is not installed');
    if (!rootless && process.getuid?.() !== 0) return skip(`unpack single read (${name})`, 'the layers have files of other owners: chown needs root');
    const base = mkdtempSync(`${tmpdir()}/lk-single-read-`);
    try {
      const tars = await Promise.all(stack(cutName.length, big).map((entries) => writeTar(entries)));
      const opens: number[] = [];
      await unpackImage(tars.map((t, n) => countedLayer(t, cut, opens, n, readAhead)), `${base}/R`, nodeTreeWriter, { rootless });
      assert.equal(opens, tars.map(() => 1), 'times each layer was opened');
      mkdirSync(`${base}/T`);
      tars.forEach((t, n) => {
        writeFileSync(`${base}/${n}.tar`, t);
        // rootless: every file owned by whoever unpacks, as tar --no-same-owner leaves them
        const run = spawnSync('tar', ['-xf', `${base}/${n}.tar`, '-C', `${base}/T`, rootless ? '--no-same-owner' : '--same-owner', '--same-permissions'], { encoding: 'utf8' });
        assert.is(run.status, 0, run.stderr);
      });
      assert.equal(readTree(`${base}/R`), readTree(`${base}/T`));
      assert.not.ok(existsSync(`${base}/R.layerkit-bodies`), 'the spool was left behind');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
}

test('a GNU sparse file (made by GNU tar) unpacks with its holes and data', async () => {
  if (!gnuTarAvailable()) return skip('unpack sparse', 'GNU tar is not installed');
  const base = mkdtempSync(`${tmpdir()}/lk-single-read-sparse-`);
  try {
    mkdirSync(`${base}/src`);
    writeFileSync(`${base}/src/sparse`, randomBytes(5000, 3));
    truncateSync(`${base}/src/sparse`, 3 * MiB);
    writeFileSync(`${base}/src/sparse`, randomBytes(7000, 4), { flag: 'r+' });
    writeFileSync(`${base}/src/plain`, randomBytes(9000, 5));
    const run = spawnSync('tar', ['--sparse', '--format=gnu', '-cf', `${base}/s.tar`, '-C', `${base}/src`, 'sparse', 'plain'], { encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    const tar = new Uint8Array(readFileSync(`${base}/s.tar`));
    assert.is(String.fromCharCode(tar[156]!), 'S', 'GNU tar wrote a sparse entry');
    await unpackImage([memoryLayer(tar)], `${base}/R`, nodeTreeWriter);
    assert.ok(Buffer.from(readFileSync(`${base}/R/sparse`)).equals(readFileSync(`${base}/src/sparse`)));
    assert.ok(Buffer.from(readFileSync(`${base}/R/plain`)).equals(readFileSync(`${base}/src/plain`)));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a layer blob that fails its digest leaves no target, staging directory or spool behind', async () => {
  const base = mkdtempSync(`${tmpdir()}/lk-single-read-bad-`);
  try {
    const tar = await writeTar([{ name: 'a', type: 'file', mode: 0o644, mtime, body: randomBytes(300_000, 8) }]);
    writeOciImage(`${base}/img`, [tar]);
    const image = await openImage(`oci:${base}/img:latest`);
    const layers = await image.layers();
    const blob = `${base}/img/blobs/sha256/${layers[0]!.digest.slice(7)}`;
    const bytes = readFileSync(blob);
    bytes[1000] = bytes[1000]! ^ 1; // inside the file's body: the tar still parses, only the digest tells
    writeFileSync(blob, bytes);
    await expectCode(unpackImage(layers, `${base}/R`, nodeTreeWriter), 'DIGEST_MISMATCH');
    for (const left of ['R', 'R.layerkit-partial', 'R.layerkit-bodies']) assert.not.ok(existsSync(`${base}/${left}`), `${left} was left behind`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
