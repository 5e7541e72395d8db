/**
 * gzip both ways with the same result on every runtime. Compression is the platform's
 * CompressionStream. Decompression follows Go's compress/gzip (what containerd and Docker use):
 * members are decoded one after another and their output concatenated; any bytes after the last
 * member (NUL padding included), a truncated member, or a bad CRC or length are DECOMPRESS_CORRUPT.
 *
 * Runtimes disagree here (probed 2026-11: Deno and workerd refuse a second member; Node ignores
 * NUL padding and, within one chunk, whatever follows it; Bun follows Go), so an engine is used
 * only where a probe shows it follows these rules, whole and byte by byte: the native
 * DecompressionStream, else the host's gunzip (node:zlib with a check that zlib consumed every
 * byte), else pako (a port of zlib in JavaScript, several times slower).
 *
 *   const plain = await gunzipStream(file);    const gz = gzipStream(plain);
 */
import type { Inflate } from 'pako';
import { LayerkitError } from '../errors.ts';
import { host } from '../host.ts';
import { typedErrors } from './limits.ts';

const CORRUPT_HINT = 'the gzip data is truncated, damaged, or followed by bytes that are not gzip';

const corrupt = (why: string) => new LayerkitError('DECOMPRESS_CORRUPT', `gzip: ${why}`, { hint: CORRUPT_HINT });

/** gzip-compresses a stream with the platform's CompressionStream. */
export function gzipStream(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return source.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
}

/** A streaming gunzip over pako by the rules in the module header (members concatenated, nothing after the last). */
export function pakoGunzip(): TransformStream<Uint8Array, Uint8Array> {
  let inflate: Inflate | undefined;
  let avail = () => 0;
  let state: 'start' | 'member' | 'between' = 'start';
  let out: TransformStreamDefaultController<Uint8Array> | undefined;
  let Pako: typeof import('pako') | undefined;
  const begin = () => {
    inflate = new Pako!.Inflate({ windowBits: 15 + 16 });
    inflate.onStart = (strm) => void (avail = () => (strm as unknown as { avail_in: number }).avail_in);
    inflate.onData = (chunk) => out!.enqueue(chunk); // pako allocates a fresh output buffer after each call
    state = 'member';
  };
  return new TransformStream({
    // loaded on first use: only workerd gunzips with pako, and every CLI start would pay for it
    async start() {
      Pako = await import('pako');
    },
    transform(chunk, controller) {
      out = controller;
      let input = chunk;
      while (input.length > 0) {
        if (state === 'between' && input[0] !== 0x1f) throw corrupt('trailing data after the last member');
        if (state !== 'member') begin();
        inflate!.push(input, false);
        if (!inflate!.ended) return;
        if (inflate!.err !== 0) throw corrupt(inflate!.msg || `zlib status ${inflate!.err}`);
        // pako moves on to the next member by itself; it stops with input left only at a NUL byte.
        input = input.subarray(input.length - avail());
        state = 'between';
      }
    },
    flush(controller) {
      out = controller;
      if (state !== 'member') return;
      inflate!.push(new Uint8Array(0), true);
      if (inflate!.err !== 0) throw corrupt(`unexpected end of data (${inflate!.msg || inflate!.err})`);
    },
  });
}

async function gzipBytes(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

type Decoder = (source: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

const nativeDecoder: Decoder = (source) => source.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);

function hostDecoder(): Decoder | undefined {
  try {
    const h = host();
    return h.gunzip ? (source) => h.gunzip!(source) : undefined;
  } catch {
    return undefined; // no host configured: the portable engines only
  }
}

async function gunzipText(decoder: Decoder, whole: Uint8Array, split: boolean): Promise<string | Error> {
  try {
    const parts = split ? Array.from(whole, (b) => Uint8Array.of(b)) : [whole];
    const source = new ReadableStream<Uint8Array>({ start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); } });
    return new TextDecoder().decode(await new Response(decoder(source)).arrayBuffer());
  } catch (e) {
    return e as Error;
  }
}

/** Whether `decoder` decodes gzip by the rules above, whole and byte by byte. */
async function followsRules(decoder: Decoder): Promise<boolean> {
  const [a, b] = [await gzipBytes('probe'), await gzipBytes('-two')];
  const join = (...xs: Uint8Array[]) => new Uint8Array(xs.flatMap((x) => [...x]));
  const ascii = (s: string) => new TextEncoder().encode(s);
  const checks: [Uint8Array, string | null][] = [
    [join(a, b), 'probe-two'], [join(a, new Uint8Array(4)), null], [join(a, ascii('GARBAGE!!!')), null],
    [join(a, Uint8Array.of(0), ascii('GARBAGE!!!')), null], [a.subarray(0, a.length - 2), null],
  ];
  for (const split of [false, true]) {
    for (const [input, want] of checks) {
      const got = await gunzipText(decoder, input, split);
      if (want === null ? !(got instanceof Error) : got !== want) return false;
    }
  }
  return true;
}

export type GunzipEngine = 'native' | 'host' | 'pako';
let chosen: Promise<GunzipEngine> | undefined;

/**
 * The gunzip engine streams get here, probed once: the platform's DecompressionStream if it
 * follows the rules, else the runtime host's gunzip (node:zlib plus a trailing-data check) if
 * that does, else pako.
 */
export function gunzipEngine(): Promise<GunzipEngine> {
  return (chosen ??= (async () => {
    if (typeof DecompressionStream === 'function' && await followsRules(nativeDecoder)) return 'native';
    const viaHost = hostDecoder();
    if (viaHost && await followsRules(viaHost)) return 'host';
    return 'pako';
  })());
}

/** The gunzipped bytes of `source`, by the rules above on every runtime; errors are DECOMPRESS_CORRUPT. */
export async function gunzipStream(source: ReadableStream<Uint8Array>, engine?: GunzipEngine): Promise<ReadableStream<Uint8Array>> {
  const use = engine ?? (await gunzipEngine());
  const decoder: Decoder = use === 'native' ? nativeDecoder : use === 'host' ? hostDecoder() ?? pakoDecoder : pakoDecoder;
  return typedErrors(decoder(source), 'DECOMPRESS_CORRUPT', 'gzip', CORRUPT_HINT);
}

/**
 * pako inflates all it is given before returning, and gzip expands up to ~1032×: fed 16 KiB at a
 * time (each slice transformed only when the consumer has taken the last one's output), a gzip
 * bomb yields at most ~16 MiB at once instead of a gigabyte per 1 MiB chunk.
 */
const PAKO_SLICE = 16 << 10;
const slices = (size: number) => new TransformStream<Uint8Array, Uint8Array>({
  transform(chunk, controller) {
    for (let at = 0; at < chunk.length; at += size) controller.enqueue(chunk.subarray(at, at + size));
  },
});
const pakoDecoder: Decoder = (source) => source.pipeThrough(slices(PAKO_SLICE)).pipeThrough(pakoGunzip());
