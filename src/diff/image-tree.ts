/**
 * Images and layers as diff trees. Each layer is indexed once in WASM (entries + each file's
 * sha256, contents skipped); the merged tree applies the layers bottom-up with OCI whiteouts
 * (`.wh.NAME` hides NAME below, `.wh..wh..opq` hides a directory's lower children, entries of
 * the same layer are never hidden by its own whiteouts). Contents are fetched only when a layer
 * is written, by offset, one pass per layer.
 *
 *   const img = await readImageLayers(image);
 *   const tree = mergedTree(img.layers);          // the union, as `docker export` would show it
 *   await loadContents(img, entriesThatNeedBytes); // before layerTar()
 */
import { toHex } from '../digest/digest.ts';
import type { Image, Layer } from '../image/types.ts';
import { indexLayer } from '../tar/index-layer.ts';
import type { LayerIndex } from '../core/layer-index.ts';
import { buildTree, cleanPath, type DiffTree, type SourceEntry, type TreeEntry } from './tree.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './layer.ts';

/** One layer's own entries, as its tar lists them (whiteouts included, paths cleaned). */
export interface LayerEntries {
  layer?: Layer;
  /** Uncompressed tar size (dive's layer size is the sum of entry sizes: see efficiency.ts); unknown for a cached index. */
  tarSize?: number;
  entries: (SourceEntry & { dataOffset?: number; layerNumber: number })[];
}

const TYPES: Record<string, SourceEntry['type'] | undefined> = {
  file: 'file', contiguous: 'file', 'gnu-sparse': 'file', dir: 'dir', symlink: 'symlink', hardlink: 'hardlink', char: 'char', block: 'block', fifo: 'fifo',
};

/** The entries of an indexed layer (pax globals and unknown types left out). */
export function entriesOfIndex(index: LayerIndex, layerNumber: number): LayerEntries['entries'] {
  const out: LayerEntries['entries'] = [];
  for (let i = 0; i < index.count; i++) {
    const type = TYPES[index.type(i)];
    if (!type) continue;
    const path = cleanPath(index.path(i));
    if (path === '') continue;
    const digest = type === 'file' ? index.sha256(i) : undefined;
    const xattrs = index.xattrs(i);
    out.push({
      path, type, mode: index.mode(i) & 0o7777, uid: index.uid(i), gid: index.gid(i),
      size: type === 'file' ? index.size(i) : 0, mtimeSec: index.mtimeSec(i), mtimeNsec: index.mtimeNsec(i),
      ...(type === 'symlink' || type === 'hardlink' ? { linkname: type === 'hardlink' ? cleanPath(index.linkname(i)) : index.linkname(i) } : {}),
      ...(type === 'char' || type === 'block' ? { devmajor: index.devmajor(i), devminor: index.devminor(i) } : {}),
      ...(xattrs.size ? { xattrs: Object.fromEntries(xattrs) } : {}),
      ...(digest ? { sha256: toHex(digest) } : {}),
      ...(type === 'file' ? { dataOffset: index.dataOffset(i) } : {}),
      layerNumber,
    } as LayerEntries['entries'][number]);
  }
  return out;
}

/** Indexes one layer stream. */
export async function readLayerEntries(stream: ReadableStream<Uint8Array>, layerNumber: number, layer?: Layer): Promise<LayerEntries> {
  const { index, size } = await indexLayer(stream, { sha256Files: true });
  try {
    return { layer, tarSize: size, entries: entriesOfIndex(index, layerNumber) };
  } finally {
    index.free();
  }
}

/**
 * Every layer of an image, indexed: by reading it, or by `indexOf` (an index with file digests,
 * e.g. from the store's cache, handed in by the CLI).
 */
export async function readImageLayers(image: Image, indexOf?: (layer: Layer) => Promise<LayerIndex>): Promise<LayerEntries[]> {
  const out: LayerEntries[] = [];
  const layers = await image.layers();
  for (const [n, layer] of layers.entries()) {
    if (!indexOf) {
      out.push(await readLayerEntries(await layer.uncompressed(), n, layer));
      continue;
    }
    const index = await indexOf(layer);
    try {
      out.push({ layer, entries: entriesOfIndex(index, n) });
    } finally {
      index.free();
    }
  }
  return out;
}

const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/** A single layer's own tree (whiteout files stay as entries). */
export function layerTree(layer: LayerEntries): DiffTree {
  return buildTree(layer.entries);
}

/** The union of `layers`, bottom first, with OCI whiteout semantics. */
export function mergedTree(layers: readonly LayerEntries[]): DiffTree {
  const tree = new Map<string, TreeEntry>();
  const removeBelow = (path: string, keepSelf: boolean) => {
    if (!keepSelf) tree.delete(path);
    const prefix = path === '' ? '' : path + '/';
    for (const key of [...tree.keys()]) if (key.startsWith(prefix)) tree.delete(key);
  };
  for (const layer of layers) {
    for (const e of layer.entries) {
      const base = baseOf(e.path);
      if (base === OPAQUE_MARKER) removeBelow(parentOf(e.path), true);
      else if (base.startsWith(WHITEOUT_PREFIX)) {
        const dir = parentOf(e.path);
        removeBelow(dir ? `${dir}/${base.slice(WHITEOUT_PREFIX.length)}` : base.slice(WHITEOUT_PREFIX.length), false);
      }
    }
    for (const e of layer.entries) {
      if (baseOf(e.path).startsWith(WHITEOUT_PREFIX)) continue;
      const old = tree.get(e.path);
      if (old?.type === 'dir' && e.type !== 'dir') removeBelow(e.path, true);
      if (e.type === 'hardlink') {
        const target = tree.get(e.linkname);
        if (!target || target.type === 'dir') continue; // a dangling link has nothing to show
        target.linkGroup ??= `${e.layerNumber}:${e.linkname}`;
        tree.set(e.path, { ...target, path: e.path });
      } else tree.set(e.path, { ...(e as TreeEntry) });
    }
  }
  return buildTree(tree.values());
}

/**
 * Fills `content` for the given entries of an image tree by reading each layer that holds one
 * of them once, front to back, keeping only those files' bytes.
 */
export async function loadContents(layers: readonly LayerEntries[], entries: readonly TreeEntry[]): Promise<void> {
  const wanted = new Map<number, (TreeEntry & { dataOffset: number })[]>();
  for (const e of entries as (TreeEntry & { dataOffset?: number; layerNumber?: number })[]) {
    if (e.type !== 'file' || e.size === 0 || e.content || e.dataOffset === undefined || e.layerNumber === undefined) continue;
    wanted.set(e.layerNumber, [...(wanted.get(e.layerNumber) ?? []), e as TreeEntry & { dataOffset: number }]);
  }
  for (const [n, files] of wanted) {
    const layer = layers[n]?.layer;
    if (!layer) continue;
    files.sort((x, y) => x.dataOffset - y.dataOffset);
    const reader = (await layer.uncompressed()).getReader();
    let position = 0;
    let chunk: Uint8Array = new Uint8Array(0);
    let chunkStart = 0;
    const byOffset = new Map<number, Uint8Array>(); // hard-linked names share one body
    for (const file of files) {
      const seen = byOffset.get(file.dataOffset);
      if (seen) {
        file.content = async () => seen;
        continue;
      }
      const bytes = new Uint8Array(file.size);
      byOffset.set(file.dataOffset, bytes);
      let filled = 0;
      while (filled < file.size) {
        const from = file.dataOffset + filled;
        if (from < chunkStart + chunk.length && from >= chunkStart) {
          const take = chunk.subarray(from - chunkStart, Math.min(chunk.length, from - chunkStart + file.size - filled));
          bytes.set(take, filled);
          filled += take.length;
          continue;
        }
        const next = await reader.read();
        if (next.done) throw new Error(`layer ${n} ended before the content of ${file.path}`);
        chunkStart = position;
        chunk = next.value;
        position += chunk.length;
      }
      file.content = async () => bytes;
    }
    await reader.cancel().catch(() => {});
  }
}
