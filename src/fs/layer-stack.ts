/**
 * A chain of layers ready for the union: each layer indexed once (LayerIndex in WebAssembly
 * memory, optionally with content digests), and the merge of any prefix of the chain.
 *
 *   const stack = await indexStack(await image.layers(), { sha256: true });
 *   const union = mergeStack(stack);            // all layers
 *   const lower = mergeStack(stack, 0, 2);      // layers 0 and 1 only
 */
import { buildUnion, type UnionEntryType, type UnionIndex, type UnionInput, type UnionLayerInput } from '../core/union.ts';
import { core } from '../core/wasm.ts';
import type { LayerIndex } from '../core/layer-index.ts';
import type { TarEntryType } from '../core/tar-types.ts';
import type { Layer, Opener } from '../image/types.ts';
import { TarParser } from '../core/tar.ts';
import { borrowedChunks } from '../streams.ts';
import { cleanName, resolveInRoot, type RootProbe } from './resolve-in-root.ts';

/** One layer of the stack: its entries and a way to re-read its uncompressed bytes. */
export interface StackLayer {
  index: LayerIndex;
  uncompressed: Opener;
}

/**
 * Where a layer's index comes from instead of reading the layer here, e.g. a cache by diffID
 * (store/layer-cache.ts, handed in by the CLI so fs/ stays below store/). It must verify what it
 * reads and, with `sha256`, return an index that carries every file's digest.
 */
export type IndexSource = (layer: Layer, options: { sha256: boolean }) => Promise<LayerIndex>;

export interface IndexOptions {
  /** Compute each file's sha256 while indexing (default: off). */
  sha256?: boolean;
  /** Gets each layer's index (default: read the layer's uncompressed stream once). */
  indexOf?: IndexSource;
}

/**
 * Indexes every layer (bottom first), reading each uncompressed stream once, or asking
 * `options.indexOf`. The stream is not hashed again here: a Layer's `uncompressed()` already
 * verifies the diffID as it streams. Content is read later, from `uncompressed`, verified too.
 */
export async function indexStack(layers: Layer[], options: IndexOptions = {}): Promise<StackLayer[]> {
  const out: StackLayer[] = [];
  for (const layer of layers) out.push(await indexStackLayer(layer, options));
  return out;
}

/** One layer of a stack, indexed as indexStack does it. */
export async function indexStackLayer(layer: Layer, options: IndexOptions = {}): Promise<StackLayer> {
  const index = options.indexOf ? await options.indexOf(layer, { sha256: options.sha256 ?? false }) : await indexVerifiedStream(await layer.uncompressed(), options);
  return { index, uncompressed: layer.uncompressed };
}

/** The LayerIndex of an uncompressed tar stream whose digest its source verifies. */
async function indexVerifiedStream(stream: ReadableStream<Uint8Array>, options: IndexOptions): Promise<LayerIndex> {
  const parser = new TarParser(core(), { index: true, sha256Files: options.sha256 ?? false, hashStream: false });
  try {
    // borrowed chunks: a file is read into one reused buffer, each chunk parsed before the next
    for await (const chunk of borrowedChunks(stream)) parser.feed(chunk);
    parser.finish();
    return parser.index;
  } catch (error) {
    if (!stream.locked) await stream.cancel(error).catch(() => {});
    throw error;
  } finally {
    parser.dispose();
  }
}

const UNION_TYPES: Partial<Record<TarEntryType, UnionEntryType>> = {
  file: 'file', contiguous: 'file', 'gnu-sparse': 'file', hardlink: 'hardlink', symlink: 'symlink',
  char: 'char', block: 'block', dir: 'dir', fifo: 'fifo', 'pax-global': 'skip',
};

/**
 * The entries of a layer as the merge should see them. A name that goes through a symlink made
 * earlier in the same layer is rewritten to where an extractor would put it (resolved inside the
 * root, see resolveInRoot); layers without such names are read by the kernel in place.
 */
function layerInput(index: LayerIndex): UnionLayerInput {
  const symlinks = new Map<string, string>();
  const kinds = new Map<string, 'dir' | 'symlink' | 'other'>();
  let rewritten: UnionInput[] | undefined;
  const probe: RootProbe = { kind: (p) => kinds.get(p), readlink: (p) => symlinks.get(p) ?? '' };
  const throughSymlink = (parts: string[]) => {
    for (let k = 1; k < parts.length; k++) if (symlinks.has(parts.slice(0, k).join('/'))) return true;
    return false;
  };
  // a hardlink target that climbs out is left for the kernel to refuse (HARDLINK_INVALID / PATH_ESCAPE)
  const linkThroughSymlink = (target: string) => {
    try { return throughSymlink(cleanName(target)); } catch { return false; }
  };
  // Nothing is rewritten before the first symlink or pax global header, so the walk starts there:
  // a small loop over type bytes, where the whole walk would be compiled (and in Deno, slow).
  for (let i = index.firstWithTypeflag([SYMLINK, PAX_GLOBAL]); i < index.count; i++) {
    const type: UnionEntryType = UNION_TYPES[index.type(i)] ?? 'other';
    if (type !== 'skip' && symlinks.size === 0 && type !== 'symlink' && rewritten === undefined) {
      continue; // nothing to rewrite so far (no view of the name made)
    }
    let name: Uint8Array | string = index.pathBytes(i);
    let link: Uint8Array | string | undefined = type === 'hardlink' ? index.linknameBytes(i) : undefined;
    if (type !== 'skip' && (symlinks.size > 0 || type === 'symlink')) {
      const path = index.path(i);
      const parts = cleanName(path);
      // whiteouts and opaque markers are markers whatever their type: never links, never followed
      const marker = (parts[parts.length - 1] ?? '').startsWith('.wh.');
      if (symlinks.size > 0 && throughSymlink(parts)) name = resolveInRoot(probe, path).join('/');
      if (link !== undefined && !marker && symlinks.size > 0 && linkThroughSymlink(index.linkname(i))) link = resolveInRoot(probe, index.linkname(i)).join('/');
      const key = typeof name === 'string' ? name : parts.join('/');
      if (type === 'symlink' && !marker) { symlinks.set(key, index.linkname(i)); kinds.set(key, 'symlink'); }
      else { symlinks.delete(key); kinds.set(key, type === 'dir' ? 'dir' : 'other'); }
      if (typeof name === 'string' || typeof link === 'string') rewritten ??= [];
    }
    if (rewritten) {
      // fill in the entries before the first rewrite, once
      while (rewritten.length < i) {
        const k = rewritten.length;
        const t: UnionEntryType = UNION_TYPES[index.type(k)] ?? 'other';
        rewritten.push({ type: t, name: index.pathBytes(k), ...(t === 'hardlink' ? { link: index.linknameBytes(k) } : {}) });
      }
      rewritten.push({ type, name, ...(link !== undefined ? { link } : {}) });
    }
  }
  return rewritten ?? { table: index.table };
}

const SYMLINK = 0x32;
const PAX_GLOBAL = 0x67;

/** Merges layers [from, to) of the stack (all by default); entry numbers stay the layers' own. */
export function mergeStack(stack: StackLayer[], from = 0, to = stack.length): UnionIndex {
  const layers = stack.slice(from, to);
  const hint = layers.reduce((n, l) => n + l.index.count, 0);
  return buildUnion(core(), layers.map((l) => layerInput(l.index)), hint);
}
