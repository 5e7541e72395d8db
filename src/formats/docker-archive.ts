/**
 * `docker save` archives, both shapes: legacy (manifest.json, `<id>/layer.tar`, repositories) and
 * Docker 25+ (an OCI layout inside, manifest.json beside it). Several images and tags per
 * archive, read and written. Legacy archives carry no manifest, so one is made the way skopeo
 * makes it (Docker schema 2, uncompressed layers whose digest is the diffID), which gives the
 * same manifest digest `skopeo inspect` reports.
 *
 *   const images = await listDockerArchive(await archiveFiles('saved.tar'));
 *   writeDockerArchive([{ image, tags: ['docker.io/library/x:1'] }]).pipeTo(sink);
 */
import { detectCompression, decompressedStream } from '../compress/detect.ts';
import { parseDigest, type Digest } from '../digest/digest.ts';
import { digestBytes, digestStream } from '../digest/stream.ts';
import { LayerkitError } from '../errors.ts';
import { imageFromManifest, resolveImage, type BlobSource, type ResolveOptions } from '../image/blob-image.ts';
import { MAX_CONFIG_BYTES, parseConfig } from '../image/documents.ts';
import { MediaType } from '../image/media-types.ts';
import type { Descriptor, Image, Layer } from '../image/types.ts';
import { writeArchive, type WriteMember } from './archive-tar.ts';
import { checkMemberName, layoutBlobs, readSmall, type LayoutFiles } from './layout-files.ts';
import { readLayoutIndex } from './oci-layout.ts';
import { familiarName, formatDockerName, parseDockerName, type DockerName } from './transports.ts';

interface ManifestJsonEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export interface ArchiveImage {
  /** Docker-normalised names from RepoTags (empty for an untagged image). */
  names: DockerName[];
  open(options?: ResolveOptions): Promise<Image>;
}

const MAX_MANIFEST_JSON = 16 << 20;
const CONTAINERD_NAME = 'io.containerd.image.name';

async function readManifestJson(files: LayoutFiles): Promise<ManifestJsonEntry[]> {
  let entries: unknown;
  try {
    entries = JSON.parse(new TextDecoder().decode(await readSmall(files, 'manifest.json', MAX_MANIFEST_JSON)));
  } catch (cause) {
    if (cause instanceof LayerkitError) throw cause;
    throw new LayerkitError('ARCHIVE_INVALID', `${files.where}: manifest.json is not valid JSON`, { cause });
  }
  if (!Array.isArray(entries) || !entries.every((e) => typeof e?.Config === 'string' && Array.isArray(e?.Layers) && e.Layers.every((l: unknown) => typeof l === 'string'))) {
    throw new LayerkitError('ARCHIVE_INVALID', `${files.where}: manifest.json is not a list of {Config, RepoTags, Layers}`);
  }
  for (const e of entries as ManifestJsonEntry[]) {
    checkMemberName(e.Config, `${files.where}: manifest.json Config`);
    e.Layers.forEach((l) => checkMemberName(l, `${files.where}: manifest.json Layers`));
  }
  return entries as ManifestJsonEntry[];
}

/** Every image in a docker archive, with its names. */
export async function listDockerArchive(files: LayoutFiles): Promise<ArchiveImage[]> {
  const hasManifestJson = await files.exists('manifest.json');
  const entries = hasManifestJson ? await readManifestJson(files) : [];
  if (await files.exists('oci-layout')) return ociInside(files, entries);
  if (!hasManifestJson) {
    throw new LayerkitError('ARCHIVE_INVALID', `${files.where} has no manifest.json`, { hint: 'is it a `docker save` archive? very old archives (repositories only) are not supported' });
  }
  return entries.map((entry) => ({
    names: (entry.RepoTags ?? []).map(parseDockerName),
    open: () => legacyImage(files, entry),
  }));
}

/** Docker 25+: images come from the OCI index; names from its annotations, else manifest.json. */
async function ociInside(files: LayoutFiles, entries: ManifestJsonEntry[]): Promise<ArchiveImage[]> {
  const index = await readLayoutIndex(files);
  return index.manifests.map((descriptor) => {
    const annotated = descriptor.annotations?.[CONTAINERD_NAME];
    const names = annotated ? [parseDockerName(annotated)] : [];
    if (!annotated) {
      const hex = parseDigest(descriptor.digest).hex;
      const byManifest = entries.find((e) => e.Config.endsWith(hex));
      for (const tag of byManifest?.RepoTags ?? []) names.push(parseDockerName(tag));
    }
    return { names, open: (options?: ResolveOptions) => resolveImage(layoutBlobs(files), descriptor, options) };
  });
}

/** A Go-json-ordered Docker schema 2 manifest, as skopeo synthesises it for a legacy archive. */
function schema2Manifest(config: Descriptor, layers: Descriptor[]): Uint8Array {
  const d = (x: Descriptor) => ({ mediaType: x.mediaType, size: x.size, digest: x.digest });
  return new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: d(config), layers: layers.map(d) }));
}

async function legacyImage(files: LayoutFiles, entry: ManifestJsonEntry): Promise<Image> {
  const configBytes = await readSmall(files, entry.Config, MAX_CONFIG_BYTES);
  const config = parseConfig(configBytes);
  if (config.rootfs.diff_ids.length !== entry.Layers.length) {
    throw new LayerkitError('ARCHIVE_INVALID', `${files.where}: manifest.json lists ${entry.Layers.length} layers, the config ${config.rootfs.diff_ids.length}`);
  }
  const configDescriptor: Descriptor = { mediaType: MediaType.dockerConfig, size: configBytes.length, digest: await digestBytes(configBytes) };
  const byDigest = new Map<string, string>([[configDescriptor.digest, entry.Config]]);
  const layers: Descriptor[] = [];
  for (const [i, member] of entry.Layers.entries()) {
    const size = (await files.size(member)) ?? missing(files, member);
    const reader = (await files.open(member)).getReader();
    const head = (await reader.read()).value ?? new Uint8Array();
    await reader.cancel().catch(() => {});
    const compression = detectCompression(head);
    let digest: Digest = config.rootfs.diff_ids[i]!;
    // skopeo labels every legacy layer tar.gzip whatever its bytes (readers detect by magic), and
    // that label is part of the manifest digest it reports, so we write the same.
    let mediaType: string = MediaType.dockerLayerGzip;
    if (compression !== 'none') {
      digest = (await digestStream(await files.open(member))).digest;
      mediaType = compression === 'gzip' ? MediaType.dockerLayerGzip : MediaType.dockerLayerZstd;
    }
    byDigest.set(digest, member);
    layers.push({ mediaType, size, digest });
  }
  const manifest = schema2Manifest(configDescriptor, layers);
  const source: BlobSource = {
    async open(digest) {
      const member = byDigest.get(digest);
      if (!member) throw new LayerkitError('BLOB_UNKNOWN', `${files.where} has no blob ${digest}`);
      return files.open(member);
    },
    async openRandomAccess(digest) {
      const member = byDigest.get(digest);
      return member === undefined ? undefined : files.openRandomAccess?.(member);
    },
  };
  return imageFromManifest(source, manifest, { mediaType: MediaType.dockerManifest, digest: await digestBytes(manifest), size: manifest.length });
}

function missing(files: LayoutFiles, member: string): never {
  throw new LayerkitError('ARCHIVE_INVALID', `${files.where}: manifest.json names ${member}, which the archive does not hold`);
}

/** Picks one image: by name, by `@N` index, or the only one; otherwise lists the choices. */
export async function openDockerArchive(files: LayoutFiles, want: { name?: DockerName; index?: number }, options: ResolveOptions = {}): Promise<Image> {
  const images = await listDockerArchive(files);
  const listing = () => images.map((im, i) => im.names.map(familiarName).join(', ') || `@${i} (untagged)`).join('; ');
  if (want.index !== undefined) {
    const found = images[want.index];
    if (!found) throw new LayerkitError('IMAGE_NOT_FOUND', `${files.where} has no image @${want.index}`, { hint: `it holds ${images.length}` });
    return found.open(options);
  }
  if (want.name) {
    const full = formatDockerName(want.name);
    const found = images.find((im) => im.names.some((n) => formatDockerName(n) === full));
    if (!found) throw new LayerkitError('IMAGE_NOT_FOUND', `${files.where} has no image ${familiarName(want.name)}`, { hint: `it holds: ${listing()}` });
    return found.open(options);
  }
  if (images.length === 1) return images[0]!.open(options);
  throw new LayerkitError(images.length ? 'IMAGE_AMBIGUOUS' : 'IMAGE_NOT_FOUND', `${files.where} holds ${images.length} images`, { hint: `name one as docker-archive:FILE:NAME:TAG or :@N: ${listing()}` });
}

/** The uncompressed size of a layer (one decompressing pass; the diffID is verified on the way). */
async function uncompressedSize(layer: Layer): Promise<number> {
  return (await digestStream(await layer.uncompressed())).size;
}

/**
 * A legacy `docker save` archive of `images` (readable by `docker load` and skopeo): layers as
 * `<diffID hex>/layer.tar` (uncompressed, so compressed layers are converted), configs as
 * `<config hex>.json`, manifest.json and repositories.
 */
/** A layer's tar ready to be written: its exact size, and an opener for the bytes. */
export type SpooledLayer = { size: number; open: () => Promise<ReadableStream<Uint8Array>> };

/**
 * The portable way to learn a tar's size before writing its header: one decompressing pass to
 * count (verifying the diffID), a second to write. A host with files spools once instead.
 */
export async function twoPassSpool(layer: Layer): Promise<SpooledLayer> {
  const size = (await decompressedKind(layer)) === 'none' ? layer.size : await uncompressedSize(layer);
  return { size, open: layer.uncompressed };
}

export function writeDockerArchive(images: { image: Image; names: DockerName[] }[], spool: (layer: Layer) => Promise<SpooledLayer> = twoPassSpool): ReadableStream<Uint8Array> {
  async function* members(): AsyncGenerator<WriteMember> {
    const written = new Set<string>();
    const manifestJson: ManifestJsonEntry[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, names } of images) {
      const layerNames: string[] = [];
      for (const layer of await image.layers()) {
        const dir = parseDigest(layer.diffID).hex;
        layerNames.push(`${dir}/layer.tar`);
        if (written.has(dir)) continue;
        written.add(dir);
        const { size, open } = await spool(layer);
        yield { name: dir, type: 'dir' };
        yield { name: `${dir}/layer.tar`, size, open };
        yield { name: `${dir}/VERSION`, bytes: new TextEncoder().encode('1.0') };
      }
      const configName = `${parseDigest((await image.manifest()).config.digest).hex}.json`;
      if (!written.has(configName)) {
        written.add(configName);
        yield { name: configName, bytes: await image.rawConfig() };
      }
      manifestJson.push({ Config: configName, RepoTags: names.map(familiarName), Layers: layerNames });
      const top = layerNames.at(-1)?.split('/')[0];
      for (const n of names) if (top && n.tag) (repositories[familiarName({ domain: n.domain, path: n.path })] ??= {})[n.tag] = top;
    }
    const encoder = new TextEncoder();
    yield { name: 'manifest.json', bytes: encoder.encode(JSON.stringify(manifestJson)) };
    yield { name: 'repositories', bytes: encoder.encode(JSON.stringify(repositories)) };
  }
  return writeArchive(members());
}

async function decompressedKind(layer: Layer): Promise<string> {
  const { compression, stream } = await decompressedStream(await layer.compressed());
  await stream.cancel().catch(() => {});
  return compression;
}
