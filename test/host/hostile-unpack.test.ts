// Hostile layers through unpack, with moby's oracle: beside the target R sits a victim directory V
// holding a file of known bytes, mode and mtime. After each case nothing in V was created, changed,
// deleted or chmodded, no file under R has V's bytes (or V's inode), and the case got its verdict
// from shared/docs/hostile-cases.md: contained (the effect lands inside R) or a typed error with
// the staging directory gone. Rows 1-28 as they apply to unpacking.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { unpackImage } from '../../src/fs/unpack.ts';
import { isLayerkitError } from '../../src/errors.ts';
import { nodeTreeWriter } from '../../src/runtime/node-tree-writer.ts';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { layerkit } from '../_cli.ts';
import { memoryLayer, writeOciImage } from '../_overlay.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const VICTIM_BYTES = new TextEncoder().encode('victim bytes 7f3a9c: must never be read, linked or changed\n');
const VICTIM_SHA = createHash('sha256').update(VICTIM_BYTES).digest('hex');
const text = (s: string) => new TextEncoder().encode(s);
const f = (name: string, body = 'x', extra: Partial<TarWriteEntry> = {}): TarWriteEntry => ({ name, type: 'file', body: text(body), ...extra });
const d = (name: string, extra: Partial<TarWriteEntry> = {}): TarWriteEntry => ({ name, type: 'dir', mode: 0o755, ...extra });
const s = (name: string, linkname: string): TarWriteEntry => ({ name, type: 'symlink', linkname });
const h = (name: string, linkname: string): TarWriteEntry => ({ name, type: 'hardlink', linkname });

interface Case {
  row: number;
  name: string;
  layers: (base: string) => TarWriteEntry[][];
  verdict: 'contain' | string; // or the expected error code
  rootless?: boolean;
  check?: (R: string, warnings: string[]) => void;
}

const kind = (p: string) => { try { const st = lstatSync(p); return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isCharacterDevice() ? 'char' : st.isFIFO() ? 'fifo' : 'other'; } catch { return undefined; } };
const HOST_PROBE = `layerkit-hostile-${process.pid}`;

const cases: Case[] = [
  { row: 1, name: '../V/x', layers: () => [[f('../V/x')]], verdict: 'PATH_ESCAPE' },
  { row: 1, name: 'a/../../V/x', layers: () => [[d('a/'), f('a/../../V/x')]], verdict: 'PATH_ESCAPE' },
  { row: 1, name: 'bare ..', layers: () => [[d('..')]], verdict: 'PATH_ESCAPE' },
  { row: 2, name: '/etc/x, ////etc/y, ./etc/z stripped', layers: () => [[f('/etc/x'), f('////etc/y'), f('./etc/z')]], verdict: 'contain',
    check: (R) => ['x', 'y', 'z'].forEach((n) => assert.is(kind(`${R}/etc/${n}`), 'file')) },
  { row: 3, name: '/../V/x', layers: () => [[f('/../V/x')]], verdict: 'PATH_ESCAPE' },
  { row: 4, name: 'l -> /etc, then l/x (chroot semantics)', layers: () => [[s('l', '/etc'), f(`l/${HOST_PROBE}`, 'in R')]], verdict: 'contain',
    check: (R) => { assert.is(readFileSync(`${R}/etc/${HOST_PROBE}`, 'utf8'), 'in R'); assert.is(readlinkSync(`${R}/l`), '/etc'); assert.not.ok(existsSync(`/etc/${HOST_PROBE}`)); } },
  { row: 5, name: 'l -> ../../V, then l/x', layers: () => [[s('l', '../../V'), f('l/x')]], verdict: 'PATH_ESCAPE' },
  { row: 6, name: 'dir foo, symlink foo -> /, then foo/tmp/x (no stale resolution)', layers: () => [[d('foo/'), s('foo', '/'), f('foo/tmp/x', 'inside')]], verdict: 'contain',
    check: (R) => { assert.is(readFileSync(`${R}/tmp/x`, 'utf8'), 'inside'); assert.is(kind(`${R}/foo`), 'symlink'); } },
  { row: 7, name: 'a\\b vs a/b, ß vs ss, FOO vs foo stay distinct', layers: () => [[f('a\\b', '1'), d('a/'), f('a/b', '2'), f('ß', '3'), f('ss', '4'), f('FOO', '5'), f('foo', '6')]], verdict: 'contain',
    check: (R) => { assert.equal(readdirSync(R).sort(), ['FOO', 'a', 'a\\b', 'foo', 'ss', 'ß']); assert.is(readFileSync(`${R}/a\\b`, 'utf8'), '1'); assert.is(readFileSync(`${R}/ß`, 'utf8'), '3'); } },
  { row: 8, name: 'hardlink h -> ../../V/hello', layers: () => [[h('h', '../../V/hello')]], verdict: 'PATH_ESCAPE' },
  { row: 8, name: 'hardlink h -> /V/hello (absolute, resolved in R)', layers: () => [[h('h', '/V/hello')]], verdict: 'HARDLINK_INVALID' },
  { row: 8, name: 'hardlink to the host path of V/hello', layers: (base) => [[h('h', `${base}/V/hello`)]], verdict: 'HARDLINK_INVALID' },
  { row: 9, name: 's -> /etc/passwd, hardlink h -> s links the symlink itself', layers: () => [[s('s', '/etc/passwd'), h('h', 's')]], verdict: 'contain',
    check: (R) => { assert.is(kind(`${R}/h`), 'symlink'); assert.is(readlinkSync(`${R}/h`), '/etc/passwd'); assert.is(lstatSync(`${R}/h`).ino, lstatSync(`${R}/s`).ino); } },
  { row: 10, name: 'symlink to the victim, hardlink to it, with mode and owner', layers: (base) => [[s('s', `${base}/V/hello`), { ...h('h', 's'), mode: 0o777, uid: 4321, gid: 4321 }, { ...s('t', `${base}/V/hello`), mode: 0o777, uid: 99 }]], verdict: 'contain',
    check: (R) => assert.is(kind(`${R}/h`), 'symlink') },
  { row: 11, name: 'hardlink to a target that appears later', layers: () => [[h('h', 'later'), f('later')]], verdict: 'HARDLINK_INVALID' },
  { row: 11, name: 'hardlink to a directory', layers: () => [[d('dir/'), h('h', 'dir')]], verdict: 'HARDLINK_INVALID' },
  { row: 12, name: './ typed symlink', layers: () => [[s('./', '/')]], verdict: 'ROOT_TYPE_CHANGE' },
  { row: 12, name: '. typed file', layers: () => [[f('.')]], verdict: 'ROOT_TYPE_CHANGE' },
  { row: 12, name: './ dir entry is root metadata', layers: () => [[d('./', { mode: 0o750, mtime: { sec: 1600000000, nsec: 0 } }), f('x')]], verdict: 'contain',
    check: (R) => { assert.is(lstatSync(R).mode & 0o7777, 0o750); assert.is(Math.floor(lstatSync(R).mtimeMs / 1000), 1600000000); } },
  { row: 13, name: 'symlink named ..', layers: () => [[s('..', '/')]], verdict: 'PATH_ESCAPE' },
  { row: 14, name: 'dir replaced by a symlink in a lower layer, then a file through it', layers: () => [[d('d/'), f('d/a')], [s('d', '/etc')], [f(`d/${HOST_PROBE}`, 'upper')]], verdict: 'contain',
    check: (R) => { assert.is(kind(`${R}/d`), 'dir'); assert.is(readFileSync(`${R}/d/${HOST_PROBE}`, 'utf8'), 'upper'); assert.not.ok(existsSync(`/etc/${HOST_PROBE}`)); } },
  { row: 15, name: 'dir/loophole -> ../../V, then dir/loophole/new/x', layers: () => [[d('dir/'), s('dir/loophole', '../../V'), f('dir/loophole/new/x')]], verdict: 'PATH_ESCAPE' },
  { row: 16, name: 'escape -> .., absolute -> /target, escape/absolute/f', layers: () => [[s('escape', '..'), s('absolute', '/target'), f('escape/absolute/f')]], verdict: 'PATH_ESCAPE' },
  { row: 17, name: 'absolute and ../ symlink targets kept verbatim', layers: () => [[d('bin/'), s('bin/sh', '/bin/busybox'), d('etc/'), s('etc/passwd', '/usr/etc/passwd'), d('lib/'), s('lib/ld.so', '../lib/ld-linux.so.2')]], verdict: 'contain',
    check: (R) => { assert.is(readlinkSync(`${R}/bin/sh`), '/bin/busybox'); assert.is(readlinkSync(`${R}/etc/passwd`), '/usr/etc/passwd'); assert.is(readlinkSync(`${R}/lib/ld.so`), '../lib/ld-linux.so.2'); } },
  { row: 18, name: 'Windows-looking names are literal names on POSIX', layers: () => [[f('..\\..\\x'), f('C:..\\x'), f('C:\\x'), f('NUL')]], verdict: 'contain',
    check: (R) => assert.equal(readdirSync(R).sort(), ['..\\..\\x', 'C:..\\x', 'C:\\x', 'NUL']) },
  ...['.wh...', '.wh..', 'etc/.wh...', '.wh.'].map((name): Case => ({ row: 19, name: `whiteout ${name}`, layers: () => [[d('etc/'), f('etc/keep')], [f(name, '')]], verdict: 'WHITEOUT_INVALID' })),
  { row: 20, name: 'link/.wh.x with link -> /etc in the same layer deletes R/etc/x only', layers: () => [[d('etc/'), f('etc/x'), f('etc/y')], [s('link', '/etc'), f('link/.wh.x', '')]], verdict: 'contain',
    check: (R) => { assert.is(kind(`${R}/etc/x`), undefined); assert.is(kind(`${R}/etc/y`), 'file'); } },
  { row: 20, name: 'link/.wh.x with link -> /etc from a lower layer (overlay: names are not followed across layers)', layers: () => [[d('etc/'), f('etc/x'), s('link', '/etc')], [f('link/.wh.x', '')]], verdict: 'contain',
    check: (R) => { assert.is(kind(`${R}/etc/x`), 'file'); assert.is(kind(`${R}/link`), 'symlink'); } },
  { row: 21, name: '.wh.link removes the symlink only', layers: () => [[d('etc/'), f('etc/x'), s('link', '/etc')], [f('.wh.link', '')]], verdict: 'contain',
    check: (R) => { assert.is(kind(`${R}/link`), undefined); assert.is(kind(`${R}/etc/x`), 'file'); } },
  { row: 22, name: 'opaque marker at the root keeps same-layer entries', layers: () => [[f('a'), d('b/'), f('b/c')], [f('.wh..wh..opq', ''), f('new')]], verdict: 'contain',
    check: (R) => assert.equal(readdirSync(R), ['new']) },
  { row: 22, name: 'opaque marker under a symlinked dir', layers: () => [[d('etc/'), f('etc/x'), s('link', '/etc')], [f('link/.wh..wh..opq', '')]], verdict: 'contain',
    check: (R) => { assert.is(kind(`${R}/etc/x`), 'file'); assert.is(kind(`${R}/link`), 'dir'); assert.equal(readdirSync(`${R}/link`), []); } },
  { row: 22, name: 'opaque marker with the dir missing', layers: () => [[f('a')], [f('ghost/.wh..wh..opq', '')]], verdict: 'contain',
    check: (R) => { assert.is(kind(`${R}/ghost`), 'dir'); assert.equal(readdirSync(`${R}/ghost`), []); } },
  { row: 23, name: 'markers typed dir, symlink, hardlink, non-empty are markers only', layers: () => [[d('a/'), f('a/old'), d('b/'), f('b/old'), f('x'), f('y'), d('c/'), f('c/old')],
    [d('a/.wh..wh..opq/'), s('b/.wh..wh..opq', '/etc'), f('.wh.x', 'not empty'), s('.wh.y', '/etc/passwd'), h('c/.wh..wh..opq', '../../V/hello')]], verdict: 'contain',
    check: (R) => { assert.equal(readdirSync(R).sort(), ['a', 'b', 'c']); for (const dir of ['a', 'b', 'c']) assert.equal(readdirSync(`${R}/${dir}`), []); } },
  { row: 24, name: 'hardlink to a whiteout', layers: () => [[f('x')], [f('.wh.x', ''), h('h', '.wh.x')]], verdict: 'HARDLINK_INVALID' },
  { row: 24, name: 'hardlink into .wh..wh.plnk', layers: () => [[f('.wh..wh.plnk/1234', 'aufs'), h('h', '.wh..wh.plnk/1234')]], verdict: 'HARDLINK_INVALID' },
  { row: 25, name: '.wh.etc/somefile (marker as a directory)', layers: () => [[d('etc/'), f('etc/keep')], [f('.wh.etc/somefile')]], verdict: 'WHITEOUT_INVALID' },
  { row: 26, name: 'whiteout then re-add in one layer', layers: () => [[d('a/'), f('a/old')], [f('.wh.a', ''), d('a/'), f('a/new')]], verdict: 'contain',
    check: (R) => assert.equal(readdirSync(`${R}/a`), ['new']) },
  { row: 26, name: 're-add then whiteout in one layer', layers: () => [[d('a/'), f('a/old')], [d('a/'), f('a/new'), f('.wh.a', '')]], verdict: 'contain',
    check: (R) => assert.equal(readdirSync(`${R}/a`), ['new']) },
  { row: 26, name: 'whiteout and a file of the same name in one layer', layers: () => [[d('a/'), f('a/old')], [f('a', 'file now'), f('.wh.a', '')]], verdict: 'contain',
    check: (R) => assert.is(readFileSync(`${R}/a`, 'utf8'), 'file now') },
  { row: 27, name: 'devices skipped rootless, FIFO kept', rootless: true, layers: () => [[{ name: 'dev/zero', type: 'char', devmajor: 1, devminor: 5 }, { name: 'dev/loop0', type: 'block', devmajor: 7, devminor: 0 }, { name: 'fifo', type: 'fifo' }]], verdict: 'contain',
    check: (R, warnings) => { assert.is(kind(`${R}/dev/zero`), undefined); assert.is(kind(`${R}/dev/loop0`), undefined); assert.is(kind(`${R}/fifo`), 'fifo'); assert.is(warnings.length, 2); } },
  { row: 27, name: 'device with an out-of-range major', layers: () => [[{ name: 'dev/bad', type: 'char', devmajor: 5000, devminor: 1 }]], verdict: 'DEVICE_INVALID' },
  { row: 28, name: 'trusted.* xattr refused, setuid kept, dir mode 000 applied last', layers: () => [[f('x', 'x', { xattrs: { 'trusted.overlay.opaque': 'y', 'user.note': 'ok' } }), f('suid', '#!', { mode: 0o4755 }), d('locked/', { mode: 0o000 }), f('locked/inside', 'in')]], verdict: 'contain',
    check: (R, warnings) => { assert.is(lstatSync(`${R}/suid`).mode & 0o7777, 0o4755); assert.is(lstatSync(`${R}/locked`).mode & 0o7777, 0); assert.is(readFileSync(`${R}/locked/inside`, 'utf8'), 'in'); assert.ok(warnings.some((w) => w.includes('trusted.overlay.opaque'))); } },
];

/** What V looks like, to the byte and the nanosecond. */
function snapshot(V: string): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = `${dir}/${name}`;
      const st = lstatSync(p, { bigint: true });
      const sha = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : '';
      lines.push(`${p} ${st.mode} ${st.uid}:${st.gid} ${st.mtimeNs} ${st.size} ${st.nlink} ${st.ino} ${sha}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(V);
  return lines.join('\n');
}

/** Every regular file under R whose bytes or inode are the victim's. */
function sharedWithVictim(R: string, victimIno: bigint): string[] {
  if (!existsSync(R)) return [];
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = `${dir}/${name}`;
      const st = lstatSync(p, { bigint: true });
      if (st.isDirectory()) walk(p); // as root, mode 000 directories are readable
      else if (st.isFile() && (st.ino === victimIno || createHash('sha256').update(readFileSync(p)).digest('hex') === VICTIM_SHA)) hits.push(p);
    }
  };
  walk(R);
  return hits;
}

let verdicts = 0;
for (const c of cases) {
  test(`hostile row ${c.row}: ${c.name} → ${c.verdict}`, async () => {
    const base = mkdtempSync(`${tmpdir()}/lk-hostile-`);
    try {
      const V = `${base}/V`, R = `${base}/R`;
      mkdirSync(V);
      writeFileSync(`${V}/hello`, VICTIM_BYTES, { mode: 0o640 });
      chmodSync(`${V}/hello`, 0o640);
      utimesSync(`${V}/hello`, 1234567890, 1234567890);
      const before = snapshot(V);
      const victimIno = lstatSync(`${V}/hello`, { bigint: true }).ino;
      const layers = (await Promise.all(c.layers(base).map((entries) => writeTar(entries)))).map(memoryLayer);
      const warnings: string[] = [];
      let code = 'contain';
      try {
        await unpackImage(layers, R, nodeTreeWriter, { rootless: c.rootless ?? false, warn: (m) => warnings.push(m) });
      } catch (error) {
        if (!isLayerkitError(error)) throw error;
        code = error.code;
      }
      assert.is(snapshot(V), before, 'the victim directory changed');
      assert.equal(sharedWithVictim(R, victimIno), [], 'a file in R shares the victim\'s bytes or inode');
      assert.is(code, c.verdict, `verdict (warnings: ${warnings.join('; ')})`);
      if (code !== 'contain') {
        assert.not.ok(existsSync(R), 'a refused layer left the target behind');
        assert.not.ok(existsSync(`${R}.layerkit-partial`), 'a refused layer left the staging directory behind');
      } else c.check?.(R, warnings);
      assert.not.ok(existsSync(`${R}.layerkit-bodies`), 'the spool of file bodies was left behind');
      assert.not.ok(existsSync(`/etc/${HOST_PROBE}`), 'a file reached the host /etc');
      verdicts++;
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
}

test('the CLI prints the typed error of a refused layer and leaves nothing behind', async () => {
  const base = mkdtempSync(`${tmpdir()}/lk-hostile-cli-`);
  try {
    writeOciImage(`${base}/img`, [await writeTar([f('ok'), f('../escape')])]);
    const refused = layerkit(['unpack', `oci:${base}/img:latest`, `${base}/R`]);
    assert.is(refused.status, 1);
    assert.match(refused.stderr, /\(PATH_ESCAPE\)\n$/);
    assert.not.ok(existsSync(`${base}/R`) || existsSync(`${base}/R.layerkit-partial`) || existsSync(`${base}/escape`));
    writeOciImage(`${base}/img2`, [await writeTar([s('l', '/etc'), f(`l/${HOST_PROBE}`, 'cli')])]);
    const contained = layerkit(['unpack', `oci:${base}/img2:latest`, `${base}/R2`]);
    assert.is(contained.status, 0, contained.stderr);
    assert.is(readFileSync(`${base}/R2/etc/${HOST_PROBE}`, 'utf8'), 'cli');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('every hostile case got its verdict', () => {
  assert.is(verdicts, cases.length);
});

test.run();
