/**
 * Docker schema 2 → OCI, by wrapping: the same blobs under OCI media types, a new manifest (so a
 * new manifest digest; config and layer digests are kept). Needed because OCI layout readers
 * (skopeo, umoci) only see OCI-typed manifests. Layer types follow the bytes' magic, not the old
 * label: legacy archives label plain tars as gzip.
 *
 *   const oci = await asOciImage(dockerImage); (await oci.manifest()).mediaType // OCI
 */
import { detectCompression } from '../compress/detect.ts';
import { digestBytes } from '../digest/stream.ts';
import { MediaType, isForeignLayer, layerTypeFor } from './media-types.ts';
import type { Image, Layer } from './types.ts';

async function magic(layer: Layer): Promise<Uint8Array> {
  const reader = (await layer.compressed()).getReader();
  const { value } = await reader.read();
  await reader.cancel().catch(() => {});
  return value ?? new Uint8Array();
}

function ociLayerType(layer: Layer, head: Uint8Array): string {
  const type = layerTypeFor(MediaType.ociManifest, detectCompression(head));
  return isForeignLayer(layer.mediaType) ? type.replace('layer.v1', 'layer.nondistributable.v1') : type;
}

/** `image` itself when its manifest is OCI already; otherwise an OCI-typed view of the same blobs. */
export async function asOciImage(image: Image): Promise<Image> {
  const manifest = await image.manifest();
  if ((manifest.mediaType ?? (await image.manifestDescriptor()).mediaType) === MediaType.ociManifest) return image;
  const layers = await image.layers();
  const converted = {
    schemaVersion: 2 as const,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: manifest.config.digest, size: manifest.config.size },
    layers: await Promise.all(layers.map(async (l) => ({
      mediaType: ociLayerType(l, await magic(l)), digest: l.digest, size: l.size, ...(manifest.layers.find((d) => d.digest === l.digest)?.urls ? { urls: manifest.layers.find((d) => d.digest === l.digest)!.urls } : {}),
    }))),
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(converted));
  const digest = await digestBytes(bytes);
  const ociLayers = layers.map((l, i) => ({ ...l, mediaType: converted.layers[i]!.mediaType, compressed: l.compressed, uncompressed: l.uncompressed }));
  return {
    ...image,
    manifest: async () => converted,
    rawManifest: async () => bytes,
    manifestDescriptor: async () => ({ mediaType: MediaType.ociManifest, digest, size: bytes.length }),
    layers: async () => ociLayers,
    rawIndex: async () => undefined,
  };
}
