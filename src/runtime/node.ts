/**
 * The host for Node, Deno and Bun: all three serve node:fs and node:crypto, so one adapter fits.
 */
import { lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { childProcess } from './node-child-process.ts';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { EntryStat, Host, RandomAccessFile } from '../host.ts';
import { nodeTreeWriter } from './node-tree-writer.ts';
import { nodeGunzip } from './node-gunzip.ts';
import { detectRuntime } from './probe.ts';

/** The release build of the core, at the same depth from src/ and dist/. */
export const WASM_URL = new URL('../../build/layerkit.wasm', import.meta.url);

export async function readWasm(url: URL = WASM_URL): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await readFile(url));
}

const READ_CHUNK = 1 << 20;

function openRead(path: string, start = 0): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let position = start;
  const source: UnderlyingByteSource = {
    type: 'bytes',
    async pull(controller) {
      handle ??= await open(path, 'r');
      // A BYOB reader's buffer is filled in place (see borrowedChunks in src/streams.ts); anyone
      // else gets a fresh 1 MiB chunk
      const request = controller.byobRequest;
      const view = request?.view;
      const target = view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(READ_CHUNK);
      const { bytesRead } = await handle.read(target, 0, target.length, position);
      if (bytesRead === 0) {
        await handle.close();
        controller.close();
        request?.respond(0);
        return;
      }
      position += bytesRead;
      if (request) request.respond(bytesRead);
      else controller.enqueue(target.subarray(0, bytesRead));
    },
    async cancel() {
      await handle?.close();
    },
  };
  return new ReadableStream(source) as ReadableStream<Uint8Array>;
}

function openWrite(path: string, options?: { sync?: boolean; exclusive?: boolean }): WritableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return new WritableStream<Uint8Array>({
    async start() {
      handle = await open(path, options?.exclusive ? 'wx' : 'w');
    },
    async write(chunk) {
      let done = 0;
      while (done < chunk.length) done += (await handle!.write(chunk, done, chunk.length - done)).bytesWritten;
    },
    async close() {
      if (options?.sync) await handle!.sync();
      await handle!.close();
    },
    async abort() {
      await handle?.close();
    },
  });
}

/** Positioned synchronous reads: a tar walk makes one small read per header, and the thread-pool hop of the async API would cost more than the read. */
function openRandomAccess(path: string): RandomAccessFile {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    return { size, read: (into, position) => readSync(fd, into, 0, into.length, position), close: () => closeSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

export const nodeHost: Host = {
  gunzip: nodeGunzip,
  runtime: detectRuntime(),
  env: (name) => process.env[name],
  async stat(path) {
    const info = await stat(path);
    return { size: info.size, isFile: info.isFile(), isDirectory: info.isDirectory() };
  },
  openRead,
  openRandomAccess,
  readFile: async (path) => new Uint8Array(await readFile(path)),
  async writeFile(path, bytes, options) {
    if (!options?.sync) return writeFile(path, bytes);
    const handle = await open(path, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  openWrite,
  mkdir: async (path, options) => void (await mkdir(path, options)),
  rename: (from, to) => rename(from, to),
  async fsyncDir(path) {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  readdir: (path) => readdir(path),
  remove: (path, options) => rm(path, { force: true, recursive: options?.recursive ?? false }),
  async lstat(path) {
    const info = await lstat(path);
    return {
      size: info.size, isFile: info.isFile(), isDirectory: info.isDirectory(), isSymlink: info.isSymbolicLink(),
      mode: info.mode, mtimeMs: info.mtimeMs, uid: info.uid, gid: info.gid,
    };
  },
  readlink: (path) => readlink(path),
  spawn: runProgram,
  // Node's global fetch costs a core at ~50 MB/s; Deno's and Bun's are native and fast.
  // (loaded on first use: node:http costs ~20 ms of start-up, and most commands never fetch)
  ...(detectRuntime() === 'node' ? { fetch: async (input: string, init?: RequestInit) => (await import('./node-fetch.ts')).nodeFetch(input, init) } : {}),
  lstatEntry,
  xattrsUnder,
  treeWriter: () => nodeTreeWriter,
};

const TYPE_BITS: [number, EntryStat['type']][] = [
  [0o100000, 'file'], [0o040000, 'dir'], [0o120000, 'symlink'], [0o020000, 'char'], [0o060000, 'block'], [0o010000, 'fifo'], [0o140000, 'socket'],
];

/** lstat with nanosecond times (bigint: Node and Bun give ns; Deno gives ms) and Linux's rdev split. */
async function lstatEntry(path: string): Promise<EntryStat> {
  const info = await lstat(path, { bigint: true });
  const mode = Number(info.mode);
  const rdev = info.rdev;
  const ns = info.mtimeNs;
  return {
    type: TYPE_BITS.find(([bits]) => (mode & 0o170000) === bits)?.[1] ?? 'file',
    mode: mode & 0o7777, uid: Number(info.uid), gid: Number(info.gid), size: Number(info.size),
    mtimeSec: Number(ns / 1_000_000_000n) - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1 : 0),
    mtimeNsec: Number(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n),
    devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
    ino: String(info.ino), nlink: Number(info.nlink),
  };
}

/** getfattr's octal escapes (\012) back to bytes, then UTF-8. */
const unescapeName = (text: string) =>
  new TextDecoder().decode(Uint8Array.from(Buffer.from(text.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))), 'latin1')));

/** Reads xattrs through `getfattr` (Debian's attr package): node:fs has no xattr API. */
function xattrsUnder(root: string, pattern: string): Promise<Map<string, Record<string, Uint8Array>> | undefined> {
  return new Promise((resolve) => {
    childProcess().execFile('getfattr', ['-R', '-h', '-d', '-m', pattern, '-e', 'hex', '--absolute-names', root], { maxBuffer: 1 << 30, encoding: 'latin1' }, (error, stdout) => {
      if (error && (error as { code?: unknown }).code === 'ENOENT') return resolve(undefined);
      const out = new Map<string, Record<string, Uint8Array>>();
      let current: Record<string, Uint8Array> | undefined;
      for (const line of String(stdout).split('\n')) {
        if (line.startsWith('# file: ')) {
          const path = unescapeName(line.slice(8));
          const relative = path === root ? '' : path.slice(root.replace(/\/+$/, '').length + 1);
          out.set(relative, (current = {}));
        } else if (current && line.includes('=0x')) {
          const at = line.indexOf('=0x');
          current[unescapeName(line.slice(0, at))] = new Uint8Array(Buffer.from(line.slice(at + 3), 'hex'));
        }
      }
      resolve(out);
    });
  });
}

/** Runs `command` without a shell, feeding `stdin`; output capped at 1 MiB per stream. */
function runProgram(command: string, args: string[], stdin: Uint8Array): Promise<{ status: number; stdout: Uint8Array; stderr: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > 2 << 20) child.kill();
      else into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout: new Uint8Array(Buffer.concat(out)), stderr: new Uint8Array(Buffer.concat(err)) }));
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}
