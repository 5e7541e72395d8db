/**
 * The kernel's overlayfs as a test oracle: check that mounting works here (root, Linux, tmpfs and
 * overlay allowed), mount lower directories read-only, and read a mounted tree in the corpus
 * schema (shared/corpus/union/README.md). Also in-memory layers and OCI layouts for the tests.
 *
 *   const why = overlayUnavailable(); if (why) return skip(name, why);
 *   const tree = withOverlay(['/x/1', '/x/0'], (mnt) => readTree(mnt));
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type BigIntStats, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { RandomAccessFile } from '../src/host.ts';
import type { Layer } from '../src/image/types.ts';
import { randomInts } from './_setup.ts';

const sh = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8' });

let verdict: string | undefined | null = null;

/** Why overlayfs cannot be mounted here, or undefined when it can (checked once). */
export function overlayUnavailable(): string | undefined {
  if (verdict !== null) return verdict;
  verdict = probe();
  return verdict;
}

function probe(): string | undefined {
  if (process.platform !== 'linux') return `overlayfs needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting overlayfs needs root';
  const dir = mkdtempSync(`${tmpdir()}/lk-ovl-probe-`);
  try {
    mkdirSync(`${dir}/l0`); mkdirSync(`${dir}/l1`); mkdirSync(`${dir}/m`);
    writeFileSync(`${dir}/l0/f`, 'x');
    const mknod = sh('mknod', [`${dir}/l1/f`, 'c', '0', '0']);
    if (mknod.status !== 0) return `mknod is refused here: ${mknod.stderr.trim()}`;
    const mount = sh('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${dir}/l1:${dir}/l0`, `${dir}/m`]);
    if (mount.status !== 0) return `mount -t overlay is refused here: ${mount.stderr.trim()}`;
    const seen = readdirSync(`${dir}/m`);
    sh('umount', [`${dir}/m`]);
    if (seen.length !== 0) return 'overlayfs here does not honour 0/0 whiteouts';
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bytes` as a seekable file (indexTarFile, Layer.uncompressedFile); with `seed`, reads return short counts at random. */
export function memoryFile(bytes: Uint8Array, seed = 0): RandomAccessFile & { reads: number } {
  const pick = randomInts(seed || 1);
  return {
    size: bytes.length, reads: 0,
    read(into, position) {
      this.reads++;
      const n = Math.max(0, Math.min(into.length, bytes.length - position, seed ? 1 + pick(into.length) : into.length));
      into.set(bytes.subarray(position, position + n));
      return n;
    },
    close() {},
  };
}

/** Runs `work` in a new temporary directory (`lk-NAME-…`), removed afterwards whatever happens. */
export async function withTempDir<T>(name: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(`${tmpdir()}/lk-${name}-`);
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `work` in a fresh tmpfs (falls back to a plain temporary directory if tmpfs is refused). */
export async function withTmpfs<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(`${tmpdir()}/lk-tmpfs-`);
  const mounted = sh('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dir]).status === 0;
  try {
    return await work(dir);
  } finally {
    if (mounted) sh('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mounts `lowerdirs` (top first) read-only at a fresh mount point, runs `work`, unmounts. */
export function withOverlay<T>(lowerdirs: string[], mountpoint: string, work: (mnt: string) => T): T {
  mkdirSync(mountpoint, { recursive: true });
  // a single lower dir is not an overlay; add an empty one below so the kernel still merges
  const dirs = lowerdirs.length === 1 ? [...lowerdirs, `${mountpoint}.empty`] : lowerdirs;
  if (lowerdirs.length === 1) mkdirSync(dirs[1]!, { recursive: true });
  const mount = sh('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${dirs.join(':')}`, mountpoint]);
  if (mount.status !== 0) throw new Error(`mount -t overlay failed: ${mount.stderr.trim()}`);
  try {
    return work(mountpoint);
  } finally {
    sh('umount', [mountpoint]);
  }
}

export interface TreeEntry {
  path: string; type: string; mode: string; uid: number; gid: number; mtime: { sec: number; nsec: number };
  size?: number; sha256?: string; target?: string; rdev?: { major: number; minor: number }; hardlink_group?: string;
}

const TYPE = (st: BigIntStats) =>
  st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'other';

/** A directory tree in the corpus schema, sorted by path (the root not listed). */
export function readTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const inodes = new Map<bigint, string[]>();
  const visit = (rel: string) => {
    for (const name of readdirSync(rel ? `${root}/${rel}` : root).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(`${root}/${path}`, { bigint: true });
      const type = TYPE(st);
      const entry: TreeEntry = {
        path, type, mode: (Number(st.mode) & 0o7777).toString(8).padStart(4, '0'), uid: Number(st.uid), gid: Number(st.gid),
        mtime: { sec: Number(st.mtimeNs / 1_000_000_000n), nsec: Number(st.mtimeNs % 1_000_000_000n) },
      };
      if (type === 'file') {
        const bytes = readFileSync(`${root}/${path}`);
        entry.size = bytes.length;
        entry.sha256 = createHash('sha256').update(bytes).digest('hex');
        inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), path]);
      }
      if (type === 'symlink') entry.target = readlinkSync(`${root}/${path}`);
      if (type === 'char' || type === 'block') entry.rdev = { major: Number(st.rdev >> 8n) & 0xfff, minor: Number((st.rdev & 0xffn) | ((st.rdev >> 12n) & 0xfff00n)) };
      out.push(entry);
      if (type === 'dir') visit(path);
    }
  };
  visit('');
  // Deno's lstat keeps only milliseconds of an mtime; GNU find prints the kernel's nanoseconds.
  if (typeof (globalThis as { Deno?: unknown }).Deno === 'object') {
    const listing = spawnSync('find', [root, '-mindepth', '1', '-printf', '%P\\t%T@\\0'], { encoding: 'utf8' }).stdout;
    const exact = new Map(listing.split('\0').filter(Boolean).map((line) => {
      const [path, time] = line.split('\t') as [string, string];
      const [sec, fraction = ''] = time.split('.');
      return [path, { sec: Number(sec), nsec: Number(fraction.padEnd(9, '0').slice(0, 9)) }];
    }));
    for (const e of out) e.mtime = exact.get(e.path) ?? e.mtime;
  }
  for (const paths of inodes.values()) {
    if (paths.length < 2) continue;
    const leader = [...paths].sort()[0]!;
    for (const e of out) if (paths.includes(e.path)) e.hardlink_group = leader;
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** A layer served from memory (what UnionFS and unpack need of one). */
export function memoryLayer(tar: Uint8Array): Layer {
  const open = async () => new Blob([tar as Uint8Array<ArrayBuffer>]).stream();
  return { digest: `sha256:${sha256(tar)}`, diffID: `sha256:${sha256(tar)}`, size: tar.length, mediaType: 'application/vnd.oci.image.layer.v1.tar', compressed: open, uncompressed: open } as Layer;
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** Writes an OCI image layout at `dir` with uncompressed `layers` (bottom first), tagged `latest`. */
export function writeOciImage(dir: string, layers: Uint8Array[]): void {
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  const put = (bytes: Uint8Array | string) => { const d = sha256(bytes); writeFileSync(`${dir}/blobs/sha256/${d}`, bytes); return d; };
  const diffIDs = layers.map((l) => `sha256:${put(l)}`);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIDs }, config: {} });
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${put(config)}`, size: config.length },
    layers: layers.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffIDs[i], size: l.length })),
  });
  const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${put(manifest)}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] };
  writeFileSync(`${dir}/index.json`, JSON.stringify(index));
  writeFileSync(`${dir}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
}
