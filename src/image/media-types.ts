/**
 * Media types of Docker schema 2 and the OCI image spec, and what each says about a blob.
 *
 *   layerCompression(MediaType.ociLayerZstd) === 'zstd'; isIndexType(MediaType.dockerList) === true
 */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociForeignLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociForeignLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociForeignLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type LayerCompression = 'gzip' | 'zstd' | 'none';

const LAYER_COMPRESSION: Record<string, LayerCompression> = {
  [MediaType.ociLayer]: 'none',
  [MediaType.ociLayerGzip]: 'gzip',
  [MediaType.ociLayerZstd]: 'zstd',
  [MediaType.ociForeignLayer]: 'none',
  [MediaType.ociForeignLayerGzip]: 'gzip',
  [MediaType.ociForeignLayerZstd]: 'zstd',
  [MediaType.dockerLayer]: 'none',
  [MediaType.dockerLayerGzip]: 'gzip',
  [MediaType.dockerLayerZstd]: 'zstd',
  [MediaType.dockerForeignLayer]: 'gzip',
};

/** The compression a layer media type announces, or undefined when it is not a known layer type. */
export const layerCompression = (mediaType: string): LayerCompression | undefined => LAYER_COMPRESSION[mediaType];

/** Foreign / non-distributable layers: readable when present, never pushed. */
export const isForeignLayer = (mediaType: string): boolean => mediaType.includes('nondistributable') || mediaType.includes('foreign');

export const isIndexType = (mediaType: string | undefined): boolean => mediaType === MediaType.ociIndex || mediaType === MediaType.dockerList;
export const isManifestType = (mediaType: string | undefined): boolean => mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
export const isSchema1Type = (mediaType: string | undefined): boolean => mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed;

/** The layer media type in the same family (docker or OCI) as `manifestType` for a compression. */
export function layerTypeFor(manifestType: string, compression: LayerCompression): string {
  const docker = manifestType === MediaType.dockerManifest;
  if (compression === 'gzip') return docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip;
  if (compression === 'zstd') return docker ? MediaType.dockerLayerZstd : MediaType.ociLayerZstd;
  return docker ? MediaType.dockerLayer : MediaType.ociLayer;
}
