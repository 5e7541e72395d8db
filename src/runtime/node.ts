/**
 * The host for Node, Deno and Bun: all three serve node:fs and node:crypto, so one adapter fits.
 */
import { lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import type { Host } from '../host.ts';
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
  return new ReadableStream<Uint8Array>({
    type: 'bytes',
    async pull(controller) {
      handle ??= await open(path, 'r');
      const buffer = new Uint8Array(READ_CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, position);
      if (bytesRead === 0) {
        await handle.close();
        controller.close();
        return;
      }
      position += bytesRead;
      controller.enqueue(buffer.subarray(0, bytesRead));
    },
    async cancel() {
      await handle?.close();
    },
  });
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

export const nodeHost: Host = {
  runtime: detectRuntime(),
  env: (name) => process.env[name],
  async stat(path) {
    const info = await stat(path);
    return { size: info.size, isFile: info.isFile(), isDirectory: info.isDirectory() };
  },
  openRead,
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
};

/** Runs `command` without a shell, feeding `stdin`; output capped at 1 MiB per stream. */
function runProgram(command: string, args: string[], stdin: Uint8Array): Promise<{ status: number; stdout: Uint8Array; stderr: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
