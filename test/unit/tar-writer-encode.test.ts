// The pure header codec of the tar writer, against Go archive/tar behaviour (the expected values
// follow the cases of Go writer_test.go / strconv_test.go: TestSplitUSTARPath,
// TestFormatPAXTime, TestFormatPAXRecord) and the ustar layout of POSIX.1-2001.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeHeaders, fitsOctal, paxRecord, paxRecordsFor, paxTime, putOctal, splitUstarPath,
} from '../../src/tar/header-encode.ts';
import { isLayerkitError } from '../../src/mod.ts';

const utf8 = new TextEncoder();
const text = new TextDecoder();
const sr = (s: string, n: number) => s.repeat(n);
const field = (b: Uint8Array, at: number, width: number) => {
  const f = b.subarray(at, at + width);
  const nul = f.indexOf(0);
  return text.decode(nul < 0 ? f : f.subarray(0, nul));
};

const SPLITS: [string, string, string, boolean][] = [
  ['', '', '', false],
  ['abc', '', '', false],
  ['用戶名', '', '', false],
  [sr('a', 100), '', '', false],
  [sr('a', 100) + '/', '', '', false],
  [sr('a', 100) + '/a', sr('a', 100), 'a', true],
  [sr('a', 155) + '/', '', '', false],
  [sr('a', 155) + '/a', sr('a', 155), 'a', true],
  [sr('a', 101), '', '', false],
  [sr('/', 101), sr('/', 99), '/', true],
  [sr('a', 155) + '/' + sr('b', 100), sr('a', 155), sr('b', 100), true],
  [sr('a', 155) + '//' + sr('b', 100), '', '', false],
  [sr('a/', 100), sr('a/', 77) + 'a', sr('a/', 22), true],
];
test('splitUstarPath splits where Go does', () => {
  for (const [input, prefix, name, ok] of SPLITS) {
    const got = splitUstarPath(utf8.encode(input));
    assert.is(got !== undefined, ok, input);
    if (got) assert.equal([text.decode(got.prefix), text.decode(got.name)], [prefix, name], input);
  }
});

test('paxTime formats as Go formatPAXTime', () => {
  // Go's time.Unix(s, ns) normalises negative nanoseconds into [0, 1e9): time.Unix(-1, -1e8) is (-2, 9e8).
  const cases: [number, number, string][] = [
    [1350244992, 0, '1350244992'], [1350244992, 300000000, '1350244992.3'], [1350244992, 23960100, '1350244992.0239601'],
    [1350244992, 23960108, '1350244992.023960108'], [1, 1e8, '1.1'], [-2, 9e8, '-1.1'], [-1, 0, '-1'], [0, 1, '0.000000001'],
    [-1, 999999999, '-0.000000001'],
  ];
  for (const [sec, nsec, want] of cases) assert.is(paxTime(sec, nsec), want, `${sec}.${nsec}`);
});

test('paxRecord counts its own length digits as Go formatPAXRecord', () => {
  const cases: [string, string, string][] = [
    ['k', 'v', '6 k=v\n'], ['path', '/etc/hosts', '19 path=/etc/hosts\n'],
    ['path', sr('a', 200), `210 path=${sr('a', 200)}\n`], ['mtime', '1432668921.098765432', '30 mtime=1432668921.098765432\n'],
    ['k', sr('v', 94), `101 k=${sr('v', 94)}\n`], ['k', sr('v', 93), `99 k=${sr('v', 93)}\n`],
  ];
  for (const [k, v, want] of cases) assert.is(text.decode(paxRecord(k, utf8.encode(v))), want, k + v.length);
});

test('putOctal writes zero-padded octal with a NUL, and 0 for values that do not fit', () => {
  const b = new Uint8Array(12);
  putOctal(b, 0, 8, 0o644);
  assert.is(field(b, 0, 8), '0000644');
  putOctal(b, 0, 12, 8 ** 11 - 1);
  assert.is(field(b, 0, 12), '77777777777');
  assert.ok(fitsOctal(8, 0o7777777) && !fitsOctal(8, 0o10000000) && !fitsOctal(8, -1) && !fitsOctal(12, 2 ** 33));
  putOctal(b, 0, 12, 2 ** 33);
  assert.is(field(b, 0, 12), '00000000000');
});

test('a plain entry is one ustar block with a valid checksum and the ustar magic', () => {
  const block = encodeHeaders({ name: 'etc/passwd', size: 1234, mode: 0o644, uid: 1, gid: 2, uname: 'bin', gname: 'daemon', mtime: { sec: 1700000000, nsec: 0 } });
  assert.is(block.length, 512);
  assert.is(field(block, 0, 100), 'etc/passwd');
  assert.is(field(block, 124, 12), (1234).toString(8).padStart(11, '0'));
  assert.is(field(block, 136, 12), (1700000000).toString(8).padStart(11, '0'));
  assert.is(String.fromCharCode(block[156]!), '0');
  assert.equal([...block.subarray(257, 265)], [...utf8.encode('ustar\u000000')]);
  assert.equal([field(block, 265, 32), field(block, 297, 32)], ['bin', 'daemon']);
  const withSpaces = block.slice();
  withSpaces.fill(0x20, 148, 156);
  assert.is(parseInt(field(block, 148, 8), 8), withSpaces.reduce((s, x) => s + x, 0));
});

test('fields that do not fit ustar become pax records, and only those', () => {
  const records = (e: Parameters<typeof paxRecordsFor>[0]) => [...paxRecordsFor(e).keys()].sort();
  assert.equal(records({ name: sr('a', 100) }), []);
  assert.equal(records({ name: sr('d/', 60) + 'f' }), [], 'a splittable long name needs no pax');
  assert.equal(records({ name: sr('a', 101) }), ['path']);
  assert.equal(records({ name: 'naïve' }), ['path']);
  assert.equal(records({ name: 'l', type: 'symlink', linkname: sr('t', 101) }), ['linkpath']);
  assert.equal(records({ name: 'u', uname: sr('u', 33), gname: 'grüppe' }), ['gname', 'uname']);
  assert.equal(records({ name: 'ids', uid: 0o7777777, gid: 0o7777777 }), []);
  assert.equal(records({ name: 'ids', uid: 0o10000000, gid: 4_000_000 }), ['gid', 'uid']);
  assert.equal(records({ name: 'big', size: 8 ** 11 - 1 }), []);
  assert.equal(records({ name: 'big', size: 8 ** 11 }), ['size']);
  assert.equal(records({ name: 't', mtime: { sec: 1, nsec: 1 } }), ['mtime']);
  assert.equal(records({ name: 't', mtime: { sec: -1, nsec: 0 } }), ['mtime']);
  assert.equal(records({ name: 't', mtime: { sec: 8 ** 11, nsec: 0 } }), ['mtime']);
});

test('a pax entry: header x, sorted records, then the ustar header with stand-ins', () => {
  const name = sr('n', 120) + 'é';
  const out = encodeHeaders({ name, size: 8 ** 11, uid: 5_000_000, xattrs: { 'user.b': 'x', 'security.capability': 'hex:01ff00' }, pax: { comment: 'hi' } });
  assert.is(String.fromCharCode(out[156]!), 'x');
  const length = parseInt(field(out, 124, 12), 8);
  const data = out.subarray(512, 512 + length);
  const lines: string[] = [];
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    const size = Number(text.decode(data.subarray(at, space)));
    lines.push(text.decode(data.subarray(space + 1, at + size - 1)).split('=')[0]!);
    at += size;
  }
  assert.equal(lines, ['SCHILY.xattr.security.capability', 'SCHILY.xattr.user.b', 'comment', 'path', 'size', 'uid']);
  assert.ok(data.includes(0xff), 'a hex: xattr value is written as raw bytes');
  const header = out.subarray(out.length - 512);
  assert.is(String.fromCharCode(header[156]!), '0');
  assert.is(field(header, 0, 100), sr('n', 100), 'the ustar name is the ASCII part, truncated');
  assert.is(field(header, 124, 12), '00000000000', 'a size beyond octal is 0 in the ustar field');
  assert.is(out.length % 512, 0);
});

const BAD: [string, Parameters<typeof encodeHeaders>[0]][] = [
  ['an empty name', { name: '' }],
  ['a NUL in the name', { name: 'a\0b' }],
  ['a symlink without a target', { name: 'l', type: 'symlink' }],
  ['content on a directory', { name: 'd/', type: 'dir', size: 3 }],
  ['a negative uid', { name: 'f', uid: -1 }],
  ['a fractional size', { name: 'f', size: 1.5 }],
  ['a mode beyond 7 octal digits', { name: 'f', mode: 0o10000000 }],
  ['a device number beyond 7 octal digits', { name: 'c', type: 'char', devmajor: 0o10000000 }],
  ['nanoseconds out of range', { name: 'f', mtime: { sec: 0, nsec: 1e9 } }],
  ['an unknown type', { name: 'f', type: 'gnu-sparse' as 'file' }],
  ['a pax key with "="', { name: 'f', pax: { 'a=b': 'c' } }],
  ['a GNU sparse record', { name: 'f', pax: { 'GNU.sparse.major': '1' } }],
  ['bad hex in an xattr', { name: 'f', xattrs: { 'user.x': 'hex:zz' } }],
  ['pax data over 1 MiB', { name: 'f', pax: { comment: sr('c', 1 << 20) } }],
];
for (const [why, entry] of BAD) {
  test(`encodeHeaders refuses ${why} with TAR_ENTRY_INVALID`, () => {
    try {
      encodeHeaders(entry);
      assert.unreachable('should have thrown');
    } catch (e) {
      assert.ok(isLayerkitError(e), String(e));
      assert.is((e as { code: string }).code, 'TAR_ENTRY_INVALID');
    }
  });
}

test.run();
