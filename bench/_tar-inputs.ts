/**
 * Inputs and peer cases for the tar index benchmarks: layer-like tars generated once into
 * build/bench/ (gitignored), and "list the archive" cases for layerkit, tar-stream, modern-tar,
 * nanotar, node-tar and the bsdtar / GNU tar programs. Host runtimes only (files, node streams).
 *
 *   const tar = await ensureTar('layer-1g', layerEntries(100_000, 1));
 *   const cases = await tarListCases(tar);
 */
import { createReadStream, statSync, existsSync, mkdirSync, openSync, closeSync, writeSync, renameSync, readFileSync } from 'node:fs';
import { tarStream, type TarWriteEntry } from '../src/tar/writer.ts';
import { indexLayer } from '../src/tar/index-layer.ts';
import { TarParser } from '../src/core/tar.ts';
import { core } from '../src/core/wasm.ts';
import { nodeHost } from '../src/runtime/node.ts';
import { commandCase, layerkitCase } from './_process.ts';
import { indexTarFile } from '../src/tar/index-file.ts';
import { borrowedChunks } from '../src/streams.ts';
import { workload, type Case } from './_harness.ts';
import { init } from '../src/mod.ts';

export const benchDir = new URL('../build/bench/', import.meta.url).pathname;

function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

const CONTENT = new Uint8Array(2 << 20).map((_, i) => (i * 2654435761) >>> 24);

/**
 * A layer-like tree: directories of 20 files, a symlink every 50 entries, owner names, and file
 * sizes drawn from a mix seen in distro layers: 70% under 2 KiB, 25% 2–16 KiB, 4.5% 16–128 KiB,
 * 0.5% 128 KiB–1.5 MiB (mean ≈ 10 KiB). `maxSize` caps sizes (the small-file workload).
 */
export function* layerEntries(files: number, seed: number, maxSize = Infinity): Generator<TarWriteEntry> {
  const next = random(seed);
  for (let i = 0; i < files; i++) {
    const dir = `usr/share/pkg-${Math.floor(i / 400)}/sub-${Math.floor(i / 20) % 20}`;
    if (i % 20 === 0) yield { name: `${dir}/`, type: 'dir', mode: 0o755, uname: 'root', gname: 'root', mtime: { sec: 1_700_000_000, nsec: 0 } };
    if (i % 50 === 49) {
      yield { name: `${dir}/link-${i}`, type: 'symlink', linkname: `../sub-0/file-${i - 1}.so`, uname: 'root', gname: 'root', mtime: { sec: 1_700_000_000, nsec: 0 } };
      continue;
    }
    const r = next();
    const size = Math.min(maxSize, Math.floor(r < 0.7 ? next() * 2048 : r < 0.95 ? 2048 + next() * 14336 : r < 0.995 ? 16384 + next() * 114688 : 131072 + next() * 1441792));
    const offset = Math.floor(next() * (CONTENT.length - size));
    yield { name: `${dir}/file-${i}.so`, body: CONTENT.subarray(offset, offset + size), mode: 0o644, uname: 'root', gname: 'root', mtime: { sec: 1_700_000_000, nsec: 0 } };
  }
}

/** Writes the tar once (to a temporary name, then renamed) and returns its path. */
export async function ensureTar(name: string, entries: Iterable<TarWriteEntry>): Promise<string> {
  const path = `${benchDir}${name}.tar`;
  if (existsSync(path)) return path;
  mkdirSync(benchDir, { recursive: true });
  const fd = openSync(`${path}.partial`, 'w');
  for await (const chunk of tarStream(entries) as unknown as AsyncIterable<Uint8Array>) writeSync(fd, chunk);
  closeSync(fd);
  renameSync(`${path}.partial`, path);
  return path;
}

/** layerkit's index of the file: count, bytes per entry, path bytes (for the memory figures). */
export async function indexFigures(path: string): Promise<{ entries: number; usedBytes: number; pathBytes: number; wasmBytes: number }> {
  const { index } = await indexLayer(nodeHost.openRead(path), { decompress: false });
  let pathBytes = 0;
  for (let i = 0; i < index.count; i++) pathBytes += index.pathBytes(i).length + (index.linknameBytes(i).length ? 4 + index.linknameBytes(i).length : 0);
  const figures = { entries: index.count, usedBytes: index.usedBytes, pathBytes, wasmBytes: core().exports.memory.buffer.byteLength };
  index.free();
  return figures;
}

/** One case per reader: each lists every entry of the file and checks the count. */
export async function tarListCases(path: string, entries: number): Promise<Case[]> {
  const expect = (name: string, n: number) => {
    if (n !== entries) throw new Error(`${name} listed ${n} entries, expected ${entries}`);
  };
  const { extract } = await import('tar-stream');
  const { createTarDecoder } = await import('modern-tar');
  const { parseTar } = await import('nanotar');
  const nodeTar = await import('tar');
  return [
    {
      name: 'layerkit', note: 'indexLayer: entry table + diffID in one pass',
      run: async () => {
        const { index } = await indexLayer(nodeHost.openRead(path), { decompress: false });
        expect('layerkit', index.count);
        index.free();
      },
    },
    {
      name: 'layerkit (no diffID)', note: 'kernel index only',
      run: async () => {
        const parser = new TarParser(core(), { index: true, hashStream: false });
        for await (const chunk of borrowedChunks(nodeHost.openRead(path))) parser.feed(chunk);
        parser.finish();
        expect('layerkit (no diffID)', parser.index.count);
        parser.index.free();
        parser.dispose();
      },
    },
    {
      name: 'layerkit (seeking)', note: 'indexTarFile: headers read, contents jumped over',
      run: () => {
        const file = nodeHost.openRandomAccess!(path);
        try {
          const index = indexTarFile(file);
          expect('layerkit (seeking)', index.count);
          index.free();
        } finally {
          file.close();
        }
      },
    },
    layerkitCase('layerkit tar ls', ['tar', 'ls', path]),
    {
      name: 'tar-stream', note: 'extract(), bodies resumed',
      run: () => new Promise<void>((resolve, reject) => {
        let n = 0;
        const ex = extract();
        ex.on('entry', (_header, stream, next) => {
          n++;
          stream.on('end', next);
          stream.resume();
        });
        ex.on('finish', () => {
          try { expect('tar-stream', n); resolve(); } catch (e) { reject(e); }
        });
        ex.on('error', reject);
        createReadStream(path, { highWaterMark: 1 << 20 }).pipe(ex);
      }),
    },
    {
      name: 'modern-tar', note: 'createTarDecoder(), bodies cancelled',
      run: async () => {
        let n = 0;
        for await (const entry of nodeHost.openRead(path).pipeThrough(createTarDecoder()) as unknown as AsyncIterable<{ body: ReadableStream }>) {
          n++;
          await entry.body.cancel();
        }
        expect('modern-tar', n);
      },
    },
    {
      name: 'nanotar', note: 'parseTar(metaOnly) on the whole file read into memory',
      run: () => expect('nanotar', parseTar(readFileSync(path), { metaOnly: true }).length),
    },
    {
      name: 'node-tar', note: 'tar.t (list) with onReadEntry',
      run: async () => {
        let n = 0;
        await nodeTar.t({ file: path, onReadEntry: (e: { resume(): void }) => { n++; e.resume(); } });
        expect('node-tar', n);
      },
    },
    commandCase('bsdtar -tvf', 'bsdtar', ['-tvf', path]),
    commandCase('GNU tar -tvf', 'tar', ['-tvf', path]),
  ];
}

/** The tar index workload over `path`: figures of the index printed, then every list case timed. */
export function tarIndexWorkload(meta: ImportMeta, name: string, title: string, path: string) {
  return workload(meta, {
    name,
    title,
    bytes: statSync(path).size,
    ratio: ['layerkit tar ls', 'bsdtar -tvf'],
    async cases() {
      await init();
      const figures = await indexFigures(path);
      console.log(`  index: ${figures.entries} entries, ${figures.usedBytes} bytes used (${((figures.usedBytes - figures.pathBytes) / figures.entries).toFixed(1)} B/entry + ${figures.pathBytes} path bytes), WASM memory ${figures.wasmBytes} bytes`);
      return tarListCases(path, figures.entries);
    },
  });
}
