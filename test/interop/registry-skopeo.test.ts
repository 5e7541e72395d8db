// layerkit and skopeo against the same docker-registry: what one pushes the other reads with the
// same digests, a multi-platform index round-trips, and shared layers are mounted, not uploaded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerkit } from '../_cli.ts';
import { registryUnavailable, startRegistry, tarOf, testImage, type TestRegistry, writeLayout } from '../_registry.ts';
import { randomBytes, skip } from '../_setup.ts';

const skopeoMissing = (() => {
  try {
    execFileSync('skopeo', ['--version']);
    return undefined;
  } catch {
    return 'skopeo is not installed (scripts/install-system-deps.sh)';
  }
})();
const missing = registryUnavailable() ?? skopeoMissing;
let registry: TestRegistry | undefined;
const dir = mkdtempSync(join(tmpdir(), 'layerkit-skopeo-'));
const env = { ...process.env, LAYERKIT_HOME: join(dir, 'store'), DOCKER_CONFIG: join(dir, 'docker') };
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const skopeo = (...args: string[]) => execFileSync('skopeo', args, { encoding: 'utf8', env });
const skopeoRaw = (ref: string) => execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', ref], { env });
const lk = (...args: string[]) => {
  const r = layerkit(args, { env });
  assert.is(r.status, 0, `layerkit ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const layoutTop = (path: string) => JSON.parse(readFileSync(join(path, 'index.json'), 'utf8')).manifests[0].digest as string;

const base = [tarOf({ 'etc/os-release': randomBytes(300_000, 21) }), tarOf({ 'usr/lib/libc.so': randomBytes(800_000, 22) })];
const amd64 = testImage([...base, tarOf({ 'app/amd64': randomBytes(100_000, 23) })], { architecture: 'amd64' });
const arm64 = testImage([...base, tarOf({ 'app/arm64': randomBytes(100_000, 24) })], { architecture: 'arm64' });

test.before(async () => {
  if (!missing) registry = await startRegistry();
});
test.after(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function check(name: string, fn: () => void | Promise<void>) {
  if (missing) return skip(name, missing);
  test(name, fn);
}

check('pushed by layerkit: skopeo inspect sees the same digest; skopeo copy back keeps every digest', () => {
  const layout = join(dir, 'single');
  const top = writeLayout(layout, 'v1', [amd64]);
  lk('push', `oci:${layout}:v1`, `docker://${registry!.host}/lk/app:v1`, '--tls-verify=false');
  const info = JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${registry!.host}/lk/app:v1`));
  assert.is(info.Digest, top.digest);
  assert.equal(info.Layers, amd64.layers.map((l) => l.digest));
  assert.is(sha(skopeoRaw(`docker://${registry!.host}/lk/app:v1`)), top.digest);
  const back = join(dir, 'back');
  skopeo('copy', '--src-tls-verify=false', '--preserve-digests', `docker://${registry!.host}/lk/app:v1`, `oci:${back}:v1`);
  assert.is(layoutTop(back), top.digest);
  const manifest = JSON.parse(readFileSync(join(back, 'blobs', 'sha256', top.digest.slice(7)), 'utf8'));
  assert.equal(manifest.layers.map((l: { digest: string }) => l.digest), amd64.layers.map((l) => l.digest));
  for (const layer of amd64.layers) assert.is(sha(readFileSync(join(back, 'blobs', 'sha256', layer.digest.slice(7)))), layer.digest);
});

check('pushed by skopeo: layerkit pulls it with identical digests (docker schema 2 as well as OCI)', () => {
  const docker = testImage([tarOf({ 'bin/tool': randomBytes(500_000, 31) })], { mediaType: 'docker' });
  for (const [name, image] of [['oci', arm64], ['docker', docker]] as const) {
    const layout = join(dir, `skopeo-${name}`);
    writeLayout(layout, 'v1', [image]);
    skopeo('copy', '--dest-tls-verify=false', '--preserve-digests', `oci:${layout}:v1`, `docker://${registry!.host}/sk/${name}:v1`);
    const digest = JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${registry!.host}/sk/${name}:v1`)).Digest;
    const out = lk('pull', `docker://${registry!.host}/sk/${name}:v1`, '--tls-verify=false');
    assert.ok(out.includes(`Digest: ${digest}\n`), out);
    const inspected = JSON.parse(lk('inspect', `${registry!.host}/sk/${name}:v1`));
    assert.is(inspected.Manifest.digest, digest);
    assert.equal(inspected.Layers.map((l: { digest: string }) => l.digest), image.layers.map((l) => l.digest));
    assert.is(inspected.Id, sha(image.configBytes));
  }
});

check('a multi-platform index round-trips: skopeo → layerkit pull --all, layerkit copy --all → skopeo, same bytes', () => {
  const layout = join(dir, 'multi');
  const top = writeLayout(layout, 'v1', [amd64, arm64]);
  skopeo('copy', '--all', '--dest-tls-verify=false', '--preserve-digests', `oci:${layout}:v1`, `docker://${registry!.host}/sk/multi:v1`);
  assert.is(sha(skopeoRaw(`docker://${registry!.host}/sk/multi:v1`)), top.digest);
  const pulled = lk('pull', `docker://${registry!.host}/sk/multi:v1`, '--tls-verify=false', '--all');
  assert.ok(pulled.includes(`Digest: ${top.digest}\n`), pulled);
  lk('copy', `docker://${registry!.host}/sk/multi:v1`, `docker://${registry!.host}/lk/multi:v1`, '--all', '--src-tls-verify=false', '--dest-tls-verify=false');
  assert.equal(new Uint8Array(skopeoRaw(`docker://${registry!.host}/lk/multi:v1`)), top.bytes);
  lk('push', `oci:${layout}:v1`, `docker://${registry!.host}/lk/multi-push:v1`, '--all', '--tls-verify=false');
  const back = join(dir, 'multi-back');
  skopeo('copy', '--all', '--src-tls-verify=false', '--preserve-digests', `docker://${registry!.host}/lk/multi-push:v1`, `oci:${back}:v1`);
  assert.is(layoutTop(back), top.digest);
  for (const image of [amd64, arm64]) {
    assert.is(sha(skopeoRaw(`docker://${registry!.host}/lk/multi-push@${image.manifestDigest}`)), image.manifestDigest);
    for (const layer of image.layers) assert.is(sha(readFileSync(join(back, 'blobs', 'sha256', layer.digest.slice(7)))), layer.digest);
  }
});

check('base layers already in another repository are mounted, not uploaded (progress events and registry log)', () => {
  const baseOnly = testImage(base);
  const layout = join(dir, 'base');
  writeLayout(layout, 'v1', [baseOnly]);
  skopeo('copy', '--dest-tls-verify=false', '--preserve-digests', `oci:${layout}:v1`, `docker://${registry!.host}/shared/base:v1`);
  const app = join(dir, 'app');
  writeLayout(app, 'v1', [amd64]);
  const out = lk('push', `oci:${app}:v1`, `docker://${registry!.host}/team/mounted:v1`, '--tls-verify=false', '--mount-from', 'shared/base', '--progress=json');
  const events = out.trim().split('\n').map((l) => JSON.parse(l));
  const byLayer = new Map(events.filter((e) => e.id).map((e) => [e.id, e.status]));
  assert.is(byLayer.get(amd64.layers[0]!.digest.slice(7, 19)), 'Mounted from shared/base');
  assert.is(byLayer.get(amd64.layers[1]!.digest.slice(7, 19)), 'Mounted from shared/base');
  assert.is(byLayer.get(amd64.layers[2]!.digest.slice(7, 19)), 'Pushed');
  const log = registry!.log();
  for (const layer of amd64.layers.slice(0, 2)) {
    assert.ok(log.includes(`mount=${encodeURIComponent(layer.digest)}&from=${encodeURIComponent('shared/base')}`), `registry log shows the mount of ${layer.digest}`);
  }
  assert.is(JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${registry!.host}/team/mounted:v1`)).Digest, amd64.manifestDigest);
});

test.run();
