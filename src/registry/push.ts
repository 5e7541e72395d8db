/**
 * `docker push`: layers N at a time (skipped when the registry has them, mounted from another
 * repository on the same registry when one is named, else uploaded), then the config, then the
 * manifest under the tag. An index is pushed as its images by digest, then the index.
 *
 *   const { digest, size } = await pushImage(client, parseDockerReference('127.0.0.1:5000/app:1'), image, { onProgress });
 */
import type { Digest } from '../digest/digest.ts';
import type { Descriptor, Image } from '../image/types.ts';
import type { RegistryClient } from './client.ts';
import { byteReporter, inParallel, type ProgressListener, shortId } from './progress.ts';
import { type DockerReference, manifestSelector } from './reference.ts';

export interface PushOptions {
  /** Layers uploaded at once (default 3). */
  concurrency?: number;
  onProgress?: ProgressListener;
  /** Repositories on the same registry that may hold the layers (cross-repository mount). */
  mountFrom?: string[];
  /** Upload in PATCHes of this many bytes (default: one streamed PATCH per blob). */
  chunkSize?: number;
}

export interface PushResult {
  digest: Digest;
  size: number;
  mediaType: string;
}

/** Pushes one image; the manifest goes under the reference's tag (or its digest). */
export async function pushImage(client: RegistryClient, reference: DockerReference, image: Image, options: PushOptions = {}): Promise<PushResult> {
  const repository = reference.repository;
  const emit = options.onProgress;
  const layers = await image.layers();
  const unique = layers.filter((layer, i) => layers.findIndex((l) => l.digest === layer.digest) === i);
  for (const layer of unique) emit?.({ id: shortId(layer.digest), status: 'Preparing' });
  await inParallel(unique, options.concurrency ?? 3, async (layer) => {
    const id = shortId(layer.digest);
    const outcome = await client.pushBlob(repository, layer, () => layer.compressed(), {
      mountFrom: options.mountFrom,
      chunkSize: options.chunkSize,
      onBytes: byteReporter(emit, id, 'Pushing', layer.size),
    });
    if (outcome.kind === 'exists') emit?.({ id, status: 'Layer already exists' });
    else if (outcome.kind === 'mounted') emit?.({ id, status: `Mounted from ${outcome.from}` });
    else emit?.({ id, status: 'Pushed' });
  });
  const manifest = await image.manifest();
  const config = await image.rawConfig();
  await client.pushBlob(repository, manifest.config, async () => new Blob([config as Uint8Array<ArrayBuffer>]).stream());
  const descriptor = await image.manifestDescriptor();
  const bytes = await image.rawManifest();
  const digest = await client.putManifest(repository, reference.digest ?? manifestSelector(reference), bytes, descriptor.mediaType);
  return { digest, size: bytes.length, mediaType: descriptor.mediaType };
}

/** Pushes every image of an index by digest, then the index under the reference's tag. */
export async function pushIndex(client: RegistryClient, reference: DockerReference, index: { bytes: Uint8Array; mediaType: string; manifests: Descriptor[] }, imageOf: (descriptor: Descriptor) => Promise<Image>, options: PushOptions = {}): Promise<PushResult> {
  for (const child of index.manifests) {
    const image = await imageOf(child);
    await pushImage(client, { ...reference, tag: undefined, digest: child.digest }, image, options);
  }
  const digest = await client.putManifest(reference.repository, reference.digest ?? manifestSelector(reference), index.bytes, index.mediaType);
  return { digest, size: index.bytes.length, mediaType: index.mediaType };
}
