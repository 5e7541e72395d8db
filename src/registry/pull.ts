/**
 * `docker pull` into a BlobStore: the manifest (an index is narrowed to one platform, or kept
 * whole with `all`), the config, and the layers N at a time; layers the store has are skipped
 * ("Already exists"). The store verifies every blob before it becomes visible, and the name is
 * set last, so a failed pull leaves no name pointing at anything missing.
 *
 *   const result = await pullImage(client, parseDockerReference('127.0.0.1:5000/app:1'), store, { onProgress });
 *   result.digest // what docker prints after "Digest:"
 */
import type { Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import type { Descriptor, Manifest, Platform } from '../image/types.ts';
import { pickPlatform } from '../image/platform.ts';
import type { BlobStore } from '../store/types.ts';
import type { RegistryClient } from './client.ts';
import { MANIFEST_CAP } from './http.ts';
import { checkManifest } from './manifest.ts';
import { byteReporter, inParallel, type ProgressListener, shortId } from './progress.ts';
import { canonicalName, type DockerReference, manifestSelector } from './reference.ts';

export interface PullOptions {
  /** The platform to pick from an index (default: `host`'s, else the only one, else PLATFORM_AMBIGUOUS). */
  platform?: Platform;
  host?: Platform;
  /** Keep the whole index and pull every platform's image. */
  all?: boolean;
  /** Layers downloaded at once (default 3). */
  concurrency?: number;
  onProgress?: ProgressListener;
  /** Store names to point at the image (default: the reference's full docker name, when it has a tag). */
  names?: string[];
}

export interface PullResult {
  /** The digest of what the tag points to (index or manifest): docker's "Digest:". */
  digest: Digest;
  /** The descriptor the store names now point at. */
  descriptor: Descriptor;
  /** False when every blob was already in the store ("Image is up to date"). */
  downloaded: boolean;
}

export async function pullImage(client: RegistryClient, reference: DockerReference, store: BlobStore, options: PullOptions = {}): Promise<PullResult> {
  const repository = reference.repository;
  const top = await client.getManifest(repository, manifestSelector(reference));
  const where = `${reference.registry}/${repository}`;
  const doc = checkManifest(top.bytes, top.mediaType, where);
  const topDescriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
  let downloaded = false;
  let named: Descriptor;
  if (doc.kind === 'index' && options.all) {
    for (const child of doc.index.manifests) {
      if (!isImageManifest(child)) continue;
      downloaded = (await pullManifest(client, repository, child, store, options)) || downloaded;
    }
    downloaded = (await putIfAbsent(store, topDescriptor, top.bytes)) || downloaded;
    named = topDescriptor;
  } else if (doc.kind === 'index') {
    const chosen = pickPlatform(doc.index.manifests, options.platform, options.host);
    downloaded = await pullManifest(client, repository, chosen, store, options);
    named = { mediaType: chosen.mediaType, digest: chosen.digest, size: chosen.size, ...(chosen.platform && { platform: chosen.platform }) };
  } else {
    downloaded = await pullManifest(client, repository, topDescriptor, store, options, top.bytes);
    named = topDescriptor;
  }
  const names = options.names ?? (reference.tag !== undefined ? [canonicalName({ ...reference, digest: undefined })] : []);
  for (const name of names) await store.setName(name, named);
  return { digest: top.digest, descriptor: named, downloaded };
}

const isImageManifest = (d: Descriptor) => d.platform?.os !== 'unknown'; // attestations are "unknown/unknown"

/** Pulls one image manifest's blobs, then the manifest; true when anything was downloaded. */
async function pullManifest(client: RegistryClient, repository: string, descriptor: Descriptor, store: BlobStore, options: PullOptions, knownBytes?: Uint8Array): Promise<boolean> {
  const bytes = knownBytes ?? (await client.getManifest(repository, descriptor.digest)).bytes;
  const doc = checkManifest(bytes, descriptor.mediaType, `${client.registry}/${repository}@${descriptor.digest}`);
  if (doc.kind !== 'manifest') throw new LayerkitError('MANIFEST_INVALID', `${client.registry}/${repository}@${descriptor.digest}: an index inside an index is not supported`);
  const manifest: Manifest = doc.manifest;
  const emit = options.onProgress;
  const layers = uniqueByDigest(manifest.layers);
  for (const layer of layers) emit?.({ id: shortId(layer.digest), status: 'Waiting' });
  let downloaded = false;
  await inParallel(layers, options.concurrency ?? 3, async (layer) => {
    const id = shortId(layer.digest);
    if (layer.urls?.length && !(await store.hasBlob(layer.digest))) {
      throw new LayerkitError('FOREIGN_LAYER', `layer ${layer.digest} is non-distributable (served from ${layer.urls[0]})`, { hint: 'layerkit does not fetch foreign layers' });
    }
    if (await store.hasBlob(layer.digest)) {
      emit?.({ id, status: 'Already exists' });
      return;
    }
    emit?.({ id, status: 'Pulling fs layer' });
    const report = byteReporter(emit, id, 'Downloading', layer.size);
    // BlobStore.putBlob verifies size and digest before the blob becomes visible (its contract),
    // so the bytes are hashed once, there; the stream still stops at size+1.
    await store.putBlob(layer, async () => client.openBlob(repository, layer, {
      verifyDigest: false,
      onBytes: report,
      onResume: (offset) => emit?.({ id, status: 'Retrying', current: offset, total: layer.size }),
    }));
    downloaded = true;
    emit?.({ id, status: 'Verifying Checksum' });
    emit?.({ id, status: 'Download complete' });
    emit?.({ id, status: 'Pull complete' });
  });
  if (!(await store.hasBlob(manifest.config.digest))) {
    await store.putBytes(manifest.config, await client.readBlob(repository, manifest.config, MANIFEST_CAP * 2));
    downloaded = true;
  }
  return (await putIfAbsent(store, descriptor, bytes)) || downloaded;
}

async function putIfAbsent(store: BlobStore, descriptor: Descriptor, bytes: Uint8Array): Promise<boolean> {
  if (await store.hasBlob(descriptor.digest)) return false;
  await store.putBytes(descriptor, bytes);
  return true;
}

function uniqueByDigest(descriptors: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descriptors.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
}
