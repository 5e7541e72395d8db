/**
 * An `Image` read straight from a registry, without storing it: documents fetched (capped and
 * verified) on first use and kept, layers streamed on demand and verified as they flow — the
 * blob against its digest, the tar against the config's diffID.
 *
 *   const image = await openRemoteImage(client, parseDockerReference('127.0.0.1:5000/app:1'), { platform });
 *   for (const layer of await image.layers()) console.log(layer.digest, layer.diffID);
 */
import { decompressedStream } from '../compress/detect.ts';
import { createHasher } from '../digest/backends.ts';
import { type Digest, formatDigest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import { pickPlatform } from '../image/platform.ts';
import type { Descriptor, Image, ImageConfig, Layer, Manifest, Platform } from '../image/types.ts';
import type { RegistryClient } from './client.ts';
import { MANIFEST_CAP } from './http.ts';
import { checkManifest } from './manifest.ts';
import { type DockerReference, manifestSelector } from './reference.ts';

export interface RemoteImageOptions {
  platform?: Platform;
  host?: Platform;
}

export async function openRemoteImage(client: RegistryClient, reference: DockerReference, options: RemoteImageOptions = {}): Promise<Image> {
  const where = `${reference.registry}/${reference.repository}`;
  const top = await client.getManifest(reference.repository, manifestSelector(reference));
  const doc = checkManifest(top.bytes, top.mediaType, where);
  if (doc.kind === 'manifest') return remoteImage(client, reference.repository, top.bytes, { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length });
  const chosen = pickPlatform(doc.index.manifests, options.platform, options.host);
  const inner = await client.getManifest(reference.repository, chosen.digest);
  return remoteImage(client, reference.repository, inner.bytes, { mediaType: inner.mediaType, digest: inner.digest, size: inner.bytes.length }, top.bytes);
}

/** An Image over verified manifest bytes from `repository`. */
export function remoteImage(client: RegistryClient, repository: string, manifestBytes: Uint8Array, descriptor: Descriptor, indexBytes?: Uint8Array): Image {
  const doc = checkManifest(manifestBytes, descriptor.mediaType, `${client.registry}/${repository}@${descriptor.digest}`);
  if (doc.kind !== 'manifest') throw new LayerkitError('MANIFEST_INVALID', 'expected an image manifest, found an index');
  const manifest: Manifest = doc.manifest;
  let rawConfig: Promise<Uint8Array> | undefined;
  const readConfig = () => (rawConfig ??= client.readBlob(repository, manifest.config, MANIFEST_CAP * 2));
  const config = async (): Promise<ImageConfig> => JSON.parse(new TextDecoder().decode(await readConfig()));
  return {
    manifest: async () => manifest,
    rawManifest: async () => manifestBytes,
    manifestDescriptor: async () => descriptor,
    config,
    rawConfig: readConfig,
    async layers() {
      const diffIDs = (await config()).rootfs?.diff_ids ?? [];
      if (diffIDs.length !== manifest.layers.length) {
        throw new LayerkitError('CONFIG_INVALID', `the config lists ${diffIDs.length} diff_ids for ${manifest.layers.length} layers`);
      }
      return manifest.layers.map((d, i) => remoteLayer(client, repository, d, diffIDs[i]!));
    },
    rawIndex: async () => indexBytes,
  };
}

function remoteLayer(client: RegistryClient, repository: string, descriptor: Descriptor, diffID: Digest): Layer {
  // Foreign layers' `urls` are never followed (hostile case 44): bytes come from the registry only.
  const compressed = async () => client.openBlob(repository, descriptor);
  return {
    digest: descriptor.digest, diffID, size: descriptor.size, mediaType: descriptor.mediaType,
    compressed,
    async uncompressed() {
      const { stream } = await decompressedStream(await compressed());
      return stream.pipeThrough(await diffIDCheck(diffID));
    },
  };
}

/** Passes the tar through, erroring at the end (DIFFID_MISMATCH) when its sha256 is not `diffID`. */
async function diffIDCheck(diffID: Digest): Promise<TransformStream<Uint8Array, Uint8Array>> {
  const hasher = await createHasher('sha256');
  return new TransformStream({
    transform(chunk, controller) {
      hasher.update(chunk);
      controller.enqueue(chunk);
    },
    flush(controller) {
      const actual = formatDigest('sha256', hasher.digest());
      if (actual !== diffID) controller.error(new LayerkitError('DIFFID_MISMATCH', `layer tar has digest ${actual}, the config says ${diffID}`, { hint: 'the image is inconsistent; nothing was stored' }));
    },
  });
}
