// `layerkit digest` as a user runs it: equal to sha256sum/sha512sum on any file, the diffID of
// gzip input, and one clear line with the right exit status for every kind of bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { layerkit } from '../_cli.ts';
import { randomBytes } from '../_setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'layerkit-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const sum = (tool: string, file: string) => execFileSync(tool, [file], { encoding: 'utf8' }).split(' ')[0];
const oneLine = (stderr: string) => stderr.trim().split('\n').length === 1 && stderr.startsWith('layerkit: ');

test('digest equals sha256sum for files of many sizes, on both backends', () => {
  for (const [i, size] of [0, 1, 63, 64, 65, 1000, 1 << 20, 3 * (1 << 20) + 7].entries()) {
    const file = join(dir, `f${i}`);
    writeFileSync(file, randomBytes(size, i + 1));
    const expected = `sha256:${sum('sha256sum', file)}`;
    for (const backend of ['wasm', 'native']) {
      const r = layerkit(['digest', file, '--backend', backend]);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout.trim(), expected, `size ${size} on ${backend}`);
    }
  }
});

test('--algorithm sha512 equals sha512sum; --json gives digest and size', () => {
  const file = join(dir, 'j');
  writeFileSync(file, randomBytes(12345, 3));
  assert.is(layerkit(['digest', file, '--algorithm', 'sha512']).stdout.trim(), `sha512:${sum('sha512sum', file)}`);
  assert.equal(JSON.parse(layerkit(['digest', file, '--json']).stdout), { digest: `sha256:${sum('sha256sum', file)}`, size: 12345 });
});

test('--uncompressed hashes the gunzipped bytes (a diffID); plain input is hashed as is', () => {
  const raw = randomBytes(200_000, 4);
  const plain = join(dir, 'layer.tar');
  const gz = join(dir, 'layer.tar.gz');
  writeFileSync(plain, raw);
  writeFileSync(gz, gzipSync(raw));
  const expected = `sha256:${sum('sha256sum', plain)}`;
  assert.is(layerkit(['digest', gz, '--uncompressed']).stdout.trim(), expected);
  assert.is(layerkit(['digest', plain, '--uncompressed']).stdout.trim(), expected);
  assert.equal(JSON.parse(layerkit(['digest', gz, '--uncompressed', '--json']).stdout).size, raw.length);
  assert.is.not(layerkit(['digest', gz]).stdout.trim(), expected);
});

test('a missing file, a directory and an unknown algorithm: one line, no stack, exit 1 or 2', () => {
  const cases: [string[], number, string][] = [
    [['digest', join(dir, 'absent')], 1, 'FILE_NOT_FOUND'],
    [['digest', dir], 1, 'NOT_A_FILE'],
    [['digest', join(dir, 'j'), '--algorithm', 'md5'], 2, 'BAD_OPTION'],
    [['digest'], 2, 'USAGE'],
    [['digest', join(dir, 'j'), '--no-such-flag'], 2, 'USAGE'],
    [['frobnicate'], 2, 'USAGE'],
  ];
  for (const [args, status, code] of cases) {
    const r = layerkit(args);
    assert.is(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(oneLine(r.stderr), `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`(${code})`), `${code} in: ${r.stderr}`);
    assert.not.match(r.stderr, /\n\s+at /);
  }
});

test('an unreadable file: one line, exit 1 (run as an unprivileged user when we are root)', () => {
  const file = join(dir, 'secret');
  writeFileSync(file, 'x');
  chmodSync(file, 0o000);
  chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  // As root every file is readable, so drop to `nobody` for this one run.
  const r = layerkit(['digest', file], asRoot ? { prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] } : {});
  assert.is(r.status, 1, r.stderr);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.ok(r.stderr.includes('(FILE_UNREADABLE)'), r.stderr);
});

test('--debug adds the cause chain', () => {
  const r = layerkit(['digest', join(dir, 'absent'), '--debug']);
  assert.is(r.status, 1);
  assert.ok(r.stderr.split('\n').length > 2, r.stderr);
});

test('--help and --version', () => {
  const help = layerkit(['--help']);
  assert.is(help.status, 0);
  assert.match(help.stdout, /digest <file>/);
  assert.match(layerkit(['--version']).stdout, /^layerkit\/\d+\.\d+\.\d+/);
});

test.run();
