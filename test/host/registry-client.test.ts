// The client against the real CNCF distribution registry (Debian's docker-registry) on loopback:
// open, htpasswd basic auth, and the bearer-token flow; uploads (streamed, chunked, mounted),
// manifests, tags and catalog pages, docker config credentials and credential helpers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../../src/digest/digest.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { pullImage } from '../../src/registry/pull.ts';
import { pushImage } from '../../src/registry/push.ts';
import type { ProgressEvent } from '../../src/registry/progress.ts';
import { parseDockerReference } from '../../src/registry/reference.ts';
import type { BlobStore } from '../../src/store/types.ts';
import { RecordingStore } from '../_fault-server.ts';
import { registryUnavailable, startRegistry, tarOf, testImage, type TestRegistry } from '../_registry.ts';
import { randomBytes, ready, skip } from '../_setup.ts';

const missing = registryUnavailable();
const registries: Partial<Record<'none' | 'basic' | 'token', TestRegistry>> = {};
const home = mkdtempSync(join(tmpdir(), 'layerkit-docker-config-'));
const savedEnv = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, PATH: process.env.PATH };

test.before(async () => {
  await ready();
  if (missing) return;
  registries.none = await startRegistry();
  registries.basic = await startRegistry({ auth: 'basic' });
  registries.token = await startRegistry({ auth: 'token', tokenSeconds: 6 });
});
test.after(async () => {
  for (const r of Object.values(registries)) await r?.stop();
  rmSync(home, { recursive: true, force: true });
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const alice = { username: 'alice', password: 'wonderland' };
const image = testImage([tarOf({ 'etc/base': randomBytes(200_000, 1) }), tarOf({ 'app/bin': randomBytes(1_500_000, 2) })]);
const client = (mode: 'none' | 'basic' | 'token', credentials: typeof alice | null = mode === 'none' ? null : alice) =>
  new RegistryClient({ registry: registries[mode]!.host, insecure: true, credentials, transport: { backoffMs: 5 } });
const failure = (p: Promise<unknown>) => p.then(() => 'no error', (e) => (e as { code?: string }).code ?? String(e));

/** What a failed count should show: the statuses seen and the end of the registry's log (a flake on Node once pushed nothing to the token registry). */
const seen = (events: ProgressEvent[], mode: 'none' | 'basic' | 'token') =>
  `statuses: ${events.map((e) => e.status).filter((s) => s !== 'Pushing').join(', ')}\nregistry log:\n${registries[mode]!.log().trim().split('\n').slice(-8).join('\n')}`;

function check(name: string, fn: () => Promise<void>) {
  if (missing) return skip(name, missing);
  test(name, fn);
}

for (const mode of ['none', 'basic', 'token'] as const) {
  check(`${mode}: push an image (streamed and chunked uploads), pull it back identical`, async () => {
    const events: ProgressEvent[] = [];
    const ref = parseDockerReference(`${registries[mode]!.host}/team/app:v1`);
    const pushed = await pushImage(client(mode), ref, image.image, { onProgress: (e) => events.push(e), chunkSize: mode === 'basic' ? 300_000 : undefined });
    assert.is(pushed.digest, image.manifestDigest);
    assert.equal(events.filter((e) => e.status === 'Pushed').length, 2, seen(events, mode));
    const store = new RecordingStore();
    const pulled = await pullImage(client(mode), ref, store as unknown as BlobStore, { onProgress: (e) => events.push(e) });
    assert.is(pulled.digest, image.manifestDigest);
    for (const layer of image.layers) assert.equal(store.blobs.get(layer.digest), layer.bytes);
    assert.equal(store.blobs.get(image.manifestDigest), image.manifestBytes);
    assert.equal([...store.names.keys()], [`${registries[mode]!.host}/team/app:v1`]);
    // Pushing again finds every layer there already.
    const again: ProgressEvent[] = [];
    await pushImage(client(mode), ref, image.image, { onProgress: (e) => again.push(e) });
    assert.equal(again.filter((e) => e.status === 'Layer already exists').length, 2);
    // Pulling again into the same store downloads nothing.
    const second = await pullImage(client(mode), ref, store as unknown as BlobStore, { onProgress: (e) => again.push(e) });
    assert.is(second.downloaded, false);
    assert.ok(again.filter((e) => e.status === 'Already exists').length >= 2);
  });
}

check('a blob present in another repository is mounted, not uploaded (registry log shows the mount)', async () => {
  const c = client('token');
  const ref = parseDockerReference(`${registries.token!.host}/other/app:v1`);
  await pushImage(c, parseDockerReference(`${registries.token!.host}/team/base:v1`), image.image);
  const events: ProgressEvent[] = [];
  await pushImage(c, ref, image.image, { onProgress: (e) => events.push(e), mountFrom: ['team/base'] });
  assert.equal(events.filter((e) => e.status === 'Mounted from team/base').length, 2, seen(events, 'token'));
  assert.match(registries.token!.log(), /mount=sha256%3A[0-9a-f]{64}&from=team%2Fbase|mount=sha256:[0-9a-f]{64}&from=team\/base/);
});

check('uploads: monolithic is one PUT, streamed one PATCH, chunked one PATCH per chunk (registry access log)', async () => {
  const c = client('none');
  const blob = randomBytes(700_000, 9);
  const descriptor = { digest: `sha256:${createHash('sha256').update(blob).digest('hex')}` as Digest, size: blob.length };
  const patches = () => (registries.none!.log().match(/http\.request\.method=PATCH/g) ?? []).length;
  const open = async () => new Blob([blob as Uint8Array<ArrayBuffer>]).stream();
  for (const [mode, options, expected] of [['monolithic', { monolithic: true }, 0], ['streamed', { monolithic: false }, 1], ['chunked', { chunkSize: 100_000 }, 7]] as const) {
    const before = patches();
    assert.equal(await c.pushBlob(`modes/${mode}`, descriptor, open, options), { kind: 'pushed' });
    assert.is(patches() - before, expected, mode);
    assert.is(await c.headBlob(`modes/${mode}`, descriptor.digest), blob.length);
    assert.equal(await c.readBlob(`modes/${mode}`, descriptor), blob);
  }
});

check('manifests: HEAD gives the digest, GET by digest verifies, tags and catalog follow Link pages', async () => {
  const c = client('none');
  const ref = parseDockerReference(`${registries.none!.host}/paged/app:t0`);
  for (let i = 0; i < 5; i++) await pushImage(c, { ...ref, tag: `t${i}` }, image.image);
  const head = await c.headManifest('paged/app', 't3');
  assert.is(head?.digest, image.manifestDigest);
  assert.is(head?.size, image.manifestBytes.length);
  assert.is((await c.getManifest('paged/app', image.manifestDigest)).digest, image.manifestDigest);
  assert.is(await c.headManifest('paged/app', 'nope'), undefined);
  assert.equal((await c.tags('paged/app', 2)).sort(), ['t0', 't1', 't2', 't3', 't4']);
  const catalog = await c.catalog(1);
  assert.ok(catalog.includes('paged/app') && catalog.includes('team/app'), catalog.join(','));
  assert.is(await failure(c.tags('no/such')), 'NAME_UNKNOWN');
});

check('basic auth: no credentials or a wrong password is AUTH_REQUIRED', async () => {
  assert.is(await failure(client('basic', null).tags('team/app')), 'AUTH_REQUIRED');
  assert.is(await failure(client('basic', { username: 'alice', password: 'nope' }).tags('team/app')), 'AUTH_REQUIRED');
  assert.equal(await client('basic').tags('team/app'), ['v1']);
});

check('token auth: anonymous may pull but not push; tokens are cached per scope and fetched again after expiry', async () => {
  const anonymous = client('token', null);
  assert.equal(await anonymous.tags('team/app'), ['v1']);
  const denied = await failure(pushImage(anonymous, parseDockerReference(`${registries.token!.host}/anon/app:v1`), image.image));
  assert.ok(denied === 'AUTH_REQUIRED' || denied === 'AUTH_DENIED', denied);
  assert.is(await failure(client('token', { username: 'alice', password: 'bad' }).tags('team/app')), 'AUTH_DENIED');
  const c = client('token');
  for (let i = 0; i < 5; i++) await c.tags('team/app');
  assert.is(c.session.tokenFetches, 1);
  await new Promise((r) => setTimeout(r, 1500)); // tokens live 6 s, refreshed 5 s early
  await c.tags('team/app');
  assert.is(c.session.tokenFetches, 2);
});

check('credentials come from $DOCKER_CONFIG/config.json: base64 auth, and a credHelpers program', async () => {
  process.env.DOCKER_CONFIG = home;
  const fromConfig = new RegistryClient({ registry: registries.basic!.host, insecure: true });
  writeFileSync(join(home, 'config.json'), JSON.stringify({ auths: { [registries.basic!.host]: { auth: btoa('alice:wonderland') } } }));
  assert.equal(await fromConfig.tags('team/app'), ['v1']);
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'docker-credential-lktest'), `#!/bin/sh\nread host\n[ "$host" = "${registries.token!.host}" ] || { echo "credentials not found in native keychain"; exit 1; }\necho '{"ServerURL":"'$host'","Username":"alice","Secret":"wonderland"}'\n`);
  chmodSync(join(bin, 'docker-credential-lktest'), 0o755);
  process.env.PATH = `${bin}:${savedEnv.PATH}`;
  writeFileSync(join(home, 'config.json'), JSON.stringify({ credHelpers: { [registries.token!.host]: 'lktest' } }));
  const viaHelper = new RegistryClient({ registry: registries.token!.host, insecure: true });
  await pushImage(viaHelper, parseDockerReference(`${registries.token!.host}/helper/app:v1`), image.image);
  assert.equal(await viaHelper.tags('helper/app'), ['v1']);
  writeFileSync(join(home, 'config.json'), JSON.stringify({ credHelpers: { [registries.token!.host]: 'absent-helper' } }));
  assert.is(await failure(new RegistryClient({ registry: registries.token!.host, insecure: true }).tags('helper/app')), 'CREDENTIAL_HELPER_FAILED');
});

test.run();
