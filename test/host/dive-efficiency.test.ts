// dive's numbers on three images with known waste, built here on the embedded sample's layers:
// a file added then deleted, a file overwritten twice, a large file chmodded (copied whole).
// Expected values are dive's formulas (filetree/efficiency.go, image/analysis.go) worked by hand
// from the sizes we put in: efficiency = Σ min / Σ cumulative over paths, wastedBytes = Σ
// cumulative of paths seen twice, userWastedPercent = wastedBytes / (bytes of all layers but the first).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeLayers, evaluateRules, DIVE_DEFAULT_RULES, parseByteSize } from '../../src/diff/analysis.ts';
import { readImageLayers, readLayerEntries, type LayerEntries } from '../../src/diff/image-tree.ts';
import { openOciLayout } from '../../src/formats/oci-layout.ts';
import { directoryFiles } from '../../src/formats/layout-files.ts';
import { writeTar, type TarWriteEntry } from '../../src/tar/writer.ts';
import { randomBytes, ready } from '../_setup.ts';

const SAMPLE = new URL('../../sample/oci', import.meta.url).pathname;
const T = { sec: 1_700_000_000, nsec: 0 };
const dir = (name: string): TarWriteEntry => ({ name, type: 'dir', mode: 0o755, mtime: T });
const file = (name: string, size: number, mode = 0o644): TarWriteEntry => ({ name, type: 'file', mode, mtime: T, body: randomBytes(size, size) });
const whiteout = (name: string): TarWriteEntry => ({ name, type: 'file', mode: 0, mtime: { sec: 0, nsec: 0 }, body: new Uint8Array() });

let sample: LayerEntries[] = [];
/** Σ file sizes over the sample's layers (every path once: checked below). */
let sampleBytes = 0;
/** Σ entry sizes of the sample's layers above the first. */
let sampleUserBytes = 0;

async function layer(entries: TarWriteEntry[], n: number): Promise<LayerEntries> {
  return readLayerEntries(new Blob([await writeTar(entries) as Uint8Array<ArrayBuffer>]).stream(), n);
}

async function image(extra: TarWriteEntry[][]): Promise<LayerEntries[]> {
  const layers = [...sample];
  for (const entries of extra) layers.push(await layer(entries, layers.length));
  return layers;
}

const close = (x: number, y: number) => Math.abs(x - y) < 1e-12;

test.before(async () => {
  await ready();
  sample = await readImageLayers(await openOciLayout(directoryFiles(SAMPLE), undefined));
  const files = sample.flatMap((l) => l.entries.filter((e) => e.type === 'file'));
  assert.is(new Set(files.map((e) => e.path)).size, files.length, 'the sample repeats no file path (so each counts min = cumulative)');
  sampleBytes = files.reduce((sum, e) => sum + e.size, 0);
  sampleUserBytes = sample.slice(1).flatMap((l) => l.entries).reduce((sum, e) => sum + e.size, 0);
  for (const top of ['junk', 'app', 'big']) assert.not.ok(files.some((e) => e.path.startsWith(top + '/')), `the sample has no /${top}`);
});

test('a file added then deleted: its size is wasted, its minimum is 0', async () => {
  const X = 300_000;
  const report = await analyzeLayers(await image([[dir('junk/'), file('junk/blob', X)], [dir('junk/'), whiteout('junk/.wh.blob')]]));
  assert.ok(close(report.efficiency, sampleBytes / (sampleBytes + X)), `efficiency ${report.efficiency}`);
  assert.is(report.wastedBytes, X);
  assert.ok(close(report.userWastedPercent!, X / (sampleUserBytes + X)));
  assert.equal(report.inefficiencies.find((i) => i.path === '/junk/blob'), { path: '/junk/blob', count: 2, wastedBytes: X });
  const [added, deleted] = report.layers.slice(-2);
  assert.is(added!.wastedBytes, X, 'the adding layer wastes the file');
  assert.equal([deleted!.added, deleted!.changed, deleted!.removed], [0, 0, 1]);
});

test('a file overwritten twice: all three versions are waste, the smallest is the minimum', async () => {
  const [a, b, c] = [40_000, 90_000, 25_000];
  const report = await analyzeLayers(await image([[dir('app/'), file('app/data', a)], [dir('app/'), file('app/data', b)], [dir('app/'), file('app/data', c)]]));
  assert.ok(close(report.efficiency, (sampleBytes + Math.min(a, b, c)) / (sampleBytes + a + b + c)), `efficiency ${report.efficiency}`);
  assert.is(report.wastedBytes, a + b + c);
  assert.ok(close(report.userWastedPercent!, (a + b + c) / (sampleUserBytes + a + b + c)));
  assert.equal(report.layers.slice(-3).map((l) => l.wastedBytes), [a, b, 0]);
  assert.equal(report.layers.slice(-2).map((l) => [l.added, l.changed]), [[0, 1], [0, 1]]);
});

test('a large file chmodded: the layer copies it whole, doubling its bytes', async () => {
  const L = 2_000_000;
  const report = await analyzeLayers(await image([[dir('big/'), file('big/model.bin', L)], [dir('big/'), file('big/model.bin', L, 0o600)]]));
  assert.ok(close(report.efficiency, (sampleBytes + L) / (sampleBytes + 2 * L)), `efficiency ${report.efficiency}`);
  assert.is(report.wastedBytes, 2 * L);
  assert.ok(close(report.userWastedPercent!, (2 * L) / (sampleUserBytes + 2 * L)));
  assert.equal(report.inefficiencies[0], { path: '/big/model.bin', count: 2, wastedBytes: 2 * L });
  const rules = evaluateRules(report, DIVE_DEFAULT_RULES);
  assert.equal(rules.map((r) => r.status), [report.efficiency >= 0.9 ? 'PASS' : 'FAIL', 'SKIP', 'FAIL']);
  assert.equal(evaluateRules(report, { highestWastedBytes: 2 * L }).find((r) => r.rule === 'highestWastedBytes')!.status, 'PASS', 'equal to the threshold passes');
  assert.equal(evaluateRules(report, { highestWastedBytes: 2 * L - 1 }).find((r) => r.rule === 'highestWastedBytes')!.status, 'FAIL');
});

test('a deleted directory counts everything below it (dive sizes a directory whiteout from the layers below)', async () => {
  const report = await analyzeLayers(await image([[dir('junk/'), dir('junk/d/'), file('junk/d/a', 100), file('junk/d/b', 50)], [dir('junk/'), whiteout('junk/.wh.d')]]));
  // /junk/d: no leaf visit in the adding layer (it has children), one whiteout visit of 150: not repeated, no waste.
  assert.is(report.wastedBytes, 0);
  assert.ok(close(report.efficiency, (sampleBytes + 100 + 50 + 150) / (sampleBytes + 100 + 50 + 150)));
});

test('byte sizes as dive reads them', () => {
  assert.is(parseByteSize('20MB'), 20_000_000);
  assert.is(parseByteSize('20MiB'), 20 * 1024 * 1024);
  assert.is(parseByteSize('1.5 kB'), 1500);
  assert.is(parseByteSize('disabled'), undefined);
  assert.ok(Number.isNaN(parseByteSize('lots')!));
});

test.run();
