/**
 * An `Image` over any place that can open blobs by digest (an OCI layout directory, a tar
 * archive, the store, memory). Every read is verified: documents against their digest and size
 * caps, layers against their digest as they stream and against the config's diffID when
 * decompressed.
 *
 *   const image = await resolveImage(source, { digest, size, mediaType }, { host: hostPlatform(…) });
 */
import { decompressedStream } from '../compress/detect.ts';
import type { Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import type { RandomAccessFile } from '../host.ts';
import { checkDescriptor, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseConfig, parseManifestOrIndex, tooLarge } from './documents.ts';
import { MediaType } from './media-types.ts';
import { pickPlatform } from './platform.ts';
import type { Descriptor, Image, ImageConfig, Layer, Manifest, Platform } from './types.ts';
import { readAllCapped, verified } from './verify.ts';
import { mapErrors } from '../streams.ts';

/** Opens a blob's raw (unverified) bytes; throws BLOB_UNKNOWN when absent. */
export interface BlobSource {
  open(digest: Digest, size?: number): Promise<ReadableStream<Uint8Array>>;
  /** The blob as a seekable file (unverified), where it is one on this host; else undefined. */
  openRandomAccess?(digest: Digest): Promise<RandomAccessFile | undefined>;
}

/** Reads a document blob whole: refused over `limit` before reading, verified after. */
export async function readDocument(source: BlobSource, descriptor: Descriptor, limit: number, what: string): Promise<Uint8Array> {
  if (descriptor.size > limit) throw tooLarge(what, descriptor.size, limit);
  // verified() stops at size + 1 bytes, so a descriptor that lies about the size costs nothing.
  return readAllCapped(verified(await source.open(descriptor.digest, descriptor.size), descriptor.digest, descriptor.size, what), limit, what);
}

export interface ResolveOptions {
  platform?: Platform;
  host?: Platform;
}

/** Follows `top` (a manifest, or an index to pick from by platform) to an Image. */
export async function resolveImage(source: BlobSource, top: Descriptor, options: ResolveOptions = {}): Promise<Image> {
  checkDescriptor(top, 'the image reference');
  const bytes = await readDocument(source, top, MAX_MANIFEST_BYTES, 'manifest');
  const doc = parseManifestOrIndex(bytes, top.mediaType);
  if (doc.kind === 'manifest') return imageFromManifest(source, bytes, { ...top, mediaType: doc.manifest.mediaType ?? top.mediaType });
  const chosen = pickPlatform(doc.index.manifests, options.platform, options.host);
  const inner = await readDocument(source, chosen, MAX_MANIFEST_BYTES, 'manifest');
  const innerDoc = parseManifestOrIndex(inner, chosen.mediaType);
  if (innerDoc.kind !== 'manifest') throw new LayerkitError('DOCUMENT_INVALID', 'an index inside an index is not supported here');
  return imageFromManifest(source, inner, { ...chosen, mediaType: innerDoc.manifest.mediaType ?? chosen.mediaType }, bytes);
}

/** An Image over `source` for verified manifest bytes. */
export function imageFromManifest(source: BlobSource, manifestBytes: Uint8Array, descriptor: Descriptor, indexBytes?: Uint8Array): Image {
  const doc = parseManifestOrIndex(manifestBytes, descriptor.mediaType);
  if (doc.kind !== 'manifest') throw new LayerkitError('DOCUMENT_INVALID', 'expected an image manifest, found an index');
  const manifest = doc.manifest;
  let configBytes: Promise<Uint8Array> | undefined;
  let layers: Promise<Layer[]> | undefined;
  const rawConfig = () => (configBytes ??= readDocument(source, manifest.config, MAX_CONFIG_BYTES, 'image config'));
  const config = async () => parseConfig(await rawConfig());
  return {
    manifest: async () => manifest,
    rawManifest: async () => manifestBytes,
    manifestDescriptor: async () => ({ mediaType: descriptor.mediaType ?? manifest.mediaType ?? MediaType.ociManifest, digest: descriptor.digest, size: manifestBytes.length }),
    config,
    rawConfig,
    rawIndex: async () => indexBytes,
    layers: () => (layers ??= config().then((c) => layersOf(source, manifest, c))),
  };
}

function layersOf(source: BlobSource, manifest: Manifest, config: ImageConfig): Layer[] {
  const diffIDs = config.rootfs.diff_ids;
  if (diffIDs.length !== manifest.layers.length) {
    throw new LayerkitError('DOCUMENT_INVALID', `the manifest lists ${manifest.layers.length} layers but the config has ${diffIDs.length} diff_ids`);
  }
  return manifest.layers.map((d, i) => blobLayer(source, d, diffIDs[i]!));
}

export function blobLayer(source: BlobSource, d: Descriptor, diffID: Digest): Layer {
  const compressed = async () => verified(await source.open(d.digest, d.size), d.digest, d.size, `layer ${d.digest}`);
  return {
    digest: d.digest,
    diffID,
    size: d.size,
    mediaType: d.mediaType,
    compressed,
    uncompressed: async () => {
      let blobError: unknown;
      const { compression, stream } = await decompressedStream(recordErrors(await compressed(), (e) => (blobError = e)));
      // an uncompressed blob whose digest is its diffID: checking the digest checked the diffID
      if (compression === 'none' && d.digest === diffID) return stream;
      return typedErrors(verified(stream, diffID, undefined, `layer ${d.digest} (diffID)`), d.digest, () => blobError);
    },
    // a blob whose digest is its diffID is the tar itself (verified readers confirm it)
    ...(source.openRandomAccess && d.digest === diffID ? { uncompressedFile: () => source.openRandomAccess!(d.digest) } : {}),
  };
}

/** Passes `source` through, telling `onError` what failed (the decompressor may hide it). */
function recordErrors(source: ReadableStream<Uint8Array>, onError: (e: unknown) => void): ReadableStream<Uint8Array> {
  return mapErrors(source, (e) => (onError(e), e));
}

/**
 * Errors out of a decompressor are untyped (and some runtimes flatten them to strings): report
 * the blob's own error when there was one, else LAYER_CORRUPT.
 */
function typedErrors(source: ReadableStream<Uint8Array>, digest: string, blobError: () => unknown): ReadableStream<Uint8Array> {
  return mapErrors(source, (e) => {
    if (e instanceof LayerkitError) return e;
    return (blobError() as Error | undefined) ?? new LayerkitError('LAYER_CORRUPT', `layer ${digest} does not decompress: ${(e as Error)?.message ?? e}`, {
      hint: 'the blob is damaged or its compression is not what its bytes start with', cause: e,
    });
  });
}
