// The registry commands as a user runs them, against docker-registry with htpasswd auth: login
// writes config.json as docker does, push/pull print docker's lines and digests equal to the
// OCI layout's own, a second pull finds every layer ("Already exists"), tags, inspect and logout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerkit } from '../_cli.ts';
import { registryUnavailable, startRegistry, type TestRegistry } from '../_registry.ts';
import { skip } from '../_setup.ts';

const missing = registryUnavailable();
let registry: TestRegistry | undefined;
const home = mkdtempSync(join(tmpdir(), 'layerkit-registry-cli-'));
const env = { ...process.env, LAYERKIT_HOME: join(home, 'store'), DOCKER_CONFIG: join(home, 'docker') };
const sample = new URL('../../sample/oci', import.meta.url).pathname;
const sampleDigest = JSON.parse(readFileSync(join(sample, 'index.json'), 'utf8')).manifests[0].digest as string;
const run = (...args: string[]) => layerkit(args, { env });

test.before(async () => {
  if (!missing) registry = await startRegistry({ auth: 'basic' });
});
test.after(async () => {
  await registry?.stop();
  rmSync(home, { recursive: true, force: true });
});

function check(name: string, fn: () => void | Promise<void>) {
  if (missing) return skip(name, missing);
  test(name, fn);
}

check('login checks the password, then writes config.json the way docker does (tabs, base64 auth, 0600)', () => {
  const bad = run('login', registry!.host, '-u', 'alice', '-p', 'nope', '--tls-verify=false');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /\(AUTH_DENIED\)\n$/);
  const good = run('login', registry!.host, '-u', 'alice', '--password-stdin', '--tls-verify=false');
  assert.is(good.status, 2, 'no password on stdin is a usage error');
  const ok = layerkit(['login', registry!.host, '-u', 'alice', '--password-stdin', '--tls-verify=false'], { env, input: 'wonderland\n' });
  assert.is(ok.status, 0, ok.stderr);
  assert.is(ok.stdout, 'Login Succeeded\n');
  const file = join(home, 'docker', 'config.json');
  assert.is(readFileSync(file, 'utf8'), `{\n\t"auths": {\n\t\t"${registry!.host}": {\n\t\t\t"auth": "${btoa('alice:wonderland')}"\n\t\t}\n\t}\n}`);
  assert.is(statSync(file).mode & 0o777, 0o600);
});

check('push prints docker\'s lines and the digest the OCI layout names', () => {
  const r = run('push', `oci:${sample}:latest`, `docker://${registry!.host}/team/sample:v1`, '--tls-verify=false');
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines[0], `The push refers to repository [${registry!.host}/team/sample]`);
  assert.is(lines.at(-1), `v1: digest: ${sampleDigest} size: ${statSync(join(sample, 'blobs', 'sha256', sampleDigest.slice(7))).size}`);
  assert.is(lines.filter((l) => l.endsWith(': Pushed')).length, 2);
});

check('pull into an empty store, then again: Already exists, Digest and Status lines as docker prints them', () => {
  const first = run('pull', `docker://${registry!.host}/team/sample:v1`, '--tls-verify=false');
  assert.is(first.status, 0, first.stderr);
  const lines = first.stdout.trim().split('\n');
  assert.is(lines[0], 'v1: Pulling from team/sample');
  assert.is(lines.filter((l) => l.endsWith(': Pull complete')).length, 2);
  assert.equal(lines.slice(-3), [`Digest: ${sampleDigest}`, `Status: Downloaded newer image for ${registry!.host}/team/sample:v1`, `${registry!.host}/team/sample:v1`]);
  const again = run('pull', `docker://${registry!.host}/team/sample:v1`, '--tls-verify=false', '--progress=json');
  assert.is(again.status, 0, again.stderr);
  const events = again.stdout.trim().split('\n').map((l) => JSON.parse(l));
  for (const e of events) assert.equal(Object.keys(e), ['id', 'status', 'current', 'total']);
  assert.is(events.filter((e) => e.status === 'Already exists').length, 2);
  assert.is(events.at(-1).status, `Status: Image is up to date for ${registry!.host}/team/sample:v1`);
  const images = JSON.parse(run('images', '--json').stdout);
  assert.ok(images.some((i: { repository: string; tag: string; digest: string }) => i.repository === `${registry!.host}/team/sample` && i.tag === 'v1'), JSON.stringify(images));
  const inspected = JSON.parse(run('inspect', `${registry!.host}/team/sample:v1`).stdout);
  assert.is(inspected.Manifest.digest, sampleDigest);
  const quiet = run('pull', `docker://${registry!.host}/team/sample:v1`, '--tls-verify=false', '-q');
  assert.is(quiet.stdout, `${registry!.host}/team/sample:v1\n`);
  const byDigest = run('pull', `docker://${registry!.host}/team/sample@${sampleDigest}`, '--tls-verify=false', '--progress=plain');
  assert.is(byDigest.status, 0, byDigest.stderr);
  assert.ok(byDigest.stdout.includes(`Digest: ${sampleDigest}\n`), byDigest.stdout);
  assert.is(JSON.parse(run('inspect', `${registry!.host}/team/sample@${sampleDigest}`).stdout).Manifest.digest, sampleDigest);
});

check('tags, inspect docker:// without storing, and copy to an oci: directory keep the digest', () => {
  assert.equal(JSON.parse(run('tags', `docker://${registry!.host}/team/sample`, '--tls-verify=false', '--json').stdout), ['v1']);
  const remote = JSON.parse(run('inspect', `docker://${registry!.host}/team/sample:v1`, '--tls-verify=false').stdout);
  assert.is(remote.Manifest.digest, sampleDigest);
  const out = join(home, 'copied');
  const copied = run('copy', `docker://${registry!.host}/team/sample:v1`, `oci:${out}:x`, '--src-tls-verify=false');
  assert.is(copied.status, 0, copied.stderr);
  assert.is(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).manifests[0].digest, sampleDigest);
});

check('logout removes the entry; then the registry refuses: AUTH_REQUIRED, one line, exit 1', () => {
  assert.is(run('logout', registry!.host).stdout, `Removing login credentials for ${registry!.host}\n`);
  assert.is(run('logout', registry!.host).stdout, `Not logged in to ${registry!.host}\n`);
  const denied = run('tags', `docker://${registry!.host}/team/sample`, '--tls-verify=false');
  assert.is(denied.status, 1);
  assert.match(denied.stderr, /^layerkit: .*\(AUTH_REQUIRED\)\n$/);
  const insecureByDefault = run('tags', `docker://${registry!.host}/team/sample`);
  assert.is(insecureByDefault.status, 1, 'no http fallback without --tls-verify=false');
  assert.match(insecureByDefault.stderr, /REGISTRY_UNREACHABLE/);
});

test.run();
