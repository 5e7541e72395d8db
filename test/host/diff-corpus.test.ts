// Conformance on ../shared/corpus/diff: every case's A/C/D list (docker diff style, walk order)
// and the generated layer's entries against godiff's expected-layer.json (name, type, mode, ids,
// size, mtime, link, devices, content sha256, pax records), then the layer applied on `before`
// must give `after` (except where the case README says the layer cannot carry the change).
// The trees are read with Python's tarfile (an independent reader) into JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { diffTrees, walkDiff } from '../../src/diff/changes.ts';
import { layerEntries, type LayerEntry } from '../../src/diff/layer.ts';
import { layerTar } from '../../src/diff/layer-tar.ts';
import { buildTree, type DiffTree, type SourceEntry } from '../../src/diff/tree.ts';
import { ready, skip } from '../_setup.ts';
import { applyLayer, referenceDiff, treeDifferences, withContent, type RefEntry } from '../_tree.ts';
import { corpusDir } from '../_corpus.ts';

const CORPUS = corpusDir('diff');
const TYPES: Record<string, SourceEntry['type']> = { '0': 'file', '5': 'dir', '2': 'symlink', '1': 'hardlink', '3': 'char', '4': 'block', '6': 'fifo' };
const TYPEFLAG: Record<LayerEntry['type'], string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

// Prints one JSON object per member: pax mtime kept as its exact decimal string, xattrs and content as hex.
const PY_LIST = `
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
out = []
for m in t:
    pax = m.pax_headers
    xattrs = {k[len('SCHILY.xattr.'):]: v.encode('utf-8', 'surrogateescape').hex() for k, v in pax.items() if k.startswith('SCHILY.xattr.')}
    data = t.extractfile(m).read().hex() if m.isreg() else ''
    out.append(dict(name=m.name, type=m.type.decode(), mode=m.mode, uid=m.uid, gid=m.gid, size=m.size,
                    mtime=pax.get('mtime', str(int(m.mtime))), linkname=m.linkname, devmajor=m.devmajor, devminor=m.devminor,
                    xattrs=xattrs, data=data))
print(json.dumps(out))
`;

const fromHex = (hex: string) => new Uint8Array(hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);

function parseMtime(text: string): [number, number] {
  const [sec, frac = ''] = text.split('.');
  return [Number(sec), Number((frac + '000000000').slice(0, 9))];
}

function readTree(file: string): DiffTree {
  const result = spawnSync('python3', ['-c', PY_LIST, file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 tarfile failed on ${file}: ${result.stderr}`);
  const members = JSON.parse(result.stdout) as Record<string, any>[];
  return withContent(buildTree(members.map((m): SourceEntry => {
    const [mtimeSec, mtimeNsec] = parseMtime(m.mtime);
    const xattrs = Object.fromEntries(Object.entries(m.xattrs as Record<string, string>).map(([k, v]) => [k, fromHex(v)]));
    const entry: RefEntry = {
      path: m.name, type: TYPES[m.type] as RefEntry['type'], mode: m.mode, uid: m.uid, gid: m.gid, size: m.size, mtimeSec, mtimeNsec,
      linkname: m.linkname || undefined, devmajor: m.devmajor, devminor: m.devminor,
      ...(Object.keys(xattrs).length && { xattrs }),
      ...(m.type === '0' && { __bytes: fromHex(m.data) }),
    };
    return entry as SourceEntry;
  })));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** Our entry in expected-layer.json's shape. */
function listed(e: LayerEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { name: e.name, typeflag: TYPEFLAG[e.type], mode: e.mode.toString(8), uid: e.uid, gid: e.gid, size: e.size, mtime: e.mtime };
  if (e.linkname !== undefined) out.linkname = e.linkname;
  if (e.type === 'char' || e.type === 'block') Object.assign(out, { devmajor: e.devmajor, devminor: e.devminor });
  if (e.type === 'file') out.sha256 = sha256((e.source as RefEntry | undefined)?.__bytes ?? new Uint8Array());
  if (e.xattrs) out.pax = Object.fromEntries(Object.entries(e.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, latin1(v)]));
  return out;
}

// Lists a tar in expected-layer.json's shape with Python's tarfile (a reader we did not write).
const PY_LAYER = `
import hashlib, json, sys, tarfile
out = []
for m in tarfile.open(sys.argv[1]):
    e = dict(name=m.name + ('/' if m.isdir() else ''), typeflag=m.type.decode(), mode=format(m.mode, 'o'), uid=m.uid, gid=m.gid, size=m.size, mtime=int(m.mtime))
    if m.linkname: e['linkname'] = m.linkname
    if m.ischr() or m.isblk(): e.update(devmajor=m.devmajor, devminor=m.devminor)
    if m.isreg(): e['sha256'] = hashlib.sha256(tarfile.open(sys.argv[1]).extractfile(m.name).read()).hexdigest()
    pax = {k: v.encode('utf-8', 'surrogateescape').decode('latin1') for k, v in m.pax_headers.items() if k not in ('path', 'linkpath')}
    if pax: e['pax'] = pax
    out.append(e)
print(json.dumps(out))
`;

async function listTar(stream: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'layerkit-diff-')), 'layer.tar');
  writeFileSync(file, new Uint8Array(await new Response(stream).arrayBuffer()));
  const result = spawnSync('python3', ['-c', PY_LAYER, file], { encoding: 'utf8' });
  rmSync(dirname(file), { recursive: true });
  if (result.status !== 0) throw new Error(`python3 could not read the generated layer: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

const cases = existsSync(CORPUS) ? readdirSync(CORPUS).filter((d) => existsSync(`${CORPUS}/${d}/case.json`)).sort() : [];
const python = spawnSync('python3', ['-c', 'import tarfile'], { encoding: 'utf8' }).status === 0;
const counts = { changes: 0, layers: 0, roundtrips: 0 };
// The README's table of round trips that cannot succeed by design.
const LOSSY = new Set(['user-xattr-only']);

test.before(async () => void (await ready()));

if (!python || cases.length === 0) {
  test('diff corpus', () => skip('diff corpus', python ? `no corpus at ${CORPUS}` : 'python3 is not installed (reads the corpus tars)'));
} else {
  for (const id of cases) {
    test(`corpus ${id}: changes, layer entries, round trip`, async () => {
      const dir = `${CORPUS}/${id}`;
      const before = readTree(`${dir}/before.tar`);
      const after = readTree(`${dir}/after.tar`);
      const expected = JSON.parse(readFileSync(`${dir}/expected-changes.json`, 'utf8'));
      const changes = await diffTrees(before, after);
      assert.equal(changes.map((c) => `${c.kind} /${c.path}`), expected.docker_diff_style, 'change list');
      assert.equal(changes.map((c) => ({ kind: c.kind, path: `/${c.path}` })), expected.changes);
      assert.equal(referenceDiff(before, after), expected.docker_diff_style, 'the plain reference agrees');
      counts.changes++;

      const entries = layerEntries(after, await walkDiff(before, after, {}, true));
      const expectedLayer = JSON.parse(readFileSync(`${dir}/expected-layer.json`, 'utf8')).entries;
      assert.equal(entries.map(listed), expectedLayer, 'layer entries');
      assert.equal(await listTar(layerTar(entries)), expectedLayer, 'the written tar, read back by Python tarfile');
      counts.layers++;

      const applied = applyLayer(before, entries, (e) => (e.source as RefEntry | undefined)?.__bytes);
      const differences = treeDifferences(applied, after);
      if (LOSSY.has(id)) assert.equal(differences, [], 'only user xattrs differ, and those are not compared');
      else assert.equal(differences, []);
      counts.roundtrips++;
    });
  }
  test('corpus totals', () => {
    console.log(`diff corpus: ${counts.changes}/${cases.length} change lists, ${counts.layers}/${cases.length} layers, ${counts.roundtrips}/${cases.length} round trips`);
    assert.is(counts.changes, cases.length);
  });
}

test.run();
