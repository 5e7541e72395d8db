/**
 * `tar:FILE` and `rootfs:DIR`: a tar file (any compression) or a plain directory read as an image
 * of one layer, with a minimal config (the host's platform, `created` at the epoch so the same
 * input always gives the same digests).
 *
 *   const image = await tarFileImage('layer.tar.gz', { os: 'linux', architecture: 'amd64' });
 */
import type { Digest } from '../digest/digest.ts';
import { digestBytes, digestStream } from '../digest/stream.ts';
import { LayerkitError } from '../errors.ts';
import { host, need } from '../host.ts';
import { imageFromManifest, type BlobSource } from '../image/blob-image.ts';
import { measureLayer } from '../image/layer-check.ts';
import { layerTypeFor, MediaType } from '../image/media-types.ts';
import type { Image, ImageConfig, Platform } from '../image/types.ts';
import { tarStream, type TarWriteEntry } from '../tar/writer.ts';

const EPOCH = '1970-01-01T00:00:00Z';
const encoder = new TextEncoder();

/** Builds the one-layer image over `open` once its digest, size and diffID are known. */
async function oneLayerImage(open: () => Promise<ReadableStream<Uint8Array>>, digest: Digest, size: number, diffID: Digest, compression: 'gzip' | 'zstd' | 'none', platform: Platform, createdBy: string): Promise<Image> {
  const config: ImageConfig = {
    architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}),
    created: EPOCH, config: {},
    rootfs: { type: 'layers', diff_ids: [diffID] },
    history: [{ created: EPOCH, created_by: createdBy }],
  };
  const configBytes = encoder.encode(JSON.stringify(config));
  const configDigest = await digestBytes(configBytes);
  const layer = { mediaType: layerTypeFor(MediaType.ociManifest, compression), digest, size };
  const manifest = encoder.encode(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length }, layers: [layer],
  }));
  const source: BlobSource = {
    async open(d) {
      if (d === digest) return open();
      if (d === configDigest) return new Blob([configBytes as Uint8Array<ArrayBuffer>]).stream();
      throw new LayerkitError('BLOB_UNKNOWN', `no blob ${d}`);
    },
  };
  return imageFromManifest(source, manifest, { mediaType: MediaType.ociManifest, digest: await digestBytes(manifest), size: manifest.length });
}

export async function tarFileImage(path: string, platform: Platform): Promise<Image> {
  const info = await host().stat(path);
  if (info.isDirectory) throw new LayerkitError('NOT_A_FILE', `${path} is a directory`, { hint: 'use rootfs:DIR for a directory' });
  const open = async () => host().openRead(path);
  const { digest, size, diffID, compression } = await measureLayer(await open());
  return oneLayerImage(open, digest, size, diffID, compression, platform, `layerkit tar:${path.split('/').pop()}`);
}

/** A directory's tree as tar entries, sorted, so the same tree always gives the same bytes. */
async function* walk(root: string, relative = ''): AsyncGenerator<TarWriteEntry> {
  const names = (await need('readdir')(relative ? `${root}/${relative}` : root)).sort();
  for (const name of names) {
    const rel = relative ? `${relative}/${name}` : name;
    const full = `${root}/${rel}`;
    const info = await need('lstat')(full);
    const common = { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid, mtime: { sec: Math.floor(info.mtimeMs / 1000), nsec: 0 } };
    if (info.isSymlink) yield { name: rel, type: 'symlink', linkname: await need('readlink')(full), ...common };
    else if (info.isDirectory) {
      yield { name: `${rel}/`, type: 'dir', ...common };
      yield* walk(root, rel);
    } else if (info.isFile) yield { name: rel, type: 'file', size: info.size, body: host().openRead(full), ...common };
    // sockets, devices and fifos are not carried (a rootless reader could not recreate them)
  }
}

export async function rootfsImage(dir: string, platform: Platform): Promise<Image> {
  const info = await host().stat(dir);
  if (!info.isDirectory) throw new LayerkitError('NOT_A_DIRECTORY', `${dir} is not a directory`, { hint: 'use tar:FILE for a tar file' });
  const open = async () => tarStream(walk(dir));
  const { digest, size } = await digestStream(await open());
  return oneLayerImage(open, digest, size, digest, 'none', platform, `layerkit rootfs:${dir.split('/').pop()}`);
}
