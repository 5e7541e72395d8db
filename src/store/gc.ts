/**
 * Garbage collection: everything reachable from the names (and unnamed index entries) stays —
 * indexes, manifests, configs, layers; every other blob and ingest leftover goes, and so does
 * every cached LayerIndex whose diffID no stored image's config lists (the indexes `ls` and `cat`
 * of registry images left behind; they are rebuilt on the next look).
 *
 *   const { removed, freed } = await collectGarbage(store);
 */
import type { Digest } from '../digest/digest.ts';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseConfig, parseManifestOrIndex } from '../image/documents.ts';
import { isIndexType, isManifestType } from '../image/media-types.ts';
import type { Descriptor } from '../image/types.ts';
import type { BlobStore, CacheEntry } from './types.ts';

type Collectable = BlobStore & { listRoots(): Promise<Descriptor[]>; clearIngest?(): Promise<number> };

export interface GcResult {
  removed: Digest[];
  /** Bytes freed: blobs and cache entries. */
  freed: number;
  kept: number;
  /** Cache entries removed (their diffIDs are no stored image's). */
  removedCache: Omit<CacheEntry, 'size'>[];
}

/**
 * The set of blobs reachable from `roots`; a missing child is skipped (its parent stays). The
 * manifests' config digests are also added to `configs`.
 */
export async function reachable(store: BlobStore, roots: Descriptor[], configs = new Set<Digest>()): Promise<Set<Digest>> {
  const seen = new Set<Digest>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if (!(isIndexType(d.mediaType) || isManifestType(d.mediaType)) || !(await store.hasBlob(d.digest))) return;
    const doc = parseManifestOrIndex(await store.readBlob(d.digest, MAX_MANIFEST_BYTES), d.mediaType);
    if (doc.kind === 'index') for (const m of doc.index.manifests) await visit(m);
    else {
      configs.add(doc.manifest.config.digest);
      for (const child of [doc.manifest.config, ...doc.manifest.layers]) seen.add(child.digest);
    }
  };
  for (const root of roots) await visit(root);
  return seen;
}

export async function collectGarbage(store: Collectable): Promise<GcResult> {
  await store.clearIngest?.();
  const configs = new Set<Digest>();
  const keep = await reachable(store, await store.listRoots(), configs);
  const removed: Digest[] = [];
  let freed = 0;
  for (const digest of await store.listBlobs()) {
    if (keep.has(digest)) continue;
    freed += (await store.blobSize(digest)) ?? 0;
    await store.deleteBlob(digest);
    removed.push(digest);
  }
  const removedCache: GcResult['removedCache'] = [];
  if (store.listCache && store.deleteCache) {
    const diffIDs = await storedDiffIDs(store, configs);
    for (const { kind, diffID, size } of await store.listCache()) {
      if (diffIDs.has(diffID)) continue;
      await store.deleteCache(kind, diffID);
      freed += size;
      removedCache.push({ kind, diffID });
    }
  }
  return { removed, freed, kept: keep.size, removedCache };
}

/** The diffIDs the stored images' configs list; a config that is missing or unreadable lists none. */
async function storedDiffIDs(store: BlobStore, configs: Set<Digest>): Promise<Set<Digest>> {
  const out = new Set<Digest>();
  for (const digest of configs) {
    try {
      for (const diffID of parseConfig(await store.readBlob(digest, MAX_CONFIG_BYTES)).rootfs.diff_ids) out.add(diffID);
    } catch {
      // its layers' cached indexes go: a cache costs speed, never correctness
    }
  }
  return out;
}
