/** In-memory images for the image and store tests: real tars from TarWriter, gzip by CompressionStream. */
import { createHash } from 'node:crypto';
import { imageFromManifest, type BlobSource } from '../../src/image/blob-image.ts';
import type { Digest } from '../../src/digest/digest.ts';
import type { Image } from '../../src/image/types.ts';
import { writeTar } from '../../src/tar/writer.ts';
import { LayerkitError } from '../../src/errors.ts';

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
export const streamOf = (b: Uint8Array) => new Blob([b as Uint8Array<ArrayBuffer>]).stream();

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(streamOf(bytes).pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>)).arrayBuffer());
}

export interface Fixture {
  blobs: Map<string, Uint8Array>;
  manifest: Uint8Array;
  config: Uint8Array;
  tars: Uint8Array[];
  image: () => Image;
  source: BlobSource;
}

/** A two-layer OCI image (gzip base, plain top) whose blobs live in a Map the test may corrupt. */
export async function twoLayerImage(): Promise<Fixture> {
  const tars = [
    await writeTar([{ name: 'etc/', type: 'dir' }, { name: 'etc/passwd', body: utf8('root:x:0:0::/root:/bin/sh\n') }]),
    await writeTar([{ name: 'tmp/', type: 'dir', mode: 0o1777 }, { name: 'tmp/newfile', body: utf8('Hello world\n') }]),
  ];
  const stored = [await gzip(tars[0]!), tars[1]!];
  const config = utf8(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
    history: [{ created_by: 'ADD base' }, { created_by: 'CMD', empty_layer: true }, { created_by: 'RUN echo' }],
  }));
  const manifest = utf8(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(stored[0]!), size: stored[0]!.length },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(stored[1]!), size: stored[1]!.length },
    ],
  }));
  const blobs = new Map<string, Uint8Array>([[sha256(config), config], [sha256(manifest), manifest], ...stored.map((b) => [sha256(b), b] as [string, Uint8Array])]);
  const source: BlobSource = {
    async open(digest) {
      const b = blobs.get(digest);
      if (!b) throw new LayerkitError('BLOB_UNKNOWN', `no ${digest}`);
      return streamOf(b);
    },
  };
  const image = () => imageFromManifest(source, manifest, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length });
  return { blobs, manifest, config, tars, image, source };
}

export async function drain(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function codeOf(work: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (e) {
    return (e as { code?: string }).code ?? `no code: ${(e as Error).message}`;
  }
  return 'no error';
}
