/**
 * LayerIndex by diffID, cached in the store: the first look at a layer indexes it in one pass
 * (blob digest and diffID verified on the way), every later look deserialises the index and
 * reads no layer byte. Keyed by diffID, so the same tar under gzip and zstd shares one entry.
 * Two kinds: `layer-index` (entries only) and `layer-index-sha256` (entries and every file's
 * sha256); an index without file digests never answers a request for them, while one with digests
 * answers either request.
 *
 *   const { index } = await cachedLayerIndex(store, layer, { sha256Files: true }); index.count
 */
import { LayerkitError } from '../errors.ts';
import type { Layer } from '../image/types.ts';
import { mismatch } from '../image/verify.ts';
import { indexLayer } from '../tar/index-layer.ts';
import { LayerIndex } from '../core/layer-index.ts';
import type { BlobStore } from './types.ts';

export const LAYER_INDEX_CACHE = 'layer-index';
export const LAYER_INDEX_SHA256_CACHE = 'layer-index-sha256';

export type IndexCache = Pick<BlobStore, 'getCache' | 'putCache'>;

export interface CachedIndexOptions {
  /** The index must carry every regular file's sha256 (default: off). */
  sha256Files?: boolean;
}

/** The kinds that can answer a request, best first (the smaller index when digests are not needed). */
const kindsFor = (sha256Files: boolean) => (sha256Files ? [LAYER_INDEX_SHA256_CACHE] : [LAYER_INDEX_CACHE, LAYER_INDEX_SHA256_CACHE]);

/** A cached index, or undefined when absent, unreadable or damaged (a cache costs speed, never correctness). */
async function fromCache(store: IndexCache, kind: string, layer: Layer): Promise<LayerIndex | undefined> {
  const bytes = await store.getCache?.(kind, layer.diffID).catch(() => undefined);
  if (!bytes) return undefined;
  try {
    const index = LayerIndex.deserialize(bytes);
    if (kind === LAYER_INDEX_SHA256_CACHE && index.layout().digests === 0) {
      index.free();
      return undefined;
    }
    return index;
  } catch {
    return undefined; // a damaged entry is rebuilt by the caller, never trusted
  }
}

export async function cachedLayerIndex(store: IndexCache, layer: Layer, options: CachedIndexOptions = {}): Promise<{ index: LayerIndex; cached: boolean }> {
  const sha256Files = options.sha256Files ?? false;
  for (const kind of kindsFor(sha256Files)) {
    const index = await fromCache(store, kind, layer);
    if (index) return { index, cached: true };
  }
  const { index, diffID } = await indexLayer(await layer.compressed(), { sha256Files }).catch((e: unknown) => {
    throw e instanceof LayerkitError ? e : new LayerkitError('LAYER_CORRUPT', `layer ${layer.digest} could not be indexed: ${(e as Error)?.message ?? e}`, { cause: e });
  });
  if (diffID !== layer.diffID) {
    index.free();
    throw mismatch(`layer ${layer.digest} uncompressed (diffID)`, layer.diffID, diffID);
  }
  // Only now, with blob digest and diffID both verified, may the index stand for the diffID.
  // A store that cannot be written (read-only, full) just stays cold.
  await store.putCache?.(sha256Files ? LAYER_INDEX_SHA256_CACHE : LAYER_INDEX_CACHE, layer.diffID, index.serialize()).catch(() => {});
  return { index, cached: false };
}
