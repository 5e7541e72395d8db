/**
 * Tar fuzzing for tests: deterministic mutants of seed archives (bit flips, interesting bytes,
 * numeric fields set to huge or negative base-256 or garbage, truncations, splices, duplicated or
 * dropped blocks; checksums re-fixed so mutants get past the first check), each run through the
 * kernel in index mode and through the TypeScript reference reader, which must agree.
 *
 *   const stats = fuzzTar(core(), seeds, { count: 10_000, seed: 1 }); // throws on a disagreement
 */
import { TarParser } from '../src/core/tar.ts';
import { TarError } from '../src/core/tar-errors.ts';
import type { Core } from '../src/core/wasm.ts';
import { randomInts } from './_setup.ts';
import { referenceRead, type RefResult } from './_tar-reference.ts';

export interface FuzzStats {
  inputs: number;
  errors: number;
  entries: number;
  slowestMs: number;
  byCode: Record<string, number>;
}

const NUMERIC_FIELDS: [offset: number, length: number][] = [[100, 8], [108, 8], [116, 8], [124, 12], [136, 12], [329, 8], [337, 8], [483, 12], [386, 12], [398, 12]];

/** Recomputes a header block's checksum so the mutant passes the first check. */
function fixChecksum(data: Uint8Array, block: number): void {
  const b = data.subarray(block, block + 512);
  if (b.length < 512) return;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  const text = sum.toString(8).padStart(6, '0');
  for (let i = 0; i < 6; i++) b[148 + i] = text.charCodeAt(i);
  b[154] = 0;
  b[155] = 0x20;
}

/** Blocks that look like headers (ustar magic or a valid-looking checksum field). */
function headerBlocks(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 512 <= data.length; at += 512) {
    const magic = data[at + 257] === 0x75 && data[at + 258] === 0x73;
    if (magic || (data[at + 148]! >= 0x30 && data[at + 148]! <= 0x37)) out.push(at);
  }
  return out;
}

const INTERESTING = [0, 0xff, 0x80, 0x7f, 0x20, 0x30, 0x37, 0x38, 0x0a, 0x3d, 0x2c, 0x2d, 0x2b, 0x2e, 0x2f];

export function mutate(seed: Uint8Array, other: Uint8Array, next: (n: number) => number): Uint8Array {
  let data = seed.slice();
  const headers = headerBlocks(data);
  const pickHeader = () => (headers.length ? headers[next(headers.length)]! : 0);
  const rounds = 1 + next(3);
  for (let r = 0; r < rounds; r++) {
    const kind = next(10);
    if (kind <= 1 && data.length > 0) {
      // Bit flip, in a header most of the time.
      const at = next(3) ? pickHeader() + next(512) : next(data.length);
      if (at < data.length) data[at]! ^= 1 << next(8);
      if (next(2)) fixChecksum(data, at - (at % 512));
    } else if (kind === 2 && data.length > 0) {
      const at = next(3) ? pickHeader() + next(512) : next(data.length);
      if (at < data.length) data[at] = INTERESTING[next(INTERESTING.length)]!;
      fixChecksum(data, at - (at % 512));
    } else if (kind === 3) {
      // A numeric field: huge or negative base-256, big octal, or garbage.
      const block = pickHeader();
      const [offset, length] = NUMERIC_FIELDS[next(NUMERIC_FIELDS.length)]!;
      const field = data.subarray(block + offset, block + offset + length);
      const style = next(4);
      if (field.length < length) continue;
      if (style === 0) field.fill(0xff); // -1 in base-256
      else if (style === 1) { field.fill(0); field[0] = 0x80; field[length - 1] = next(256); field[length - 2] = next(256); }
      else if (style === 2) { field.fill(0x37); field[length - 1] = 0; }
      else field[next(length)] = INTERESTING[next(INTERESTING.length)]!;
      fixChecksum(data, block);
    } else if (kind === 4) {
      data = data.subarray(0, next(2) ? next(data.length + 1) : 512 * next(Math.ceil(data.length / 512) + 1));
    } else if (kind === 5) {
      const cutA = Math.min(data.length, 512 * next(Math.ceil(data.length / 512) + 1));
      const cutB = Math.min(other.length, 512 * next(Math.ceil(other.length / 512) + 1));
      const out = new Uint8Array(cutA + other.length - cutB);
      out.set(data.subarray(0, cutA));
      out.set(other.subarray(cutB), cutA);
      data = out;
    } else if (kind === 6 && data.length >= 1024) {
      // Duplicate or drop one block.
      const at = 512 * next(Math.floor(data.length / 512));
      const block = data.slice(at, at + 512);
      const drop = next(2) === 0;
      const out = new Uint8Array(data.length + (drop ? -512 : 512));
      out.set(data.subarray(0, at));
      if (drop) out.set(data.subarray(at + 512), at);
      else { out.set(block, at); out.set(data.subarray(at), at + 512); }
      data = out;
    } else if (kind === 7) {
      // Digits inside pax-like content: make lengths and values wrong but plausible.
      for (let k = 0; k < 4; k++) {
        const at = next(data.length || 1);
        if (data[at]! >= 0x30 && data[at]! <= 0x39) data[at] = 0x30 + next(10);
      }
    } else if (kind === 8) {
      const block = pickHeader();
      data[block + 156] = [0x30, 0x35, 0x78, 0x67, 0x4c, 0x4b, 0x53, 0x00, 0x31, 0x32, 0x37, 0x44][next(12)]!;
      fixChecksum(data, block);
    } else {
      // The ustar/GNU magic swapped, changing which fields are read.
      const block = pickHeader();
      const magic = ['ustar\u000000', 'ustar  \u0000', 'xxxxxxxx'][next(3)]!;
      for (let i = 0; i < 8 && block + 257 + i < data.length; i++) data[block + 257 + i] = magic.charCodeAt(i);
      fixChecksum(data, block);
    }
  }
  return data;
}

const HEX = Array.from({ length: 256 }, (_, c) => c.toString(16).padStart(2, '0'));
const hex = (b: Uint8Array) => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
};

/** Compares the kernel's view with the reference's; returns a description of the first difference. */
export function compareWithReference(parser: TarParser, error: TarError | undefined, ref: RefResult): string | undefined {
  const ours = error ? { index: error.entryIndex, phase: error.phase } : null;
  if (JSON.stringify(ours) !== JSON.stringify(ref.error)) return `error: kernel ${JSON.stringify(ours)} (${error?.code}) reference ${JSON.stringify(ref.error)}`;
  const index = parser.index;
  if (index.count !== ref.entries.length) return `entries: kernel ${index.count} reference ${ref.entries.length}`;
  for (let i = 0; i < index.count; i++) {
    const r = ref.entries[i]!;
    // Keys compared as raw bytes (latin1), as Go's map holds them.
    const pax = new Map(index.paxRecords(i).map(([k, v]) => [String.fromCharCode(...k), v]));
    const samePax = pax.size === r.pax.size && [...pax].every(([k, v]) => r.pax.has(k) && hex(r.pax.get(k)!) === hex(v));
    const pairs: [string, unknown, unknown][] = [
      ['name', hex(index.pathBytes(i)), hex(r.name)], ['linkname', hex(index.linknameBytes(i)), hex(r.linkname)], ['typeflag', index.typeflag(i), r.typeflag],
      ['size', index.size(i), r.size], ['mode', index.mode(i), r.mode], ['uid', index.uid(i), r.uid], ['gid', index.gid(i), r.gid],
      ['uname', hex(index.unameBytes(i)), hex(r.uname)], ['gname', hex(index.gnameBytes(i)), hex(r.gname)],
      ['mtime sec', index.mtimeSec(i), r.mtime.sec], ['mtime nsec', index.mtimeNsec(i), r.mtime.nsec],
      ['devmajor', index.devmajor(i), r.devmajor], ['devminor', index.devminor(i), r.devminor],
      ['pax', samePax, true],
    ];
    for (const [field, a, b] of pairs) if (a !== b) return `entry ${i} ${field}: kernel ${String(a).slice(0, 120)} reference ${String(b).slice(0, 120)}`;
  }
  return undefined;
}

/** Runs `count` mutants through kernel and reference; throws with a reproducible description on a disagreement. */
export function fuzzTar(core: Core, seeds: Uint8Array[], options: { count: number; seed: number }): FuzzStats {
  const next = randomInts(options.seed);
  const parser = new TarParser(core, { index: true, hashStream: false });
  const stats: FuzzStats = { inputs: 0, errors: 0, entries: 0, slowestMs: 0, byCode: {} };
  try {
    for (let n = 0; n < options.count; n++) {
      const a = next(seeds.length), b = next(seeds.length);
      const input = mutate(seeds[a]!, seeds[b]!, next);
      parser.reset();
      const started = performance.now();
      let error: TarError | undefined;
      try {
        parser.feed(input);
        parser.finish();
      } catch (e) {
        if (!(e instanceof TarError)) throw new Error(`mutant ${n} (seeds ${a}, ${b}): untyped failure ${String(e)}`, { cause: e });
        error = e;
      }
      stats.slowestMs = Math.max(stats.slowestMs, performance.now() - started);
      const difference = compareWithReference(parser, error, referenceRead(input));
      if (difference) throw new Error(`mutant ${n} (seed ${options.seed}, seeds ${a}, ${b}, ${input.length} bytes): ${difference}`);
      stats.inputs++;
      stats.entries += parser.index.count;
      if (error) {
        stats.errors++;
        stats.byCode[error.code] = (stats.byCode[error.code] ?? 0) + 1;
      }
    }
  } finally {
    parser.index.free();
    parser.dispose();
  }
  return stats;
}
