/**
 * Reading OCI image layouts — a directory (`oci:DIR[:TAG]`) or a tar of one
 * (`oci-archive:FILE[:TAG]`) — and writing them as a tar. Directories are written through
 * LayoutStore (store/), the same code that keeps the local store.
 *
 *   const image = await openOciLayout(directoryFiles('./out'), 'v1', { host });
 */
import { LayerkitError } from '../errors.ts';
import { resolveImage, type ResolveOptions } from '../image/blob-image.ts';
import { checkDescriptor } from '../image/documents.ts';
import { MediaType } from '../image/media-types.ts';
import type { Descriptor, Image, Index } from '../image/types.ts';
import { writeArchive, type WriteMember } from './archive-tar.ts';
import { layoutBlobs, readSmall, type LayoutFiles } from './layout-files.ts';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_INDEX_BYTES = 64 << 20;

export async function readLayoutIndex(files: LayoutFiles): Promise<Index> {
  if (!(await files.exists('oci-layout'))) throw new LayerkitError('LAYOUT_INVALID', `${files.where} is not an OCI image layout (no oci-layout file)`);
  if (!(await files.exists('index.json'))) throw new LayerkitError('LAYOUT_INVALID', `${files.where} has no index.json`);
  let index: Index;
  try {
    index = JSON.parse(new TextDecoder().decode(await readSmall(files, 'index.json', MAX_INDEX_BYTES)));
  } catch (cause) {
    if (cause instanceof LayerkitError) throw cause;
    throw new LayerkitError('LAYOUT_INVALID', `${files.where}/index.json is not valid JSON`, { cause });
  }
  if (!Array.isArray(index?.manifests)) throw new LayerkitError('LAYOUT_INVALID', `${files.where}/index.json has no manifests array`);
  if ('layers' in index || 'config' in index) throw new LayerkitError('DOCUMENT_AMBIGUOUS', `${files.where}/index.json is both an index and a manifest`);
  index.manifests.forEach((m, i) => checkDescriptor(m, `${files.where}/index.json manifests[${i}]`));
  return index;
}

/** Picks the index.json entry for `tag` (ref.name), or the only entry. */
export function pickEntry(index: Index, tag: string | undefined, where: string): Descriptor {
  const names = index.manifests.map((d) => d.annotations?.[REF_NAME]).filter(Boolean);
  if (tag !== undefined) {
    const found = index.manifests.find((d) => d.annotations?.[REF_NAME] === tag);
    if (found) return found;
    throw new LayerkitError('IMAGE_NOT_FOUND', `${where} has no image tagged "${tag}"`, { hint: `tags: ${names.join(', ') || 'none'}` });
  }
  if (index.manifests.length === 1) return index.manifests[0]!;
  if (index.manifests.length === 0) throw new LayerkitError('IMAGE_NOT_FOUND', `${where} holds no images`);
  throw new LayerkitError('IMAGE_AMBIGUOUS', `${where} holds ${index.manifests.length} images`, { hint: `name one: ${names.join(', ') || '(untagged)'}` });
}

export async function openOciLayout(files: LayoutFiles, tag: string | undefined, options: ResolveOptions = {}): Promise<Image> {
  const index = await readLayoutIndex(files);
  return resolveImage(layoutBlobs(files), pickEntry(index, tag, files.where), options);
}

export interface TaggedImage {
  image: Image;
  /** The ref.name annotation (oci-archive) or docker name (docker-archive); undefined for none. */
  tag?: string;
}

/** An OCI layout as a tar stream (`oci-archive:`): blobs unchanged, so every digest is kept. */
export function writeOciArchive(images: TaggedImage[]): ReadableStream<Uint8Array> {
  async function* members(): AsyncGenerator<WriteMember> {
    const encoder = new TextEncoder();
    const written = new Set<string>();
    const entries: Descriptor[] = [];
    yield { name: 'blobs', type: 'dir' };
    yield { name: 'blobs/sha256', type: 'dir' };
    for (const { image, tag } of images) {
      const blob = (digest: string): string | undefined => {
        if (written.has(digest)) return undefined;
        written.add(digest);
        return `blobs/${digest.replace(':', '/')}`;
      };
      for (const layer of await image.layers()) {
        const name = blob(layer.digest);
        if (name) yield { name, size: layer.size, open: layer.compressed };
      }
      const manifest = await image.manifest();
      const configName = blob(manifest.config.digest);
      if (configName) yield { name: configName, bytes: await image.rawConfig() };
      const descriptor = await image.manifestDescriptor();
      const manifestName = blob(descriptor.digest);
      if (manifestName) yield { name: manifestName, bytes: await image.rawManifest() };
      const config = await image.config();
      entries.push({
        mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
        platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
        ...(tag ? { annotations: { [REF_NAME]: tag } } : {}),
      });
    }
    yield { name: 'oci-layout', bytes: encoder.encode('{"imageLayoutVersion":"1.0.0"}') };
    yield { name: 'index.json', bytes: encoder.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries })) };
  }
  return writeArchive(members());
}

