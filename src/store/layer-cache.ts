/**
 * LayerIndex by diffID, cached in the store: the first look at a layer indexes it in one pass
 * (blob digest and diffID verified on the way), every later look deserialises the index and
 * reads no layer byte. Keyed by diffID, so the same tar under gzip and zstd shares one entry.
 *
 *   const index = await cachedLayerIndex(store, layer); index.count
 */
import { LayerkitError } from '../errors.ts';
import type { Layer } from '../image/types.ts';
import { mismatch } from '../image/verify.ts';
import { indexLayer } from '../tar/index-layer.ts';
import { LayerIndex } from '../core/layer-index.ts';
import type { BlobStore } from './types.ts';

export const LAYER_INDEX_CACHE = 'layer-index';

export async function cachedLayerIndex(store: Pick<BlobStore, 'getCache' | 'putCache'>, layer: Layer): Promise<{ index: LayerIndex; cached: boolean }> {
  const bytes = await store.getCache?.(LAYER_INDEX_CACHE, layer.diffID);
  if (bytes) {
    try {
      return { index: LayerIndex.deserialize(bytes), cached: true };
    } catch {
      // a damaged cache entry is rebuilt below, never trusted
    }
  }
  const { index, diffID } = await indexLayer(await layer.compressed()).catch((e: unknown) => {
    throw e instanceof LayerkitError ? e : new LayerkitError('LAYER_CORRUPT', `layer ${layer.digest} could not be indexed: ${(e as Error)?.message ?? e}`, { cause: e });
  });
  if (diffID !== layer.diffID) {
    index.free();
    throw mismatch(`layer ${layer.digest} uncompressed (diffID)`, layer.diffID, diffID);
  }
  await store.putCache?.(LAYER_INDEX_CACHE, layer.diffID, index.serialize());
  return { index, cached: false };
}
