// The tar reader against Go's archive/tar on the corpus archives small enough to embed (portable:
// this file also runs inside workerd): the index fed whole, byte by byte and at random split
// points, and the streaming reader at random split points, all equal Go's listing; plus a share
// of the fuzzing, and the LayerIndex serialisation round trip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { indexLayer, partialIndex } from '../../src/tar/index-layer.ts';
import { TarReader } from '../../src/tar/reader.ts';
import { tarEntryJson, type TarEntryJson } from '../../src/tar/entry-json.ts';
import { TarParser } from '../../src/core/tar.ts';
import { TarError } from '../../src/core/tar-errors.ts';
import { carriesData } from '../../src/core/tar-types.ts';
import { LayerIndex, sameBytes } from '../../src/core/layer-index.ts';
import { core } from '../../src/core/wasm.ts';
import { LayerkitError } from '../../src/errors.ts';
import { writeTar } from '../../src/tar/writer.ts';
import { randomSplits, ready, runtime } from '../_setup.ts';
import { goDifferences } from '../_tar-compare.ts';
import { fuzzTar } from '../_tar-fuzz.ts';
import { fromBase64, loadTarSubset, type SubsetCase } from './_tar-subset.ts';

let cases: SubsetCase[] = [];
test.before(async () => {
  await ready();
  cases = await loadTarSubset();
});

const entriesOf = (index: LayerIndex) => Array.from({ length: index.count }, (_, i) => tarEntryJson(index.header(i), index.sha256(i)));
const streamOf = (parts: Uint8Array[]) => new ReadableStream<Uint8Array>({
  pull(controller) {
    const next = parts.shift();
    if (next) controller.enqueue(next.slice());
    else controller.close();
  },
});

async function viaIndex(parts: Uint8Array[]): Promise<{ entries: TarEntryJson[]; error: TarError | null }> {
  try {
    const { index } = await indexLayer(streamOf(parts), { sha256Files: true, decompress: false });
    const entries = entriesOf(index);
    index.free();
    return { entries, error: null };
  } catch (error) {
    if (!(error instanceof TarError)) throw error;
    const partial = partialIndex(error)!;
    const entries = entriesOf(partial);
    partial.free();
    return { entries, error };
  }
}

/** Feeds the kernel one byte per call. */
function viaBytes(bytes: Uint8Array): { entries: TarEntryJson[]; error: TarError | null } {
  const parser = new TarParser(core(), { index: true, sha256Files: true });
  let error: TarError | null = null;
  try {
    for (let i = 0; i < bytes.length; i++) parser.feed(bytes.subarray(i, i + 1));
    parser.finish();
  } catch (e) {
    if (!(e instanceof TarError)) throw e;
    error = e;
  }
  const entries = entriesOf(parser.index);
  parser.index.free();
  parser.dispose();
  return { entries, error };
}

test('the embedded subset is there (small corpus archives with Go\'s listings)', () => {
  assert.ok(cases.length >= 100, `${cases.length} cases`);
});

test('index mode equals Go: whole, byte by byte, and at random split points', async () => {
  const failures: string[] = [];
  for (const c of cases) {
    const bytes = fromBase64(c.tar);
    const runs: [string, { entries: TarEntryJson[]; error: TarError | null }][] = [
      ['whole', await viaIndex([bytes])],
      ['byte by byte', viaBytes(bytes)],
      ...(await Promise.all([1, 2, 3].map(async (seed) => [`split seed ${seed}`, await viaIndex(randomSplits(bytes, seed))] as [string, { entries: TarEntryJson[]; error: TarError | null }]))),
    ];
    for (const [how, { entries, error }] of runs) {
      const diff = goDifferences(c.go, entries, error);
      if (diff.length) failures.push(`${c.id} (${how}): ${diff.slice(0, 3).join('; ')}`);
    }
  }
  assert.equal(failures, []);
});

test('the streaming reader equals Go at random split points (bodies hashed)', async () => {
  const failures: string[] = [];
  for (const c of cases) {
    const entries: TarEntryJson[] = [];
    let error: TarError | null = null;
    try {
      for await (const entry of new TarReader(streamOf(randomSplits(fromBase64(c.tar), 5)), { decompress: false })) {
        const json = tarEntryJson(entry);
        entries.push(json);
        if (!carriesData(entry.typeflag)) continue; // left unread: the reader skips it
        const hash = createHash('sha256');
        for await (const chunk of entry.readable) hash.update(chunk);
        json.sha256 = hash.digest('hex');
      }
    } catch (e) {
      if (!(e instanceof TarError)) throw e;
      error = e;
    }
    const diff = goDifferences(c.go, entries, error);
    if (diff.length) failures.push(`${c.id}: ${diff.slice(0, 3).join('; ')}`);
  }
  assert.equal(failures, []);
});

test('a body read after moving on fails with a clear error', async () => {
  const c = cases.find((x) => x.go.entries.length >= 2 && x.go.entries[0].kind === 'file' && x.go.entries[0].size > 0 && !x.go.error)!;
  const reader = new TarReader(streamOf([fromBase64(c.tar)]), { decompress: false })[Symbol.asyncIterator]();
  const first = (await reader.next()).value!;
  await reader.next();
  const failure = await new Response(first.readable).arrayBuffer().then(() => undefined, (e: Error) => e);
  assert.match(String(failure?.message), /skipped/);
  await reader.return!();
});

test('fuzzing share: mutants of the subset agree with the reference reader, typed errors only', () => {
  const seeds = cases.map((c) => fromBase64(c.tar));
  const count = runtime === 'workerd' ? 3000 : 1500;
  const stats = fuzzTar(core(), seeds, { count, seed: 7 });
  assert.is(stats.inputs, count);
  assert.ok(stats.errors > 0 && stats.entries > 0);
});

test('LayerIndex serialises and deserialises to the same entries; damaged bytes are refused', async () => {
  for (const c of cases.filter((x) => !x.go.error && x.go.entries.length > 0)) {
    const { index } = await indexLayer(streamOf([fromBase64(c.tar)]), { sha256Files: true, decompress: false });
    const bytes = index.serialize();
    const copy = LayerIndex.deserialize(bytes);
    assert.equal(JSON.stringify(entriesOf(copy)), JSON.stringify(entriesOf(index)), c.id);
    assert.equal(copy.serialize(), bytes, c.id);
    index.free();
    copy.free();
    const damaged = bytes.slice(0, bytes.length - 1);
    assert.throws(() => LayerIndex.deserialize(damaged), (e: unknown) => e instanceof LayerkitError && e.code === 'INDEX_CORRUPT');
  }
});

test('sameBytes (LayerIndex.equals): equal arrays of every length 0..40 at every alignment; any one byte changed is caught', () => {
  let checked = 0;
  for (let length = 0; length <= 40; length++) {
    for (const [ao, bo] of [[0, 0], [4, 0], [1, 1], [0, 3]] as const) {
      const bytes = Uint8Array.from({ length }, (_, k) => (k * 37 + length) & 0xff);
      const a = new Uint8Array(length + ao).subarray(ao), b = new Uint8Array(length + bo).subarray(bo);
      a.set(bytes);
      b.set(bytes);
      assert.ok(sameBytes(a, b), `length ${length}, offsets ${ao}/${bo}`);
      for (let p = 0; p < length; p++) {
        b[p]! ^= 0x40;
        assert.not.ok(sameBytes(a, b), `length ${length}, offsets ${ao}/${bo}, byte ${p} changed`);
        b[p]! ^= 0x40;
        checked++;
      }
    }
  }
  assert.not.ok(sameBytes(new Uint8Array(8), new Uint8Array(9)));
  assert.is(checked, 4 * 820);
});

test('LayerIndex.equals: a deserialised copy is equal; an index with one header field changed is not', async () => {
  for (const c of cases.filter((x) => !x.go.error && x.go.entries.length > 0).slice(0, 40)) {
    const { index } = await indexLayer(streamOf([fromBase64(c.tar)]), { decompress: false });
    const bytes = index.serialize();
    const copy = LayerIndex.deserialize(bytes);
    assert.ok(index.equals(copy) && copy.equals(index), c.id);
    copy.free();
    // the last entry's mode (byte 28 of its 64-byte record, after the 32-byte framing)
    const changed = bytes.slice();
    changed[32 + (index.count - 1) * 64 + 28]! ^= 0x01;
    const other = LayerIndex.deserialize(changed);
    assert.not.ok(index.equals(other), c.id);
    other.free();
    index.free();
  }
});

test('LayerIndex.firstWithTypeflag equals a walk over typeflag(i), from every start, on the corpus', async () => {
  let found = 0;
  for (const c of cases.filter((x) => !x.go.error && x.go.entries.length > 0)) {
    const { index } = await indexLayer(streamOf([fromBase64(c.tar)]), { decompress: false });
    const flags = Array.from({ length: index.count }, (_, i) => index.typeflag(i));
    for (const wanted of [[0x32, 0x67], [0x30], [0x35, 0x31]]) {
      for (let from = 0; from <= index.count; from++) {
        let expected = from;
        while (expected < index.count && !wanted.includes(flags[expected]!)) expected++;
        assert.is(index.firstWithTypeflag(wanted, from), expected, `${c.id}: ${wanted} from ${from}`);
        if (expected < index.count) found++;
      }
    }
    index.free();
  }
  assert.ok(found > 50, `${found} starts found an entry`);
});

test('records are 64 bytes: an index uses 64 B per entry plus its path bytes (and small extras)', async () => {
  assert.is(Number(core().exports.ENTRY_SIZE.value), 64);
  // A layer-like tar from the writer: 3000 entries, owner names, a few symlinks.
  const tar = await writeTar(Array.from({ length: 3000 }, (_, i) => (i % 100 === 0
    ? { name: `usr/lib/link-${i}`, type: 'symlink' as const, linkname: `../share/target-${i}`, uname: 'root', gname: 'root' }
    : { name: `usr/share/doc/package-${i % 97}/file-${i}.txt`, body: new Uint8Array(i % 700), uname: 'root', gname: 'root', mode: 0o644 })));
  const { index } = await indexLayer(streamOf([tar]), { decompress: false });
  assert.is(index.count, 3000);
  const pathBytes = Array.from({ length: index.count }, (_, i) => index.pathBytes(i).length + (index.linknameBytes(i).length ? 4 + index.linknameBytes(i).length : 0)).reduce((a, b) => a + b, 0);
  assert.ok(index.usedBytes <= index.count * 64 + pathBytes + 64, `${index.usedBytes} bytes for ${index.count} entries and ${pathBytes} path bytes`);
  index.free();
});

test('indexing many archives does not grow memory (kernel contexts are pooled)', async () => {
  const bytes = fromBase64(cases.find((x) => !x.go.error && x.go.entries.length >= 3)!.tar);
  const run = async () => (await indexLayer(streamOf([bytes]), { decompress: false })).index.free();
  for (let i = 0; i < 20; i++) await run();
  const before = core().exports.memory.buffer.byteLength;
  for (let i = 0; i < 300; i++) await run();
  assert.ok(core().exports.memory.buffer.byteLength <= before + (1 << 20), `${before} → ${core().exports.memory.buffer.byteLength}`);
});

test.run();
