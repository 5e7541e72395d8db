/**
 * Images into and out of a BlobStore. Writing puts every layer (checked against digest *and*
 * diffID in one pass), then the config, then the manifest, and names it last — so a name never
 * points at anything missing, whenever the process dies.
 *
 *   await copyImageToStore(image, store, ['docker.io/library/sample:latest']);
 *   const image = await storeImage(store, 'docker.io/library/sample:latest');
 */
import type { Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import { resolveImage, type BlobSource, type ResolveOptions } from '../image/blob-image.ts';
import { checkedLayerStream } from '../image/layer-check.ts';
import type { Descriptor, Image } from '../image/types.ts';
import type { BlobStore, StoreEntry } from './types.ts';

/** A store that can also hand out unverified bytes (the Image verifies them itself). */
type RawStore = BlobStore & Pick<BlobSource, 'openRandomAccess'> & { openRaw?(digest: Digest): Promise<ReadableStream<Uint8Array>> };

export function storeSource(store: RawStore): BlobSource {
  return {
    open: (digest) => (store.openRaw ? store.openRaw(digest) : store.openBlob(digest)),
    ...(store.openRandomAccess ? { openRandomAccess: (digest: Digest) => store.openRandomAccess!(digest) } : {}),
  };
}

/** Writes `image`'s blobs into `store` (skipping present ones) and points each name at it. */
export async function copyImageToStore(image: Image, store: BlobStore, names: string[], onLayer?: (digest: Digest, status: 'exists' | 'copied') => void): Promise<Descriptor> {
  const layers = await image.layers();
  for (const layer of layers) {
    if ((await store.blobSize(layer.digest)) === layer.size) {
      onLayer?.(layer.digest, 'exists');
      continue;
    }
    await store.putBlob({ digest: layer.digest, size: layer.size }, () => checkedLayerStream(layer));
    onLayer?.(layer.digest, 'copied');
  }
  const manifest = await image.manifest();
  await store.putBytes(manifest.config, await image.rawConfig());
  const descriptor = await image.manifestDescriptor();
  await store.putBytes(descriptor, await image.rawManifest());
  const config = await image.config();
  const entry: Descriptor = {
    mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
    platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
  };
  for (const name of names) await store.setName(name, entry);
  return entry;
}

/** The store entry for `name`; IMAGE_NOT_FOUND (listing what exists) when absent. */
export async function findEntry(store: BlobStore, name: string, shown = name): Promise<StoreEntry> {
  const entries = await store.listNames();
  const found = entries.find((e) => e.name === name);
  if (found) return found;
  const digestMatch = name.includes('@') ? entries.find((e) => name.endsWith(`@${e.descriptor.digest}`)) : undefined;
  if (digestMatch) return digestMatch;
  throw new LayerkitError('IMAGE_NOT_FOUND', `no image named ${shown} in the local store`, {
    hint: entries.length ? 'see `layerkit images`' : 'the store is empty; `layerkit copy SRC NAME` puts an image there',
  });
}

export async function storeImage(store: RawStore, name: string, options: ResolveOptions = {}, shown = name): Promise<Image> {
  const entry = await findEntry(store, name, shown);
  return resolveImage(storeSource(store), entry.descriptor, options);
}
