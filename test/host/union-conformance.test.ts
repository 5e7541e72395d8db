// The union view against the kernel's overlayfs (shared/corpus/union): for every case,
// `layerkit ls -R --json --sha256 oci:<case>/oci:latest` must equal expected-overlayfs.json, and
// `layerkit export` read back with `layerkit tar ls` must give the same tree. Directory mtimes the
// case marks as unspecified (implicit parents: umoci stamps the time of unpack) are not compared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { layerkit } from '../_cli.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const corpus = new URL('../../../shared/corpus/union/', import.meta.url).pathname;
const cases = readdirSync(corpus).filter((name) => existsSync(`${corpus}${name}/case.json`)).sort();

type Tree = Record<string, unknown>[];

/** ls --json lines → the corpus tree schema (README.md of the corpus). */
function fromLs(lines: Record<string, any>[]): Tree {
  const leaders = new Set(lines.map((l) => l.hardlink).filter(Boolean));
  return lines.map((l) => {
    const out: Record<string, unknown> = { path: l.path, type: l.type, mode: l.mode.toString(8).padStart(4, '0'), uid: l.uid, gid: l.gid, mtime: l.mtime };
    if (l.type === 'file') { out.size = l.size; out.sha256 = l.sha256; }
    if (l.type === 'symlink') out.target = l.linkname;
    if (l.type === 'char' || l.type === 'block') out.rdev = { major: l.devmajor, minor: l.devminor };
    const group = l.hardlink ?? (leaders.has(l.path) ? l.path : undefined);
    if (group) out.hardlink_group = group;
    if (l.xattrs) out.xattrs = l.xattrs;
    return out;
  }).sort((a, b) => (String(a.path) < String(b.path) ? -1 : 1));
}

/** tar ls --json lines of an exported tar → the same schema (hardlinks resolved to their file). */
function fromTar(lines: Record<string, any>[]): Tree {
  const byName = new Map(lines.map((l) => [l.name.replace(/\/$/, ''), l]));
  const members = new Map<string, string[]>();
  for (const l of lines) if (l.type === 'hardlink') members.set(l.linkname, [...(members.get(l.linkname) ?? [l.linkname]), l.name]);
  const groupOf = new Map<string, string>();
  for (const names of members.values()) for (const n of names) groupOf.set(n, [...names].sort()[0]!);
  return fromLs(lines.map((l) => {
    const path = l.name.replace(/\/$/, '');
    const file = l.type === 'hardlink' ? byName.get(l.linkname)! : l;
    const entry: Record<string, unknown> = { ...file, path, type: file.type };
    if (groupOf.has(path)) entry.hardlink = groupOf.get(path);
    if (Object.keys(file.xattrs ?? {}).length === 0) delete entry.xattrs;
    return entry;
  }));
}

/** Paths whose mtime the case calls unspecified (directories created implicitly). */
function unspecifiedMtimes(caseJson: { disagreements: string[] }): Set<string> {
  return new Set(caseJson.disagreements.filter((d) => / mtime /.test(d)).map((d) => d.slice(0, d.indexOf(':'))));
}

const withoutMtimes = (tree: Tree, paths: Set<string>) => tree.map((e) => (paths.has(String(e.path)) ? { ...e, mtime: 'unspecified' } : e));

let equal = 0;
for (const name of cases) {
  test(`union case ${name}: ls -R equals the kernel's overlayfs; export reads back the same`, () => {
    const caseJson = JSON.parse(readFileSync(`${corpus}${name}/case.json`, 'utf8'));
    const expected: Tree = JSON.parse(readFileSync(`${corpus}${name}/expected-overlayfs.json`, 'utf8')).tree;
    const skipMtime = unspecifiedMtimes(caseJson);
    const ls = layerkit(['ls', '-R', '--json', '--sha256', `oci:${corpus}${name}/oci:latest`]);
    assert.is(ls.status, 0, ls.stderr);
    const mine = fromLs(ls.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    for (const e of expected) if (e.xattrs) e.xattrs = Object.fromEntries(Object.entries(e.xattrs).filter(([k]) => !/^(trusted|user)\.overlay\./.test(k)));
    for (const e of expected) if (e.xattrs && Object.keys(e.xattrs).length === 0) delete e.xattrs;
    assert.equal(withoutMtimes(mine, skipMtime), withoutMtimes(expected, skipMtime), `${name}: ls -R vs overlayfs`);

    const dir = mkdtempSync(`${tmpdir()}/lk-export-`);
    try {
      const exported = layerkit(['export', `oci:${corpus}${name}/oci:latest`, '-o', `${dir}/flat.tar`]);
      assert.is(exported.status, 0, exported.stderr);
      const listed = layerkit(['tar', 'ls', `${dir}/flat.tar`, '--json', '--sha256']);
      assert.is(listed.status, 0, listed.stderr);
      const fromExport = fromTar(listed.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
      assert.equal(fromExport, mine, `${name}: export → tar ls vs ls -R`);
      assert.not.ok(listed.stdout.includes('.wh.'), 'no whiteout in the export');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    equal++;
  });
}

test('every corpus case conforms', () => {
  assert.ok(cases.length >= 20, `only ${cases.length} cases found in ${corpus}`);
  assert.is(equal, cases.length, `${equal} / ${cases.length} cases equal`);
});

test.run();
