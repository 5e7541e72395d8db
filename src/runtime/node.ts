/**
 * The host for Node, Deno and Bun: all three serve node:fs and node:crypto, so one adapter fits.
 */
import { open, readFile, stat } from 'node:fs/promises';
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

export const nodeHost: Host = {
  runtime: detectRuntime(),
  env: (name) => process.env[name],
  async stat(path) {
    const info = await stat(path);
    return { size: info.size, isFile: info.isFile(), isDirectory: info.isDirectory() };
  },
  openRead,
};
