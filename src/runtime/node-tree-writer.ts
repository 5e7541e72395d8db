/**
 * The TreeWriter for Node, Deno and Bun (node:fs, synchronous: an unpack makes thousands of small
 * calls, and the thread-pool hop of the async API would dominate). Device nodes and xattrs go
 * through mknod(1) and setfattr(1), which node:fs lacks.
 */
import { childProcess } from './node-child-process.ts';
import * as fs from 'node:fs';
import type { TreeWriter } from '../host.ts';
import { workerBackgroundFiles } from './node-file-worker.ts';

const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW } = fs.constants;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs shell commands in one process (a spawn costs tens of milliseconds on a busy machine). */
function runBatch(lines: string[]): void {
  for (let at = 0; at < lines.length; at += 500) {
    const result = childProcess().spawnSync('sh', ['-ec', lines.slice(at, at + 500).join('\n')], { encoding: 'utf8' });
    if (result.error) throw Object.assign(new Error(`sh: ${result.error.message}`), { code: (result.error as NodeJS.ErrnoException).code });
    if (result.status !== 0) throw Object.assign(new Error(result.stderr.trim() || `sh exited with ${result.status}`), { code: 'EPERM' });
  }
}

export const nodeTreeWriter: TreeWriter = {
  kind(path) {
    // no exception for a missing path: an unpack asks about thousands of them, and building each
    // error (message, stack) cost more than the lstat itself
    const st = fs.lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
  },
  readlink: (path) => fs.readlinkSync(path),
  mkdir: (path, mode) => fs.mkdirSync(path, { mode }),
  createFile: (path, mode) => fs.openSync(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, mode),
  write(handle, bytes) {
    for (let at = 0; at < bytes.length; ) at += fs.writeSync(handle, bytes, at, bytes.length - at);
  },
  close: (handle) => fs.closeSync(handle),
  closeWith(handle, meta) {
    try {
      fs.fchmodSync(handle, meta.mode);
      const t = meta.mtime.sec + meta.mtime.nsec / 1e9;
      fs.futimesSync(handle, t, t);
    } finally {
      fs.closeSync(handle);
    }
  },
  symlink: (target, path) => fs.symlinkSync(target, path),
  link: (existing, path) => fs.linkSync(existing, path),
  mknod(nodes) {
    runBatch(nodes.map((n) => (n.type === 'fifo' ? `mknod -- ${quote(n.path)} p` : `mknod -- ${quote(n.path)} ${n.type === 'char' ? 'c' : 'b'} ${n.major} ${n.minor}`)));
  },
  setMetadata(path, meta) {
    if (meta.uid !== undefined) fs.lchownSync(path, meta.uid, meta.gid ?? 0);
    if (meta.mode !== undefined && (meta.notSymlink === true || !fs.lstatSync(path).isSymbolicLink())) fs.chmodSync(path, meta.mode);
    if (meta.mtime) {
      const t = meta.mtime.sec + meta.mtime.nsec / 1e9;
      fs.lutimesSync(path, t, t);
    }
  },
  setTimesExact(items) {
    // node:fs takes times as float seconds (about 240 ns of precision today); touch(1) takes them exactly
    runBatch(items.map((x) => `touch -h -d @${x.mtime.sec}.${String(x.mtime.nsec).padStart(9, '0')} -- ${quote(x.path)}`));
  },
  setXattrs(items) {
    runBatch(items.map((x) => `setfattr -h -n ${quote(x.name)} -v 0x${Buffer.from(x.value).toString('hex')} -- ${quote(x.path)}`));
  },
  ownerOfNew(dir) {
    // new entries get the process's fsuid, and the directory's group only under a setgid directory
    // (which the caller's tree may not have: then it is unknown); dir was made by this process,
    // so its own owner is exactly that fsuid and egid
    const st = fs.lstatSync(dir);
    return st.isDirectory() && (st.mode & 0o2000) === 0 ? { uid: st.uid, gid: st.gid } : undefined;
  },
  remove: (path) => fs.rmSync(path, { recursive: true, force: true }),
  rename: (from, to) => fs.renameSync(from, to),
  backgroundFiles: workerBackgroundFiles,
};
