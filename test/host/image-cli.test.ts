// The image commands as a user runs them, on the embedded sample: inspect (and --raw), history
// (docker's table and --json), images, copy, tag, rmi, gc, rootfs: and tar: sources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { layerkit } from '../_cli.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const work = mkdtempSync(`${tmpdir()}/layerkit-image-cli-`);
const env = { ...process.env, LAYERKIT_HOME: `${work}/store` };
const sample = new URL('../../sample/oci', import.meta.url).pathname;
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (digest: string) => readFileSync(`${sample}/blobs/sha256/${digest.slice(7)}`);
const index = JSON.parse(readFileSync(`${sample}/index.json`, 'utf8'));
const manifestBytes = blob(index.manifests[0].digest);
const manifest = JSON.parse(manifestBytes.toString());
const configBytes = blob(manifest.config.digest);
const config = JSON.parse(configBytes.toString());
test.after(() => rmSync(work, { recursive: true, force: true }));

function ok(args: string[]): string {
  const r = layerkit(args, { env });
  assert.is(r.status, 0, `layerkit ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('inspect: docker\'s fields from the sample\'s own bytes', () => {
  const out = JSON.parse(ok(['inspect', `oci:${sample}:latest`]));
  assert.is(out.Id, sha(configBytes));
  assert.is(out.Manifest.digest, sha(manifestBytes));
  assert.equal(out.RootFS, { Type: 'layers', Layers: config.rootfs.diff_ids });
  assert.equal(out.Config, config.config);
  assert.is(out.Created, config.created);
  assert.equal(out.Layers.map((l: { digest: string }) => l.digest), manifest.layers.map((l: { digest: string }) => l.digest));
  assert.is(out.Layers[1].chainID, sha(`${config.rootfs.diff_ids[0]} ${config.rootfs.diff_ids[1]}`));
  assert.is(out.Size, manifest.layers.reduce((n: number, l: { size: number }) => n + l.size, 0));
});

test('inspect --raw prints the stored bytes unchanged', () => {
  assert.is(ok(['inspect', '--raw', 'manifest', `oci:${sample}`]), manifestBytes.toString());
  assert.is(ok(['inspect', '--raw', 'config', `oci:${sample}`]), configBytes.toString());
  const r = layerkit(['inspect', '--raw', 'index', `oci:${sample}`], { env });
  assert.is(r.status, 2);
  assert.match(r.stderr, '(NO_INDEX)');
});

test('history: docker\'s table, newest first, <missing> below the top, and --json', () => {
  const lines = ok(['history', `oci:${sample}`]).trimEnd().split('\n');
  assert.match(lines[0]!, /^IMAGE {10}CREATED {7}CREATED BY {38}SIZE {6}COMMENT$/);
  assert.is(lines.length, 1 + config.history.length);
  assert.ok(lines[1]!.startsWith(`${sha(configBytes).slice(7, 19)}   `));
  assert.ok(lines.slice(2).every((l) => l.startsWith('<missing>')));
  assert.match(lines[2]!, '/bin/sh -c #(nop)  CMD ["/bin/bash"]');
  assert.match(lines[2]!, / 0B\s*$/);
  assert.match(lines[3]!, /ADD file:[0-9a-f]+…/, 'long commands are cut with an ellipsis at 45 characters');
  const full = ok(['history', '--no-trunc', `oci:${sample}`]);
  assert.match(full, config.history[0].created_by);
  const json = JSON.parse(ok(['history', '--json', `oci:${sample}`]));
  assert.equal(json.map((r: { createdBy: string }) => r.createdBy), config.history.map((h: { created_by: string }) => h.created_by).reverse());
  assert.equal(json.map((r: { emptyLayer: boolean }) => r.emptyLayer), [false, true, false]);
  assert.equal(json.map((r: { size: number }) => r.size), [manifest.layers[1].size, 0, manifest.layers[0].size]);
});

test('copy into the store, images, tag, rmi and gc', () => {
  ok(['copy', '--quiet', `oci:${sample}`, 'sample:1']);
  ok(['tag', 'sample:1', 'example.com/team/sample:v2']);
  const images = JSON.parse(ok(['images', '--json']));
  assert.equal(images.map((i: { repository: string; tag: string }) => `${i.repository}:${i.tag}`), ['sample:1', 'example.com/team/sample:v2']);
  assert.ok(images.every((i: { id: string; digest: string }) => i.id === sha(configBytes) && i.digest === sha(manifestBytes)));
  const table = ok(['images']).split('\n');
  assert.match(table[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  const inspected = JSON.parse(ok(['inspect', 'sample:1']));
  assert.equal(inspected.RepoTags, ['sample:1', 'example.com/team/sample:v2']);
  assert.equal(inspected.RepoDigests, [`sample@${sha(manifestBytes)}`, `example.com/team/sample@${sha(manifestBytes)}`]);
  assert.match(ok(['rmi', 'sample:1']), 'Untagged: sample:1');
  assert.is(readdirSync(`${work}/store/blobs/sha256`).length, 4, 'blobs stay while a name uses them');
  const removed = ok(['rmi', 'example.com/team/sample:v2']);
  assert.is(removed.split('\n').filter((l) => l.startsWith('Deleted: ')).length, 4);
  assert.equal(readdirSync(`${work}/store/blobs/sha256`), []);
  const missing = layerkit(['rmi', 'sample:1'], { env });
  assert.match(missing.stderr, '(IMAGE_NOT_FOUND)');
  assert.match(layerkit(['inspect', 'nothing:here'], { env }).stderr, '(IMAGE_NOT_FOUND)');
});

test('rootfs:DIR and tar:FILE are one-layer images with stable digests', () => {
  const dir = `${work}/tree`;
  mkdirSync(`${dir}/etc`, { recursive: true });
  writeFileSync(`${dir}/etc/hostname`, 'box\n');
  const a = JSON.parse(ok(['inspect', `rootfs:${dir}`]));
  const b = JSON.parse(ok(['inspect', `rootfs:${dir}`]));
  assert.is(a.Layers.length, 1);
  assert.is(a.Manifest.digest, b.Manifest.digest, 'the same tree gives the same digests');
  ok(['copy', '--quiet', `rootfs:${dir}`, `oci:${work}/from-rootfs:t`]);
  const layerDigest = a.Layers[0].digest;
  const tarPath = `${work}/from-rootfs/blobs/sha256/${layerDigest.slice(7)}`;
  assert.is(sha(readFileSync(tarPath)), layerDigest);
  const t = JSON.parse(ok(['inspect', `tar:${tarPath}`]));
  assert.equal(t.RootFS.Layers, a.RootFS.Layers);
  const gz = JSON.parse(ok(['inspect', `tar:${sample}/blobs/sha256/${manifest.layers[1].digest.slice(7)}`]));
  assert.equal(gz.RootFS.Layers, [config.rootfs.diff_ids[1]]);
});

test('bad references and platforms are usage errors (exit 2)', () => {
  const r = layerkit(['inspect', 'Not/Valid'], { env });
  assert.is(r.status, 2);
  assert.match(r.stderr, '(BAD_REFERENCE)');
  const p = layerkit(['inspect', '--platform', 'linux', `oci:${sample}`], { env });
  assert.is(p.status, 2);
  assert.match(p.stderr, '(BAD_PLATFORM)');
});

test.run();
