// unpack against the kernel's overlayfs: every case of shared/corpus/union unpacked into a fresh
// directory must read back (lstat, readlink, sha256 of contents, shared inodes) as the case's
// expected-overlayfs.json, except the directory mtimes the case calls unspecified. Extended
// attributes are compared where the case has any (user.* are applied).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openImage } from '../../src/cli/resolve.ts';
import { unpackImage } from '../../src/fs/unpack.ts';
import { nodeTreeWriter } from '../../src/runtime/node-tree-writer.ts';
import { readTree } from '../_overlay.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const corpus = new URL('../../../shared/corpus/union/', import.meta.url).pathname;
const cases = readdirSync(corpus).filter((name) => existsSync(`${corpus}${name}/case.json`)).sort();

/** user.* xattrs of every path under `dir` (getfattr), or undefined when getfattr is missing. */
function userXattrs(dir: string): Map<string, Record<string, string>> | undefined {
  const run = spawnSync('getfattr', ['-R', '-h', '-d', '-m', '^user\\.', '--absolute-names', dir], { encoding: 'utf8' });
  if (run.error) return undefined;
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('# file: ')) out.set(line.slice(8 + dir.length + 1), (current = {}));
    else if (current && line.includes('=')) current[line.slice(0, line.indexOf('='))] = JSON.parse(line.slice(line.indexOf('=') + 1));
  }
  return out;
}

for (const name of cases) {
  test(`unpack of union case ${name} reads back as the kernel's overlayfs`, async () => {
    const caseJson = JSON.parse(readFileSync(`${corpus}${name}/case.json`, 'utf8'));
    const expected = JSON.parse(readFileSync(`${corpus}${name}/expected-overlayfs.json`, 'utf8')).tree as Record<string, any>[];
    const unspecified = new Set((caseJson.disagreements as string[]).filter((d) => / mtime /.test(d)).map((d) => d.slice(0, d.indexOf(':'))));
    const dir = mkdtempSync(`${tmpdir()}/lk-unpack-`);
    try {
      const image = await openImage(`oci:${corpus}${name}/oci:latest`);
      await unpackImage(await image.layers(), `${dir}/rootfs`, nodeTreeWriter);
      const got = readTree(`${dir}/rootfs`) as Record<string, any>[];
      const xattrs = userXattrs(`${dir}/rootfs`);
      const norm = (tree: Record<string, any>[]) => tree.map(({ xattrs: _x, ...e }) => (unspecified.has(e.path) ? { ...e, mtime: 'unspecified' } : e));
      assert.equal(norm(got), norm(expected));
      if (xattrs) {
        for (const e of expected) {
          const want = Object.fromEntries(Object.entries(e.xattrs ?? {}).filter(([k]) => k.startsWith('user.')));
          assert.equal(xattrs.get(e.path) ?? {}, want, `${e.path}: user.* xattrs`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
