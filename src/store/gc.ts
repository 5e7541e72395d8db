/**
 * Garbage collection: everything reachable from the names (and unnamed index entries) stays —
 * indexes, manifests, configs, layers; every other blob, ingest leftover and cache entry goes.
 *
 *   const { removed, freed } = await collectGarbage(store);
 */
import type { Digest } from '../digest/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifestOrIndex } from '../image/documents.ts';
import { isIndexType, isManifestType } from '../image/media-types.ts';
import type { Descriptor } from '../image/types.ts';
import type { BlobStore } from './types.ts';

type Collectable = BlobStore & { listRoots(): Promise<Descriptor[]>; clearIngest?(): Promise<number> };

export interface GcResult {
  removed: Digest[];
  freed: number;
  kept: number;
}

/** The set of blobs reachable from `roots`; a missing child is skipped (its parent stays). */
export async function reachable(store: BlobStore, roots: Descriptor[]): Promise<Set<Digest>> {
  const seen = new Set<Digest>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if (!(isIndexType(d.mediaType) || isManifestType(d.mediaType)) || !(await store.hasBlob(d.digest))) return;
    const doc = parseManifestOrIndex(await store.readBlob(d.digest, MAX_MANIFEST_BYTES), d.mediaType);
    if (doc.kind === 'index') for (const m of doc.index.manifests) await visit(m);
    else for (const child of [doc.manifest.config, ...doc.manifest.layers]) seen.add(child.digest);
  };
  for (const root of roots) await visit(root);
  return seen;
}

export async function collectGarbage(store: Collectable): Promise<GcResult> {
  await store.clearIngest?.();
  const keep = await reachable(store, await store.listRoots());
  const removed: Digest[] = [];
  let freed = 0;
  for (const digest of await store.listBlobs()) {
    if (keep.has(digest)) continue;
    freed += (await store.blobSize(digest)) ?? 0;
    await store.deleteBlob(digest);
    removed.push(digest);
  }
  return { removed, freed, kept: keep.size };
}
