// The store's LayerIndex cache as users meet it: the first `ls` of an image (a store name, an
// oci: layout, a docker-archive) indexes its layers into $LAYERKIT_HOME/cache, and the second
// reads no layer — proved by taking the layer blobs away (the listing is unchanged, while `cat`,
// which must read bytes, fails) and by a damaged layer that only a fresh, uncached look notices.
// Content read through a cached index is checked against the file's digest in that index.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerkit } from '../_cli.ts';
import { cutImage } from '../_cut-image.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const sample = new URL('../../sample/oci', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'layerkit-layer-cache-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const manifestOf = (layout: string) => {
  const top = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests[0].digest as string;
  return JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', top.slice(7)), 'utf8')) as { layers: { digest: string }[] };
};
const layerDigests = manifestOf(sample).layers.map((l) => l.digest);
const blobPath = (root: string, digest: string) => join(root, 'blobs', 'sha256', digest.slice(7));

function cli(home: string) {
  return (...args: string[]) => layerkit(args, { env: { ...process.env, LAYERKIT_HOME: home } });
}

function ok(r: { status: number; stdout: string; stderr: string }): string {
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

/** Flips "Hello world" to "Hello World" in a file: same size, other digest. */
function tamper(file: string): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf('Hello world\n\0');
  assert.ok(at >= 0, `no body to tamper with in ${file}`);
  bytes[at + 6] = 'W'.charCodeAt(0);
  writeFileSync(file, bytes);
}

test('store image: the second ls reads no layer (blobs taken away), cat still needs and verifies its layer', () => {
  const home = join(work, 'store');
  const run = cli(home);
  ok(run('copy', `oci:${sample}:latest`, 'sample:1'));
  const first = ok(run('ls', '-R', 'sample:1'));
  assert.ok(first.includes('tmp/newfile'), first);
  assert.equal(readdirSync(join(home, 'cache', 'layer-index')).sort(), layerDigests.map((d) => d.slice(7)).sort(), 'one cache entry per diffID (the sample\'s layers are uncompressed)');
  const firstJson = ok(run('ls', '-R', '--json', 'sample:1', 'etc'));
  const aside = join(work, 'aside');
  cpSync(join(home, 'blobs'), join(aside, 'blobs'), { recursive: true });
  for (const d of layerDigests) rmSync(blobPath(home, d));
  assert.is(ok(run('ls', '-R', 'sample:1')), first, 'same listing with no layer blob present');
  assert.is(ok(run('ls', '-R', '--json', 'sample:1', 'etc')), firstJson);
  const cat = run('cat', 'sample:1', 'tmp/newfile');
  assert.is(cat.status, 1, 'cat must read the layer');
  assert.match(cat.stderr, /\(BLOB_UNKNOWN\)\n$/);
  const sha = run('ls', '--sha256', 'sample:1', 'tmp');
  assert.is(sha.status, 1, 'a plain cached index does not answer --sha256');
  for (const d of layerDigests) cpSync(blobPath(aside, d), blobPath(home, d));
  assert.is(ok(run('cat', 'sample:1', 'tmp/newfile')), 'Hello world\n');
  // the cached index (with digests, from that cat) still answers; the tampered body does not pass
  tamper(blobPath(home, layerDigests[1]!));
  assert.is(ok(run('ls', '-R', 'sample:1')), first);
  const bad = run('cat', 'sample:1', 'tmp/newfile');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /tmp\/newfile: content has sha256 .*\(DIGEST_MISMATCH\)\n$/);
  const exported = run('export', 'sample:1', '-o', join(work, 'x.tar'));
  assert.is(exported.status, 1);
  assert.match(exported.stderr, /\(DIGEST_MISMATCH\)\n$/);
  assert.ok(!existsSync(join(work, 'x.tar')), 'no export file from a damaged layer');
  // a fresh store (no cache) reads the layer and refuses it at once
  const cold = cli(join(work, 'cold'))('ls', `oci:${home}`);
  assert.is(cold.status, 1, 'the store as an oci: layout, uncached, is read and refused');
  assert.match(cold.stderr, /\(DIGEST_MISMATCH\)\n$/);
});

test('gc keeps the cached indexes of stored images and prunes the rest', () => {
  const home = join(work, 'gc');
  const run = cli(home);
  const diffIDs: string[] = JSON.parse(ok(run('inspect', `oci:${sample}:latest`))).RootFS.Layers;
  ok(run('ls', '-R', `oci:${sample}:latest`));
  const cached = () => readdirSync(join(home, 'cache', 'layer-index')).sort();
  assert.equal(cached(), diffIDs.map((d) => d.slice(7)).sort(), 'ls of an oci: layout indexed its layers into the cache');
  writeFileSync(join(home, 'cache', 'layer-index', 'not-an-entry'), 'stray');
  // stored under a name: its layers' indexes stay
  ok(run('copy', '--quiet', `oci:${sample}:latest`, 'sample:1'));
  const kept = JSON.parse(ok(run('gc', '--json')));
  assert.equal(kept.removedCache, []);
  assert.equal(cached(), [...diffIDs.map((d) => d.slice(7)), 'not-an-entry'].sort());
  // no stored image lists them any more: they go, the stray file stays, and the table says so
  ok(run('rmi', 'sample:1'));
  ok(run('ls', '-R', `oci:${sample}:latest`));
  const text = ok(run('gc'));
  for (const d of diffIDs) assert.ok(text.includes(`Deleted cache: layer-index ${d}`), text);
  assert.equal(cached(), ['not-an-entry']);
  assert.match(ok(run('ls', '-R', `oci:${sample}:latest`)), 'tmp/newfile', 'the next look indexes again');
});

test('oci: and docker-archive: images share the cache by diffID', () => {
  const home = join(work, 'shared');
  const run = cli(home);
  const layout = join(work, 'layout');
  cpSync(sample, layout, { recursive: true });
  const archive = join(work, 'sample.tar');
  ok(run('copy', `oci:${layout}:latest`, `docker-archive:${archive}:sample:1`));
  assert.ok(!existsSync(join(home, 'cache')), 'copy does not index');
  const first = ok(run('ls', '-R', `oci:${layout}:latest`));
  for (const d of layerDigests) rmSync(blobPath(layout, d));
  assert.is(ok(run('ls', '-R', `oci:${layout}:latest`)), first, 'the layout\'s second ls reads no layer');
  // the archive's top layer damaged inside the tar: only a look that reads the layer can tell
  tamper(archive);
  assert.is(ok(run('ls', '-R', `docker-archive:${archive}`)), first, 'the archive is listed from the cache the oci: look filled');
  const cold = cli(join(work, 'cold-archive'))('ls', '-R', `docker-archive:${archive}`);
  assert.is(cold.status, 1, cold.stdout);
  assert.match(cold.stderr, /\(DIGEST_MISMATCH\)\n$/);
});

test('diff, export and layers use the cache too; without a store location everything still works', () => {
  const home = join(work, 'diffs');
  const run = cli(home);
  const layout = join(work, 'layout-diff');
  cpSync(sample, layout, { recursive: true });
  const diff = ok(run('diff', '--layer', '0:1', `oci:${layout}:latest`, `oci:${layout}:latest`));
  assert.ok(diff.includes('A /tmp/newfile'), diff);
  assert.equal(readdirSync(join(home, 'cache', 'layer-index-sha256')).length, 2);
  const tar = join(work, 'export.tar');
  ok(run('export', `oci:${layout}:latest`, '-o', tar));
  const report = ok(run('layers', '--json', `oci:${layout}:latest`));
  for (const d of layerDigests) rmSync(blobPath(layout, d));
  assert.is(ok(run('diff', '--layer', '0:1', `oci:${layout}:latest`, `oci:${layout}:latest`)), diff, 'diff reads no layer the second time');
  assert.is(ok(run('layers', '--json', `oci:${layout}:latest`)), report, 'layers reads no layer the second time');
  const env = { ...process.env };
  delete env.LAYERKIT_HOME;
  delete env.HOME;
  delete env.XDG_DATA_HOME;
  const bare = layerkit(['ls', '-R', `oci:${sample}:latest`], { env });
  assert.is(bare.status, 0, bare.stderr);
  assert.ok(bare.stdout.includes('tmp/newfile'));
  // a store that cannot be created (below a regular file): no cache, same answers
  const noStore = { ...process.env, LAYERKIT_HOME: '/dev/null/layerkit' };
  const uncached = layerkit(['layers', '--json', `oci:${sample}:latest`], { env: noStore });
  assert.is(uncached.status, 0, uncached.stderr);
  assert.is(uncached.stdout, report, 'the report from cached indexes equals the one read from the layers');
  assert.is(ok(layerkit(['ls', '-R', `oci:${sample}:latest`], { env: noStore })), bare.stdout);
});

test('ls PATH reads only the layers above the one that decides PATH (top-down cut)', async () => {
  const layout = join(work, 'cut');
  const digests = await cutImage(layout);
  const full = ok(cli(join(work, 'cut-full'))('ls', '-R', '--json', `oci:${layout}:latest`)).split('\n').filter((l) => l.startsWith('{"path":"etc/'));
  const run = cli(join(work, 'cut-home'));
  rmSync(blobPath(layout, digests[0]!));
  const etc = ok(run('ls', '-R', '--json', `oci:${layout}:latest`, 'etc'));
  assert.equal(etc.trim().split('\n'), full, 'etc as the full union shows it, with layer 0 absent');
  assert.equal(etc.trim().split('\n').map((l) => JSON.parse(l).path), ['etc/hostname']);
  const usr = run('ls', `oci:${layout}:latest`, 'usr/bin');
  assert.is(usr.status, 1, 'usr/bin needs layer 0');
  assert.match(usr.stderr, /\(BLOB_UNKNOWN\)\n$/);
});

test.run();
