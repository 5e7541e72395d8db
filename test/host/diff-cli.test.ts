// `layerkit diff` and `layerkit layers` as a user runs them: lines and JSON as cli.md fixes them,
// --output written and readable by GNU tar, --summary, usage errors, and `layers --ci` exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerkit } from '../_cli.ts';
import { ready } from '../_setup.ts';

const SAMPLE = `oci:${new URL('../../sample/oci', import.meta.url).pathname}`;
let base = '';

test.before(async () => {
  await ready();
  base = fs.mkdtempSync(join(tmpdir(), 'layerkit-diff-cli-'));
  const a = join(base, 'a');
  fs.mkdirSync(join(a, 'etc'), { recursive: true });
  fs.mkdirSync(join(a, 'var/lib/db'), { recursive: true });
  fs.writeFileSync(join(a, 'etc/hostname'), 'box\n');
  fs.writeFileSync(join(a, 'var/lib/db/a.db'), 'aaaa');
  fs.utimesSync(join(a, 'etc/hostname'), 1_700_000_000, 1_700_000_000);
  spawnSync('cp', ['-a', a, join(base, 'b')]);
  const b = join(base, 'b');
  fs.writeFileSync(join(b, 'etc/new.conf'), 'new\n');
  fs.rmSync(join(b, 'var/lib'), { recursive: true });
  fs.chmodSync(join(b, 'etc/hostname'), 0o600);
});
test.after(() => fs.rmSync(base, { recursive: true, force: true }));

test('diff rootfs: prints docker diff lines in walk order', () => {
  const r = layerkit(['diff', `rootfs:${base}/a`, `rootfs:${base}/b`]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), ['C /etc/hostname', 'A /etc/new.conf', 'D /var/lib']);
});

test('diff --json has cli.md\'s shape; --parents adds the directories docker diff shows', () => {
  const r = layerkit(['diff', `rootfs:${base}/a`, `rootfs:${base}/b`, '--json', '--parents']);
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), [
    { kind: 'C', path: '/etc', type: 'dir', sizeBefore: 0, sizeAfter: 0 },
    { kind: 'C', path: '/etc/hostname', type: 'file', sizeBefore: 4, sizeAfter: 4 },
    { kind: 'A', path: '/etc/new.conf', type: 'file', sizeAfter: 4 },
    { kind: 'C', path: '/var', type: 'dir', sizeBefore: 0, sizeAfter: 0 },
    { kind: 'D', path: '/var/lib', type: 'dir', sizeBefore: 0 },
  ]);
});

test('diff --output writes the layer (GNU tar lists it), --summary counts bytes', () => {
  const out = join(base, 'layer.tar');
  const r = layerkit(['diff', `rootfs:${base}/a`, `rootfs:${base}/b`, '--output', out, '--summary', '--json']);
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { added: { count: 1, bytes: 4 }, removed: { count: 1, bytes: 4 }, changed: { count: 1, bytesBefore: 4, bytesAfter: 4 } });
  const listing = spawnSync('tar', ['-tf', out], { encoding: 'utf8' });
  assert.equal(listing.stdout.trim().split('\n'), ['etc/', 'etc/hostname', 'etc/new.conf', 'var/', 'var/.wh.lib']);
});

test('diff of an image against itself is empty; --layer compares single layers', () => {
  assert.is(layerkit(['diff', SAMPLE, SAMPLE]).stdout, '');
  const r = layerkit(['diff', SAMPLE, SAMPLE, '--layer', '0:1', '--json']);
  assert.is(r.status, 0, r.stderr);
  const changes = JSON.parse(r.stdout) as { kind: string; path: string }[];
  assert.ok(changes.some((c) => c.kind === 'A' && c.path === '/tmp/newfile'), r.stdout);
  const bad = layerkit(['diff', SAMPLE, SAMPLE, '--layer', '7']);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /LAYER_NOT_FOUND/);
  assert.is(layerkit(['diff', SAMPLE, SAMPLE, '--ignore', 'owner']).status, 2);
});

test('diff from an empty rootfs: to an image writes its whole union; extracted by GNU tar it diffs equal to the image', () => {
  const empty = join(base, 'empty');
  const unpacked = join(base, 'unpacked');
  fs.mkdirSync(empty);
  fs.mkdirSync(unpacked);
  const out = join(base, 'whole.tar');
  const r = layerkit(['diff', `rootfs:${empty}`, SAMPLE, '--output', out]);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('A /tmp/newfile'), r.stdout);
  assert.is(spawnSync('tar', ['-xpf', out, '-C', unpacked]).status, 0);
  const back = layerkit(['diff', `rootfs:${unpacked}`, SAMPLE]);
  assert.is(back.status, 0, back.stderr);
  assert.is(back.stdout, '', 'nothing differs after the round trip');
});

test('layers: JSON report, and --ci exits 1 naming the broken threshold', () => {
  const r = layerkit(['layers', SAMPLE, '--json']);
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.is(report.layers.length, 2);
  assert.is(report.efficiency, 1);
  assert.equal(Object.keys(report).filter((k) => ['layers', 'efficiency', 'wastedBytes', 'userWastedPercent', 'inefficiencies'].includes(k)).length, 5);
  assert.is(layerkit(['layers', SAMPLE, '--ci']).status, 0, 'dive\'s defaults pass on the sample');
  const failing = layerkit(['layers', SAMPLE, '--ci', '--lowest-efficiency', '1.5']);
  assert.is(failing.status, 1);
  assert.match(failing.stdout, /FAIL: lowestEfficiency/);
  assert.match(failing.stderr, /lowestEfficiency broken.*\(CI_THRESHOLD\)/);
});

test.run();
