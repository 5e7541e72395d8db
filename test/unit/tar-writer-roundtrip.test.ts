// read(write(entries)) = entries: what TarWriter writes, layerkit's TarReader (the WASM kernel)
// reads back field for field, content included — 400 random entries, plain and gzip-compressed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TarReader } from '../../src/tar/reader.ts';
import { compressedStream } from '../../src/mod.ts';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { hexToBytes } from '../../src/tar/header-encode.ts';
import { randomTarEntries } from '../_tar-writer-entries.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const utf8 = new TextEncoder();
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const DERIVED = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'uname', 'gname', 'mtime']);

/** An entry as the writer was asked to write it, with the writer's defaults filled in. */
function asWritten(e: TarWriteEntry) {
  const type = e.type ?? 'file';
  const xattrs = Object.entries(e.xattrs ?? {}).map(([k, v]) =>
    [k, hex(typeof v !== 'string' ? v : v.startsWith('hex:') ? hexToBytes(v.slice(4))! : utf8.encode(v))]).sort();
  return {
    name: e.name, type, size: e.body instanceof Uint8Array ? e.body.length : e.size ?? 0,
    mode: e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
    uid: e.uid ?? 0, gid: e.gid ?? 0, uname: e.uname ?? '', gname: e.gname ?? '', mtime: e.mtime ?? { sec: 0, nsec: 0 },
    linkname: e.linkname ?? '', devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0, xattrs,
    pax: Object.entries(e.pax ?? {}).map(([k, v]) => [k, hex(typeof v === 'string' ? utf8.encode(v) : v)]).sort(),
    content: hex(e.body instanceof Uint8Array ? e.body : new Uint8Array(0)),
  };
}

async function readBack(stream: ReadableStream<Uint8Array>) {
  const out: ReturnType<typeof asWritten>[] = [];
  for await (const entry of new TarReader(stream)) {
    const content = new Uint8Array(await new Response(entry.readable).arrayBuffer());
    out.push({
      name: entry.name, type: entry.type as ReturnType<typeof asWritten>['type'], size: entry.size, mode: entry.mode,
      uid: entry.uid, gid: entry.gid, uname: entry.uname, gname: entry.gname, mtime: { sec: entry.mtime.sec, nsec: entry.mtime.nsec },
      linkname: entry.linkname, devmajor: entry.devmajor, devminor: entry.devminor,
      xattrs: [...entry.xattrs].map(([k, v]) => [k, hex(v)]).sort(),
      pax: [...entry.pax].filter(([k]) => !DERIVED.has(k) && !k.startsWith('SCHILY.xattr.')).map(([k, v]) => [k, hex(v)]).sort(),
      content: hex(content),
    });
  }
  return out;
}

const once = (bytes: Uint8Array) => new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes); c.close(); } });

for (const seed of [21, 22]) {
  test(`TarReader reads back 200 random written entries field for field (seed ${seed})`, async () => {
    const entries = randomTarEntries(200, seed, { negativeTimes: true, hugeIds: true });
    const got = await readBack(once(await writeTar(entries)));
    assert.is(got.length, entries.length);
    entries.forEach((e, i) => assert.equal(got[i], asWritten(e), `entry ${i} ${e.name}`));
  });
}

test('TarReader reads back a gzip-compressed written archive, and a non-UTF-8 name', async () => {
  const entries: TarWriteEntry[] = [...randomTarEntries(30, 5), { name: '\ufffd', nameHex: '6e6f74ff75746638', body: utf8.encode('x') }];
  const tar = await writeTar(entries);
  const gz = new Uint8Array(await new Response(compressedStream(once(tar), 'gzip')).arrayBuffer());
  const reader = new TarReader(once(gz));
  let count = 0;
  for await (const entry of reader) {
    const e = entries[count++]!;
    assert.is(hex(entry.nameBytes), e.nameHex ?? hex(utf8.encode(e.name)));
    await new Response(entry.readable).arrayBuffer();
  }
  assert.is(count, entries.length);
});

test.run();
