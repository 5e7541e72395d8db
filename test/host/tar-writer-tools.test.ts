// What the tar writer produces, read by references we did not write: byte-identical to Go's
// archive/tar writer on the archives of Go's testdata that Go's writer made (corpus), field for
// field through CPython's tarfile, and listed alike by GNU tar and bsdtar.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { paxTime } from '../../src/tar/header-encode.ts';
import { skip } from '../_setup.ts';
import { randomTarEntries, modeString } from '../_tar-writer-entries.ts';
import { corpusDir } from '../_corpus.ts';

const dir = mkdtempSync(join(tmpdir(), 'layerkit-tarw-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const CORPUS = `${corpusDir('tar')}/upstream/`;
const utf8 = new TextEncoder();
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const has = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;

// Archives in Go's testdata that Go's own writer produced (writer_test.go compares against them).
const GO_WRITTEN = ['go-writer', 'go-ustar', 'go-hardlink', 'go-file-and-dir', 'go-ustar-file-devs', 'go-pax-records', 'go-trailing-slash'];

test('byte-identical to Go archive/tar on the archives its writer produced', async () => {
  if (!existsSync(CORPUS)) return skip('go-written corpus', `${CORPUS} is not on this machine`);
  for (const id of GO_WRITTEN) {
    const tar = new Uint8Array(readFileSync(`${CORPUS}${id}.tar`));
    const ref = JSON.parse(readFileSync(`${CORPUS}${id}.json`, 'utf8'));
    const entries = ref.go.entries.map((e: Record<string, any>, i: number): TarWriteEntry => {
      const at = ref.python.entries[i].offset_data as number;
      const pax = Object.fromEntries(Object.entries(e.pax ?? {}).filter(([k]) => !k.startsWith('SCHILY.xattr.')));
      return {
        name: e.name, type: e.kind, size: e.size, mode: e.mode, uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname,
        mtime: e.mtime, linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor, xattrs: e.xattrs,
        pax: Object.keys(pax).length ? (pax as Record<string, string>) : undefined,
        body: e.data_len ? tar.subarray(at, at + e.data_len) : undefined,
      };
    });
    const ours = await writeTar(entries);
    assert.equal(ours, tar.subarray(0, ours.length), id);
    assert.ok(tar.subarray(ours.length).every((x) => x === 0), `${id}: only zero padding follows`);
  }
});

const PY_LIST = `
import sys, tarfile, json, hashlib
e = lambda s: s.encode('utf-8', 'surrogateescape').hex()
out = []
with tarfile.open(sys.argv[1], 'r:') as tf:
    for m in tf:
        data = tf.extractfile(m).read() if m.isreg() else b''
        out.append({'name': e(m.name), 'type': m.type.decode(), 'size': m.size, 'mode': m.mode, 'uid': m.uid, 'gid': m.gid,
          'uname': e(m.uname), 'gname': e(m.gname), 'mtime': m.pax_headers.get('mtime', str(int(m.mtime))),
          'linkname': e(m.linkname), 'devmajor': m.devmajor, 'devminor': m.devminor,
          'xattrs': {k[13:]: e(v) for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')},
          'comment': m.pax_headers.get('comment'), 'sha256': hashlib.sha256(data).hexdigest()})
print(json.dumps(out))
`;

const TYPE_CHAR: Record<string, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', contiguous: '7' };

function bodyBytes(e: TarWriteEntry): Uint8Array {
  return e.body instanceof Uint8Array ? e.body : new Uint8Array(0);
}

/** What tarfile should report for an entry (tarfile strips a directory's trailing slashes). */
function expectedByPython(e: TarWriteEntry) {
  const type = e.type ?? 'file';
  const name = e.nameHex ?? hex(utf8.encode(type === 'dir' ? e.name.replace(/\/+$/, '') : e.name));
  const xattrs = Object.fromEntries(Object.entries(e.xattrs ?? {}).map(([k, v]) => [k,
    typeof v === 'string' ? (v.startsWith('hex:') ? v.slice(4) : hex(utf8.encode(v))) : hex(v)]));
  const mtime = e.mtime ?? { sec: 0, nsec: 0 };
  return {
    name, type: TYPE_CHAR[type], size: bodyBytes(e).length, mode: e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
    uid: e.uid ?? 0, gid: e.gid ?? 0, uname: hex(utf8.encode(e.uname ?? '')), gname: hex(utf8.encode(e.gname ?? '')),
    mtime: paxTime(mtime.sec, mtime.nsec), linkname: hex(utf8.encode(e.linkname ?? '')),
    devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0, xattrs, comment: (e.pax?.comment as string | undefined) ?? null,
    sha256: createHash('sha256').update(bodyBytes(e)).digest('hex'),
  };
}

function pythonList(file: string): ReturnType<typeof expectedByPython>[] {
  const r = spawnSync('python3', ['-c', PY_LIST, file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('CPython tarfile reads every field back (500 random entries: long and Unicode names, big ids, sub-second and negative times, xattrs)', async () => {
  if (!has('python3')) return skip('tarfile round trip', 'python3 is not installed');
  for (const seed of [1, 2]) {
    const entries = randomTarEntries(250, seed, { negativeTimes: true, hugeIds: true });
    const file = join(dir, `py-${seed}.tar`);
    writeFileSync(file, await writeTar(entries));
    const got = pythonList(file);
    assert.is(got.length, entries.length);
    entries.forEach((e, i) => assert.equal(got[i], expectedByPython(e), `seed ${seed} entry ${i} ${e.name}`));
  }
});

test('CPython tarfile reads a non-UTF-8 name, a size beyond 8 GiB (header only), and an empty file', async () => {
  if (!has('python3')) return skip('tarfile edge cases', 'python3 is not installed');
  const entries: TarWriteEntry[] = [{ name: 'bad', nameHex: '6e6f74ff75746638' }, { name: 'empty', body: new Uint8Array(0) }];
  const file = join(dir, 'edge.tar');
  writeFileSync(file, await writeTar(entries));
  assert.equal(pythonList(file).map((m) => m.name), ['6e6f74ff75746638', hex(utf8.encode('empty'))]);
  // The header of an 8 GiB + 1 entry, without its content: tarfile reads headers lazily.
  const big = join(dir, 'big.tar');
  const { encodeHeaders } = await import('../../src/tar/header-encode.ts');
  writeFileSync(big, encodeHeaders({ name: 'huge', size: 2 ** 33 + 1 }));
  const r = spawnSync('python3', ['-c', 'import tarfile,sys; m = tarfile.open(sys.argv[1]).next(); print(m.name, m.size, m.pax_headers["size"])', big], { encoding: 'utf8' });
  assert.is(r.stdout.trim(), `huge ${2 ** 33 + 1} ${2 ** 33 + 1}`, r.stderr);
});

interface Listed { mode: string; uid: string; gid: string; size: string; name: string; link?: string; time?: string }

/** `tar -tv` lines → fields (GNU: `--full-time --numeric-owner`; bsdtar: `--numeric-owner`). */
function parseListing(out: string, tool: 'gnu' | 'bsd'): Listed[] {
  const re = tool === 'gnu'
    ? /^(\S{10}) (\d+)\/(\d+) +(\S+) (\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) +(.*)$/
    : /^(\S{10}) +\d+ (\d+) +(\d+) +(\S+) \w{3} [ \d]\d (?: \d{4}|\d\d:\d\d) (.*)$/;
  return out.split('\n').filter(Boolean).map((line) => {
    const m = line.match(re);
    assert.ok(m, `${tool} listing line not understood: ${line}`);
    const [, mode, uid, gid, size] = m!;
    const rest = m![tool === 'gnu' ? 6 : 5]!;
    const link = rest.match(/^(.*?)(?: -> | link to )(.*)$/);
    return { mode: mode!, uid: uid!, gid: gid!, size: size!, name: link ? link[1]! : rest, link: link?.[2], ...(tool === 'gnu' ? { time: m![5] } : {}) };
  });
}

function expectedListing(e: TarWriteEntry, tool: 'gnu' | 'bsd'): Listed {
  const type = e.type ?? 'file';
  const device = type === 'char' || type === 'block';
  const mtime = e.mtime ?? { sec: 0, nsec: 0 };
  const iso = new Date(mtime.sec * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const fraction = mtime.nsec ? `.${String(mtime.nsec).padStart(9, '0').replace(/0+$/, '')}` : '';
  return {
    mode: modeString(type, e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644)),
    uid: String(e.uid ?? 0), gid: String(e.gid ?? 0),
    size: device ? `${e.devmajor ?? 0},${e.devminor ?? 0}` : String(bodyBytes(e).length),
    name: e.name, link: type === 'symlink' || type === 'hardlink' ? e.linkname : undefined,
    ...(tool === 'gnu' ? { time: iso + fraction } : {}),
  };
}

test('GNU tar and bsdtar list 400 random entries alike, as written', async () => {
  const tools = (['gnu', 'bsd'] as const).filter((t) => has(t === 'gnu' ? 'tar' : 'bsdtar'));
  if (tools.length < 2) skip('GNU tar / bsdtar listing', 'GNU tar or bsdtar is not installed');
  for (const seed of [3, 4]) {
    const entries = randomTarEntries(200, seed, { printableNames: true });
    const file = join(dir, `list-${seed}.tar`);
    writeFileSync(file, await writeTar(entries));
    const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };
    const listings = tools.map((tool) => {
      const r = tool === 'gnu'
        ? spawnSync('tar', ['-tv', '--full-time', '--numeric-owner', '--quoting-style=literal', '-f', file], { encoding: 'utf8', env })
        : spawnSync('bsdtar', ['-tv', '--numeric-owner', '-f', file], { encoding: 'utf8', env });
      assert.is(r.status, 0, `${tool}: ${r.stderr}`);
      assert.is(r.stderr, '', `${tool} warns`);
      return { tool, listed: parseListing(r.stdout, tool) };
    });
    for (const { tool, listed } of listings) {
      assert.is(listed.length, entries.length, tool);
      entries.forEach((e, i) => assert.equal(listed[i], expectedListing(e, tool), `${tool} seed ${seed} entry ${i}`));
    }
  }
});

test.run();
