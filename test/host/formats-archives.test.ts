// docker-archive and OCI layouts as attackers and as docker writes them: manifest.json naming
// files outside the archive, links leaving it, symlinked blobs directories, corrupt blobs in a
// layout; several images and tags in one archive; the Docker 25+ shape (OCI layout inside).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { archiveFiles, directoryFiles } from '../../src/formats/layout-files.ts';
import { listDockerArchive, openDockerArchive, writeDockerArchive } from '../../src/formats/docker-archive.ts';
import { openOciLayout } from '../../src/formats/oci-layout.ts';
import { parseDockerName } from '../../src/formats/transports.ts';
import { imageFromManifest } from '../../src/image/blob-image.ts';
import { layerkit } from '../_cli.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const work = mkdtempSync(`${tmpdir()}/layerkit-formats-`);
const sample = new URL('../../sample/oci', import.meta.url).pathname;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const env = { ...process.env, LAYERKIT_HOME: `${work}/store` };
test.after(() => rmSync(work, { recursive: true, force: true }));

async function code(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** A directory → tar with GNU tar (links stored as links, names as given). */
function tarDir(dir: string, out: string): string {
  const r = spawnSync('tar', ['-cf', out, '-C', dir, '.'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return out;
}

/** A legacy `docker save` tree for the sample: <diffID>/layer.tar, <config>.json, manifest.json. */
function legacyTree(name: string, layers = [0, 1]): { dir: string; config: string; diffIDs: string[] } {
  const dir = `${work}/${name}`;
  mkdirSync(dir, { recursive: true });
  const index = JSON.parse(readFileSync(`${sample}/index.json`, 'utf8'));
  const manifest = JSON.parse(readFileSync(`${sample}/blobs/sha256/${index.manifests[0].digest.slice(7)}`, 'utf8'));
  const config = readFileSync(`${sample}/blobs/sha256/${manifest.config.digest.slice(7)}`);
  writeFileSync(`${dir}/${sha(config)}.json`, config);
  const diffIDs: string[] = [];
  for (const i of layers) {
    const hex = manifest.layers[i].digest.slice(7);
    mkdirSync(`${dir}/${hex}`, { recursive: true });
    cpSync(`${sample}/blobs/sha256/${hex}`, `${dir}/${hex}/layer.tar`);
    diffIDs.push(hex);
  }
  writeFileSync(`${dir}/manifest.json`, JSON.stringify([{ Config: `${sha(config)}.json`, RepoTags: ['sample:1'], Layers: diffIDs.map((h) => `${h}/layer.tar`) }]));
  return { dir, config: sha(config), diffIDs };
}

test('a legacy docker save archive reads with the config and diffIDs it holds', async () => {
  const { dir, config, diffIDs } = legacyTree('legacy');
  const image = await openDockerArchive(await archiveFiles(tarDir(dir, `${work}/legacy.tar`)), { name: parseDockerName('sample:1') });
  assert.is((await image.manifest()).config.digest, `sha256:${config}`);
  assert.equal((await image.layers()).map((l) => l.diffID), diffIDs.map((h) => `sha256:${h}`));
});

test('manifest.json naming files outside the archive is refused (ARCHIVE_PATH_ESCAPE)', async () => {
  for (const [i, bad] of ['../../etc/passwd', '/etc/passwd', 'a/../../x'].entries()) {
    const { dir, config } = legacyTree(`escape${i}`);
    writeFileSync(`${dir}/manifest.json`, JSON.stringify([{ Config: `${config}.json`, RepoTags: ['x:1'], Layers: [bad, bad] }]));
    assert.is(await code(listDockerArchive(await archiveFiles(tarDir(dir, `${work}/escape${i}.tar`)))), 'ARCHIVE_PATH_ESCAPE', bad);
  }
});

test('layer members that are symlinks resolve inside the archive; links leaving it are refused', async () => {
  const ok = legacyTree('links-ok');
  // docker save links a shared layer to the first copy: <dir>/layer.tar -> ../<other>/layer.tar
  mkdirSync(`${ok.dir}/shared`);
  symlinkSync(`../${ok.diffIDs[1]}/layer.tar`, `${ok.dir}/shared/layer.tar`);
  writeFileSync(`${ok.dir}/manifest.json`, JSON.stringify([{ Config: `${ok.config}.json`, RepoTags: ['x:1'], Layers: [`${ok.diffIDs[0]}/layer.tar`, 'shared/layer.tar'] }]));
  const image = await openDockerArchive(await archiveFiles(tarDir(ok.dir, `${work}/links-ok.tar`)), {});
  assert.equal((await image.layers()).map((l) => l.diffID), ok.diffIDs.map((h) => `sha256:${h}`));
  const bad = legacyTree('links-bad');
  rmSync(`${bad.dir}/${bad.diffIDs[1]}/layer.tar`);
  symlinkSync('../../../../etc/passwd', `${bad.dir}/${bad.diffIDs[1]}/layer.tar`);
  const files = await archiveFiles(tarDir(bad.dir, `${work}/links-bad.tar`));
  assert.is(await code(openDockerArchive(files, {})), 'ARCHIVE_PATH_ESCAPE');
});

test('a truncated archive is refused with a typed error (ARCHIVE_INVALID)', async () => {
  const bytes = readFileSync(`${work}/legacy.tar`);
  writeFileSync(`${work}/cut.tar`, bytes.subarray(0, 1536 + 100));
  assert.is(await code(archiveFiles(`${work}/cut.tar`)), 'ARCHIVE_INVALID');
});

test('an OCI layout with a symlinked blobs directory or a missing/corrupt index.json is refused', async () => {
  const copy = `${work}/linked`;
  mkdirSync(copy);
  cpSync(`${sample}/index.json`, `${copy}/index.json`);
  cpSync(`${sample}/oci-layout`, `${copy}/oci-layout`);
  symlinkSync(`${sample}/blobs`, `${copy}/blobs`);
  const r = layerkit(['inspect', `oci:${copy}`], { env });
  assert.match(r.stderr, '(LAYOUT_INVALID)');
  const broken = `${work}/broken`;
  cpSync(sample, broken, { recursive: true });
  writeFileSync(`${broken}/index.json`, '{"manifests": ');
  assert.is(await code(openOciLayout(directoryFiles(broken), undefined)), 'LAYOUT_INVALID');
  rmSync(`${broken}/index.json`);
  assert.is(await code(openOciLayout(directoryFiles(broken), undefined)), 'LAYOUT_INVALID');
});

test('bit-flipped and truncated blobs in a layout: copy fails with the code and stores nothing', () => {
  for (const [kind, damage] of [['flip', (b: Buffer) => { b[b.length >> 1]! ^= 0x20; return b; }], ['cut', (b: Buffer) => b.subarray(0, b.length - 512)]] as const) {
    const dir = `${work}/damaged-${kind}`;
    cpSync(sample, dir, { recursive: true });
    const blobs = readdirSync(`${dir}/blobs/sha256`).map((h) => `${dir}/blobs/sha256/${h}`);
    const biggest = blobs.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    writeFileSync(biggest, damage(readFileSync(biggest)));
    const home = `${work}/store-${kind}`;
    const r = layerkit(['copy', `oci:${dir}`, 'damaged:1'], { env: { ...env, LAYERKIT_HOME: home } });
    assert.is(r.status, 1);
    assert.match(r.stderr, kind === 'flip' ? '(DIGEST_MISMATCH)' : '(SIZE_MISMATCH)');
    assert.equal(readdirSync(`${home}/blobs/sha256`).filter((h) => `${dir}/blobs/sha256/${h}` === biggest), [], 'the bad blob is not in the store');
    assert.equal(JSON.parse(readFileSync(`${home}/index.json`, 'utf8')).manifests, []);
    assert.equal(readdirSync(`${home}/ingest`), [], 'no partial file left behind');
  }
});

test('several images and tags in one docker-archive, written and read back by name and by @N', async () => {
  const files = directoryFiles(sample);
  const full = await openOciLayout(files, 'latest');
  const base = (await full.layers())[0]!;
  // A second, different image: only the base layer, with its own config.
  const config = JSON.parse(new TextDecoder().decode(await full.rawConfig()));
  config.rootfs.diff_ids = [base.diffID];
  config.history = [config.history[0]];
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(configBytes)}`, size: configBytes.length },
    layers: [{ mediaType: base.mediaType, digest: base.digest, size: base.size }],
  }));
  const source = { open: async (d: string) => (d === `sha256:${sha(configBytes)}` ? new Blob([configBytes]).stream() : base.compressed()) };
  const small = imageFromManifest(source, manifest, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}` as never, size: manifest.length });
  const out = `${work}/multi.tar`;
  const bytes = new Uint8Array(await new Response(writeDockerArchive([
    { image: full, names: [parseDockerName('me/full:1'), parseDockerName('me/full:latest')] },
    { image: small, names: [parseDockerName('me/small:1')] },
  ])).arrayBuffer());
  writeFileSync(out, bytes);
  const listed = await listDockerArchive(await archiveFiles(out));
  assert.equal(listed.map((i) => i.names.map((n) => `${n.path}:${n.tag}`)), [['me/full:1', 'me/full:latest'], ['me/small:1']]);
  const archive = await archiveFiles(out);
  assert.is((await (await openDockerArchive(archive, { name: parseDockerName('me/small:1') })).layers()).length, 1);
  assert.is((await (await openDockerArchive(archive, { index: 0 })).layers()).length, 2);
  assert.is(await code(openDockerArchive(archive, {})), 'IMAGE_AMBIGUOUS');
  assert.is(await code(openDockerArchive(archive, { name: parseDockerName('me/other:1') })), 'IMAGE_NOT_FOUND');
  // GNU tar agrees on the member list, and the shared base layer is stored once.
  const members = spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout.trim().split('\n');
  assert.is(members.filter((m) => m.endsWith('layer.tar')).length, 2);
});

test('the Docker 25+ shape (OCI layout inside, manifest.json beside it) keeps the OCI manifest digest', async () => {
  const dir = `${work}/docker25`;
  cpSync(sample, dir, { recursive: true });
  const index = JSON.parse(readFileSync(`${dir}/index.json`, 'utf8'));
  const manifestDigest = index.manifests[0].digest;
  const manifest = JSON.parse(readFileSync(`${dir}/blobs/sha256/${manifestDigest.slice(7)}`, 'utf8'));
  index.manifests[0].annotations = { 'io.containerd.image.name': 'docker.io/library/sample:25', 'org.opencontainers.image.ref.name': '25' };
  writeFileSync(`${dir}/index.json`, JSON.stringify(index));
  writeFileSync(`${dir}/manifest.json`, JSON.stringify([{
    Config: `blobs/sha256/${manifest.config.digest.slice(7)}`, RepoTags: ['sample:25'],
    Layers: manifest.layers.map((l: { digest: string }) => `blobs/sha256/${l.digest.slice(7)}`),
  }]));
  const archive = await archiveFiles(tarDir(dir, `${work}/docker25.tar`));
  const image = await openDockerArchive(archive, { name: parseDockerName('sample:25') });
  assert.is((await image.manifestDescriptor()).digest, manifestDigest);
  const r = layerkit(['inspect', `docker-archive:${work}/docker25.tar:sample:25`], { env });
  assert.is(JSON.parse(r.stdout).Manifest.digest, manifestDigest, r.stderr);
});

test('a schema 1 manifest in a layout gets SCHEMA1_UNSUPPORTED from the CLI', () => {
  const dir = `${work}/schema1`;
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  const doc = JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'latest', fsLayers: [], history: [] });
  writeFileSync(`${dir}/blobs/sha256/${sha(doc)}`, doc);
  writeFileSync(`${dir}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(`${dir}/index.json`, JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws', digest: `sha256:${sha(doc)}`, size: doc.length }] }));
  const r = layerkit(['inspect', `oci:${dir}`], { env });
  assert.is(r.status, 1);
  assert.match(r.stderr, 'not supported');
  assert.match(r.stderr, '(SCHEMA1_UNSUPPORTED)');
});

test('an index in a layout: --platform picks, the host is the default, otherwise the choices are listed', () => {
  const dir = `${work}/multi-arch`;
  cpSync(sample, dir, { recursive: true });
  const index = JSON.parse(readFileSync(`${dir}/index.json`, 'utf8'));
  const amd64 = index.manifests[0];
  const manifest = JSON.parse(readFileSync(`${dir}/blobs/sha256/${amd64.digest.slice(7)}`, 'utf8'));
  const config = JSON.parse(readFileSync(`${dir}/blobs/sha256/${manifest.config.digest.slice(7)}`, 'utf8'));
  const perArch = (architecture: string, variant?: string) => {
    const c = JSON.stringify({ ...config, architecture, ...(variant ? { variant } : {}) });
    writeFileSync(`${dir}/blobs/sha256/${sha(c)}`, c);
    const m = JSON.stringify({ ...manifest, config: { ...manifest.config, digest: `sha256:${sha(c)}`, size: c.length } });
    writeFileSync(`${dir}/blobs/sha256/${sha(m)}`, m);
    return { mediaType: manifest.mediaType, digest: `sha256:${sha(m)}`, size: m.length, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } };
  };
  const list = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [perArch('arm64', 'v8'), perArch('s390x'), perArch('amd64')] });
  writeFileSync(`${dir}/blobs/sha256/${sha(list)}`, list);
  writeFileSync(`${dir}/index.json`, JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${sha(list)}`, size: list.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }));
  const arm = JSON.parse(layerkit(['inspect', '--platform', 'linux/arm64', `oci:${dir}:multi`], { env }).stdout);
  assert.is(arm.Architecture, 'arm64');
  const s390 = JSON.parse(layerkit(['inspect', '--platform', 'linux/s390x', `oci:${dir}:multi`], { env }).stdout);
  assert.is(s390.Architecture, 's390x');
  const raw = layerkit(['inspect', '--raw', 'index', '--platform', 'linux/s390x', `oci:${dir}:multi`], { env });
  assert.is(raw.stdout, list);
  const missing = layerkit(['inspect', '--platform', 'windows/amd64', `oci:${dir}:multi`], { env });
  assert.match(missing.stderr, 'linux/arm64/v8, linux/s390x, linux/amd64');
  assert.match(missing.stderr, '(PLATFORM_NOT_FOUND)');
  if (process.arch === 'x64' && process.platform === 'linux') {
    assert.is(JSON.parse(layerkit(['inspect', `oci:${dir}:multi`], { env }).stdout).Architecture, 'amd64', 'the host platform by default');
  }
});

test.run();
