/**
 * Unpacking a real-sized image: a debootstrap-like rootfs (~7k files in ~700 directories, ~200 MB,
 * symlinks and hardlinks) plus a layer that modifies it (rewrites, deletes, an opaque directory,
 * new files, mode changes). `layerkit unpack` of the OCI layout against `umoci unpack` of the same
 * layout and GNU `tar -xf` of its flattened tar (`layerkit export`), all timed as one process
 * each. Layers are stored uncompressed so the figures compare extraction, not gzip. Host runtimes
 * only.
 *
 * Every run extracts into an empty ext4 filesystem made just before it (a loop mount, made afresh
 * before each run, untimed, and removed at the end), and nothing is deleted while cases are
 * timed. On this machine's own ext4 (no journal), creating a file skips, one by one, every inode
 * freed in the last 60 s (ext4's `recently_deleted`; 360 s while the inode-table block is
 * dirty), so any extraction within minutes of an `rm -rf` of an earlier tree took 5-10 s instead
 * of 0.5-1.5 s, for tar and layerkit alike. And on one filesystem kept for all runs, every tool
 * slowed down by a third to a half from the fourth round on (tar from 0.7 s to 1.15 s), so a
 * median depended on where that step fell. Where a loop mount is refused (not root), the trees go
 * under build/ and the note says so; there, `sync` (untimed) before each run writes back the
 * previous run's data.
 *
 *   node --import tsx bench/union-unpack.bench.ts --runs 3     or     npm run bench -- union-unpack
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { MiB, runtime, workload, type Case } from './_harness.ts';
import { hasCommand, layerkitCommand, layerkitEnv } from './_process.ts';
import { init } from '../src/mod.ts';
import { exportTar } from '../src/fs/export.ts';
import { UnionFS } from '../src/fs/union-fs.ts';
import { indexStack } from '../src/fs/layer-stack.ts';
import { writeTar, type TarWriteEntry } from '../src/tar/writer.ts';
import type { Layer } from '../src/image/types.ts';

const root = new URL('../', import.meta.url).pathname;
const work = `${root}build/bench/union-unpack`;
const FILES = 7000;
const TOTAL = 200 * MiB;

/** A deterministic stream of integers. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
}

function makeLayers(): TarWriteEntry[][] {
  const next = rng(42);
  const noise = new Uint8Array(4 * MiB);
  for (let i = 0; i < noise.length; i++) noise[i] = next(256);
  const mtime = { sec: 1_700_000_000, nsec: 0 };
  const dirs: string[] = [];
  const base: TarWriteEntry[] = [];
  for (const top of ['bin', 'etc', 'lib', 'sbin', 'usr', 'usr/bin', 'usr/lib', 'usr/share', 'usr/share/doc', 'var', 'var/lib']) {
    base.push({ name: `${top}/`, type: 'dir', mode: 0o755, mtime }); dirs.push(top);
  }
  for (let d = 0; dirs.length < 700; d++) {
    const parent = ['usr/lib', 'usr/share/doc', 'usr/share', 'lib', 'var/lib', 'etc'][d % 6]!;
    const dir = `${parent}/pkg-${d}`;
    base.push({ name: `${dir}/`, type: 'dir', mode: 0o755, mtime }); dirs.push(dir);
  }
  // sizes: mostly small, some medium, a few large; scaled to TOTAL
  const sizes = Array.from({ length: FILES }, () => { const r = next(100); return r < 85 ? 100 + next(16_000) : r < 99 ? 16_000 + next(240_000) : 1 * MiB + next(7 * MiB); });
  const scale = TOTAL / sizes.reduce((a, b) => a + b, 0);
  const files: string[] = [];
  sizes.forEach((raw, i) => {
    const size = Math.max(1, Math.floor(raw * scale));
    const name = `${dirs[next(dirs.length)]}/file-${i}${['.so', '.txt', '', '.gz', '.py'][i % 5]}`;
    const at = next(noise.length - Math.min(size, noise.length));
    const body = size <= noise.length ? noise.subarray(at, at + size) : new Uint8Array(size).map((_, k) => noise[k % noise.length]!);
    base.push({ name, type: 'file', mode: i % 7 === 0 ? 0o755 : 0o644, mtime, body }); files.push(name);
  });
  for (let i = 0; i < 300; i++) base.push({ name: `usr/bin/link-${i}`, type: 'symlink', linkname: `../../${files[next(files.length)]}`, mtime });
  for (let i = 0; i < 20; i++) base.push({ name: `usr/bin/hard-${i}`, type: 'hardlink', linkname: files[i * 13]!, mtime });
  const upper: TarWriteEntry[] = [];
  const touched = new Set<string>();
  const pick = () => { let f: string; do f = files[next(files.length)]!; while (touched.has(f) || f.startsWith('usr/share/doc/pkg-1/')); touched.add(f); return f; };
  for (let i = 0; i < 300; i++) upper.push({ name: pick(), type: 'file', mode: 0o644, mtime: { sec: 1_700_100_000, nsec: 0 }, body: noise.subarray(i * 1000, i * 1000 + 5000) });
  for (let i = 0; i < 150; i++) { const f = pick(); const slash = f.lastIndexOf('/'); upper.push({ name: `${f.slice(0, slash)}/.wh.${f.slice(slash + 1)}`, type: 'file', mtime }); }
  for (let i = 0; i < 100; i++) upper.push({ name: pick(), type: 'file', mode: 0o600, mtime, body: new TextEncoder().encode('chmod only\n') });
  upper.push({ name: 'usr/share/doc/pkg-1/', type: 'dir', mode: 0o755, mtime }, { name: 'usr/share/doc/pkg-1/.wh..wh..opq', type: 'file', mtime });
  for (let i = 0; i < 200; i++) upper.push({ name: `opt/app/part-${i}.js`, type: 'file', mode: 0o644, mtime, body: noise.subarray(i * 100, i * 100 + 20_000) });
  return [base, upper];
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes the OCI layout (uncompressed layers) and the flattened tar, once. */
async function prepareInputs(): Promise<void> {
  if (existsSync(`${work}/flat.tar`)) return;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(`${work}/oci/blobs/sha256`, { recursive: true });
  const tars = await Promise.all(makeLayers().map((entries) => writeTar(entries)));
  const put = (bytes: Uint8Array | string) => { const d = sha(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes); writeFileSync(`${work}/oci/blobs/sha256/${d}`, bytes); return d; };
  const diffIDs = tars.map((t) => `sha256:${put(t)}`);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIDs }, config: {} });
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${put(config)}`, size: config.length },
    layers: tars.map((t, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffIDs[i], size: t.length })) });
  writeFileSync(`${work}/oci/index.json`, JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${put(manifest)}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
  writeFileSync(`${work}/oci/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
  const layers = tars.map((t) => ({ uncompressed: async () => new Blob([t as Uint8Array<ArrayBuffer>]).stream() }) as unknown as Layer);
  const fs = UnionFS.fromStack(await indexStack(layers));
  const chunks: Uint8Array[] = [];
  const reader = exportTar(fs).getReader();
  for (;;) { const { done, value } = await reader.read(); if (done) break; chunks.push(value.slice()); }
  writeFileSync(`${work}/flat.tar`, Buffer.concat(chunks));
}

/** Every path under `dir` with its type, mode and size (symlinks not followed), to check that the unpackers agree. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? `${dir}/${rel}` : dir)) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(`${dir}/${path}`);
      out.push(`${path} ${st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.size} ${(st.mode & 0o7777).toString(8)}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk('');
  return out.sort();
}

const sh = (script: string) => ['-c', script];
const q = (s: string) => `'${s}'`;

const scratchImage = `${work}/scratch-ext4.img`;
const scratchMount = `${work}/scratch`;

/** Unmounts and removes the scratch filesystem, if any. */
function removeScratch(): void {
  spawnSync('umount', [scratchMount], { stdio: 'ignore' });
  rmSync(scratchImage, { force: true });
}

/** A fresh journaled ext4 mounted at scratchMount; or why there is none. */
function mountScratch(): { dir: string } | { refused: string } {
  removeScratch();
  mkdirSync(scratchMount, { recursive: true });
  for (const [command, ...args] of [['truncate', '-s', '8G', scratchImage], ['mkfs.ext4', '-q', '-F', scratchImage], ['mount', '-o', 'loop', scratchImage, scratchMount]]) {
    const result = spawnSync(command!, args, { encoding: 'utf8' });
    if (result.status !== 0) return { refused: `${command} failed: ${(result.stderr || String(result.error)).trim()}` };
  }
  return { dir: scratchMount };
}

/**
 * A case that runs `script(dir)` through sh, with a new output directory every run, after
 * `before` (untimed); skipped without `needs`.
 */
function freshTreeCase(name: string, out: string, script: (dir: string) => string, note: string, needs: string, before: () => void, env = process.env): Case {
  let run = 0;
  const prefix = name.replace(/[^a-z]+/gi, '-');
  return {
    name,
    note,
    skip: hasCommand(needs) ? undefined : `${needs} is not installed (scripts/install-system-deps.sh)`,
    before,
    run: () => {
      const result = spawnSync('sh', sh(script(`${out}/${prefix}-${run++}`)), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
      if (result.status !== 0) throw new Error(`${name} exited ${result.status}: ${result.stderr.trim()}`);
    },
  };
}

export default workload(import.meta, {
  name: 'union-unpack',
  title: 'Unpack a ~7k-file, 200 MB rootfs + a modifying layer: layerkit vs umoci vs GNU tar -xf of the flattened tar',
  bytes: TOTAL,
  runtimes: ['node', 'deno', 'bun'],
  ratio: ['layerkit unpack', 'GNU tar -xf'],
  async cases() {
    await init();
    await prepareInputs();
    const scratch = mountScratch();
    process.once('exit', removeScratch);
    const out = 'dir' in scratch ? `${scratch.dir}/${runtime}` : `${work}/out-${runtime}`;
    const where = 'dir' in scratch ? 'an ext4 loop mount made afresh before each run' : `build/ (no loop mount: ${scratch.refused})`;
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const [command, args] = layerkitCommand();
    const layerkitLine = [command, ...args].map(q).join(' ');
    const scripts = {
      layerkit: (dir: string) => `${layerkitLine} unpack ${q(`oci:${work}/oci:latest`)} ${q(dir)}`,
      umoci: (dir: string) => `umoci unpack --image ${q(`${work}/oci:latest`)} ${q(dir)} >/dev/null`,
      tar: (dir: string) => `mkdir ${q(dir)} && tar -xf ${q(`${work}/flat.tar`)} -C ${q(dir)}`,
    };
    // the three must produce the same tree before anything is timed
    for (const [name, script] of Object.entries(scripts)) {
      const r = spawnSync('sh', sh(script(`${out}/check-${name}`)), { encoding: 'utf8' });
      if (r.status !== 0 && name !== 'umoci') throw new Error(`${name}: ${r.stderr}`);
    }
    const mine = listing(`${out}/check-layerkit`);
    const theirs = listing(`${out}/check-tar`);
    if (mine.join('\n') !== theirs.join('\n')) throw new Error(`layerkit unpack and tar -xf differ (${mine.length} vs ${theirs.length} paths)`);
    if (existsSync(`${out}/check-umoci/rootfs`) && listing(`${out}/check-umoci/rootfs`).join('\n') !== mine.join('\n')) throw new Error('umoci unpack gives another tree');
    // before every run: a new empty filesystem where loop mounts work, else a writeback of the last run
    const before = () => {
      if (!('dir' in scratch)) return void spawnSync('sync');
      const again = mountScratch();
      if (!('dir' in again)) throw new Error(`the scratch filesystem could not be made again: ${again.refused}`);
      mkdirSync(out, { recursive: true });
    };
    // Node without the variable that makes every Node process parse a certificate bundle at start
    // (see layerkitEnv); where it is set, the start as it comes is timed too
    const { env, unset, noteSuffix } = layerkitEnv();
    const asStarted = unset === undefined ? [] : [freshTreeCase(`layerkit unpack, ${unset} kept`, out, scripts.layerkit, `as started on this machine: Node parses the file ${unset} names at start`, command, before)];
    return [
      freshTreeCase('layerkit unpack', out, scripts.layerkit, `${mine.length} paths; a new directory every run, on ${where}${noteSuffix}`, command, before, env),
      ...asStarted,
      freshTreeCase('umoci unpack', out, scripts.umoci, 'umoci 0.4.7', 'umoci', before),
      freshTreeCase('GNU tar -xf', out, scripts.tar, 'flattened tar (layerkit export)', 'tar', before),
    ];
  },
});
