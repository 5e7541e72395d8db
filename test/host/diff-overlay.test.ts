// Against the kernel's own record of what changed: mount overlayfs with an empty upper dir over a
// random tree, make random changes through the mount, then
//  1. diff rootfs:<lower> rootfs:<merged> (docker diff's listing, with parent directories) lists
//     exactly the paths the upper dir holds (plus old children hidden by an opaque upper dir), and
//  2. the generated layer, written as a tar and extracted over a copy of lower by GNU tar (after
//     applying its whiteouts), gives the merged tree.
// Needs Linux, root and a kernel that lets us mount overlayfs; otherwise skipped with the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffTrees, walkDiff } from '../../src/diff/changes.ts';
import { layerEntries } from '../../src/diff/layer.ts';
import { layerTar } from '../../src/diff/layer-tar.ts';
import type { DiffTree } from '../../src/diff/tree.ts';
import { directoryTree } from '../../src/diff/walk.ts';
import { randomBytes, randomInts, ready, runtime, skip } from '../_setup.ts';
import { treeDifferences, type RefEntry } from '../_tree.ts';

const ROUNDS = 6;
const CHANGES = 18;
const CAPABILITY = '0x0100000200200000000000000000000000000000'; // v2, cap_net_raw permitted
const OTHER_CAPABILITY = '0x0100000200040000000000000000000000000000'; // v2, cap_net_bind_service permitted

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

function whyNot(): string | undefined {
  if (process.platform !== 'linux') return 'overlayfs needs Linux';
  if (process.getuid?.() !== 0) return 'mounting overlayfs needs root';
  const probe = fs.mkdtempSync(join(tmpdir(), 'layerkit-ovl-probe-'));
  for (const d of ['l', 'u', 'w', 'm']) fs.mkdirSync(join(probe, d));
  const mounted = run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${probe}/l,upperdir=${probe}/u,workdir=${probe}/w`, `${probe}/m`]);
  if (mounted.status === 0) run('umount', [`${probe}/m`]);
  fs.rmSync(probe, { recursive: true, force: true });
  return mounted.status === 0 ? undefined : `mount -t overlay refused: ${mounted.stderr.trim()}`;
}

/** A random lower tree: dirs, files, symlinks, a fifo, a hard-link pair, a file with a capability. */
function makeLower(root: string, seed: number): void {
  const next = randomInts(seed);
  const dirs = [''];
  for (let k = 0; k < 60; k++) {
    const parent = dirs[next(dirs.length)]!;
    const path = join(root, parent, `n${k}`);
    const kind = next(10);
    if (kind < 3) {
      fs.mkdirSync(path);
      dirs.push(join(parent, `n${k}`));
    } else if (kind < 9) fs.writeFileSync(path, randomBytes(next(3000), seed * 100 + k));
    else fs.symlinkSync(next(2) ? '/etc/passwd' : '../x', path);
  }
  run('mkfifo', [join(root, 'fifo')]);
  fs.writeFileSync(join(root, 'linked'), 'one inode, two names');
  fs.linkSync(join(root, 'linked'), join(root, 'linked-too'));
  fs.writeFileSync(join(root, 'capable'), 'binary');
  run('setfattr', ['-n', 'security.capability', '-v', CAPABILITY, join(root, 'capable')]);
}

/** Random changes through the mount, never touching a path twice or creating then removing one. */
function changeMerged(merged: string, seed: number): string[] {
  const next = randomInts(seed * 31 + 7);
  const done: string[] = [];
  const touched = new Set<string>();
  const original = (fs.readdirSync(merged, { recursive: true }) as string[]).sort();
  const gone: string[] = [];
  // Only original paths are candidates, so a path made here is never removed again.
  const usable = () => original.filter((p) => !touched.has(p) && !gone.some((g) => p === g || p.startsWith(g + '/')));
  for (let k = 0; k < CHANGES; k++) {
    const candidates = usable();
    const rel = candidates[next(candidates.length)]!;
    const path = join(merged, rel);
    const st = fs.lstatSync(path);
    const op = next(11);
    if (st.isDirectory()) {
      if (op < 3) { fs.rmSync(path, { recursive: true }); gone.push(rel); done.push(`rm -r ${rel}`); }
      else if (op < 5) { fs.chmodSync(path, 0o700); done.push(`chmod ${rel}`); }
      else if (op < 7) { fs.rmSync(path, { recursive: true }); fs.writeFileSync(path, 'now a file'); gone.push(rel); done.push(`dir→file ${rel}`); }
      else { fs.mkdirSync(join(path, `new${k}`)); fs.writeFileSync(join(path, `new${k}`, 'f'), 'added'); done.push(`mkdir ${rel}/new${k}`); }
    } else if (st.isSymbolicLink() || st.isFIFO()) {
      fs.rmSync(path); gone.push(rel); done.push(`rm ${rel}`);
    } else {
      switch (op) {
        case 0: fs.writeFileSync(path, randomBytes(st.size, k + 1000)); done.push(`rewrite same size ${rel}`); break;
        case 1: fs.appendFileSync(path, 'more'); done.push(`append ${rel}`); break;
        case 2: fs.chmodSync(path, 0o751); done.push(`chmod ${rel}`); break;
        case 3: fs.chownSync(path, 1000, 1000); done.push(`chown ${rel}`); break;
        case 4: fs.utimesSync(path, 1_600_000_000, 1_600_000_000.25); done.push(`touch ${rel}`); break;
        case 5: fs.rmSync(path); gone.push(rel); done.push(`rm ${rel}`); break;
        case 6: fs.rmSync(path); fs.mkdirSync(path); fs.writeFileSync(join(path, 'inner'), 'x'); gone.push(rel); done.push(`file→dir ${rel}`); break;
        case 7: run('setfattr', ['-n', 'security.capability', '-v', OTHER_CAPABILITY, path]); done.push(`setcap ${rel}`); break;
        case 8: fs.symlinkSync('target', `${path}.lnk`); done.push(`ln -s ${rel}.lnk`); break;
        default: fs.writeFileSync(`${path}.new`, 'new file'); done.push(`add ${rel}.new`);
      }
    }
    touched.add(rel);
  }
  return done;
}

/** What the upper dir records: every path in it, whiteouts as the path they delete, plus the
 * lower children an opaque directory hides (each one a deletion). */
function upperRecord(upper: string, lower: string, merged: string): string[] {
  const paths = new Set((fs.readdirSync(upper, { recursive: true }) as string[]).map((p) => `/${p}`));
  for (const p of [...paths]) {
    const full = join(upper, p);
    if (!fs.lstatSync(full).isDirectory()) continue;
    const opaque = run('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', full]).stdout === 'y';
    if (!opaque || !fs.existsSync(join(lower, p)) || !fs.lstatSync(join(lower, p)).isDirectory()) continue;
    for (const child of fs.readdirSync(join(lower, p))) if (!fs.existsSync(join(merged, p, child))) paths.add(`${p}/${child}`);
  }
  return [...paths].sort();
}

async function withBytes(tree: DiffTree): Promise<DiffTree> {
  for (const e of tree.entries as RefEntry[]) if (e.type === 'file' && e.content) e.__bytes = await e.content();
  return tree;
}

/** Extracts the layer over `target` the way an OCI runtime would: whiteouts first, then GNU tar. */
function applyWithTar(tarFile: string, target: string, names: string[]): void {
  for (const name of names) {
    // An entry whose type differs from what is there replaces it whole (OCI applier semantics).
    const path = join(target, name);
    const existing = fs.lstatSync(path.replace(/\/$/, ''), { throwIfNoEntry: false });
    if (existing && existing.isDirectory() !== name.endsWith('/')) fs.rmSync(path.replace(/\/$/, ''), { recursive: true });
  }
  for (const name of names) {
    const base = name.slice(name.lastIndexOf('/') + 1);
    const dir = name.slice(0, Math.max(0, name.lastIndexOf('/')));
    if (base === '.wh..wh..opq') for (const child of fs.readdirSync(join(target, dir))) fs.rmSync(join(target, dir, child), { recursive: true });
    else if (base.startsWith('.wh.')) fs.rmSync(join(target, dir, base.slice(4)), { recursive: true, force: true });
  }
  const result = run('tar', ['-xpf', tarFile, '-C', target, '--exclude=.wh.*', '--xattrs', '--xattrs-include=security.capability', '--numeric-owner']);
  if (result.status !== 0) throw new Error(`tar -x failed: ${result.stderr}`);
}

const reason = runtime === 'node' || runtime === 'deno' || runtime === 'bun' ? whyNot() : 'not a host runtime';

test.before(async () => void (await ready()));

if (reason) test('overlayfs', () => skip('diff against overlayfs', reason));
else {
  test(`diff of lower vs merged lists exactly the overlayfs upper dir, and the layer rebuilds merged (${ROUNDS} rounds)`, async () => {
    const totals = { paths: 0, entries: 0 };
    for (let round = 1; round <= ROUNDS; round++) {
      const base = fs.mkdtempSync(join(tmpdir(), 'layerkit-ovl-'));
      const [lower, upper, work, merged, target] = ['lower', 'upper', 'work', 'merged', 'target'].map((d) => join(base, d)) as [string, string, string, string, string];
      for (const d of [lower, upper, work, merged]) fs.mkdirSync(d);
      try {
        makeLower(lower, round);
        const mount = run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
        assert.is(mount.status, 0, mount.stderr);
        try {
          const actions = changeMerged(merged, round);
          const before = (await directoryTree(lower)).tree;
          const after = (await directoryTree(merged)).tree;
          const listed = (await diffTrees(before, after, { parents: true })).map((c) => `/${c.path}`).sort();
          assert.equal(listed, upperRecord(upper, lower, merged), `round ${round} after: ${actions.join('; ')}`);
          totals.paths += listed.length;

          const entries = layerEntries(after, await walkDiff(before, after, {}, true));
          const tarFile = join(base, 'layer.tar');
          fs.writeFileSync(tarFile, new Uint8Array(await new Response(layerTar(entries)).arrayBuffer()));
          assert.is(run('cp', ['-a', lower, target]).status, 0);
          applyWithTar(tarFile, target, entries.map((e) => e.name));
          const rebuilt = await withBytes((await directoryTree(target)).tree);
          assert.equal(treeDifferences(rebuilt, await withBytes(after)), [], `round ${round}: layer applied on lower gives merged`);
          totals.entries += entries.length;
        } finally {
          run('umount', [merged]);
        }
      } finally {
        fs.rmSync(base, { recursive: true, force: true });
      }
    }
    console.log(`overlayfs [${runtime}]: ${ROUNDS} rounds × ${CHANGES} changes: ${totals.paths} upper-dir paths matched, layers of ${totals.entries} entries rebuilt merged`);
  });
}

test.run();
