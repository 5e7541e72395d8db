/**
 * The nouns of an image, as the OCI image spec and Docker schema 2 write them, and the two narrow
 * interfaces everything else codes against: an `Image` gives its manifest, config and layers; a
 * `Layer` gives its identities and re-openable streams. Ways to make them live beside this file
 * (formats/, store/, registry/); nothing here does I/O.
 *
 *   const image: Image = await openReference('oci:./dir:latest');
 *   for (const layer of await image.layers()) console.log(layer.digest, layer.diffID);
 */
import type { Digest } from '../digest/digest.ts';
import type { RandomAccessFile } from '../host.ts';

/** Opens a fresh stream over the same bytes each time it is called (a web stream is read once). */
export type Opener = () => Promise<ReadableStream<Uint8Array>>;

/** The target of a content reference: what it is, its digest and byte size. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  /** Where non-distributable (foreign) layers may be fetched from; never followed with credentials. */
  urls?: string[];
  annotations?: Record<string, string>;
  /** In an index: the platform the manifest is built for. */
  platform?: Platform;
  /** The blob's bytes inline, base64; verified against `digest` before use. */
  data?: string;
  artifactType?: string;
}

/** A platform as an index entry or config states it. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** An image manifest (OCI `application/vnd.oci.image.manifest.v1+json` or Docker schema 2). */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index (OCI) or manifest list (Docker): one manifest per platform. */
export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** One step of how the image was made; `empty_layer` steps changed metadata only. */
export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The runtime defaults of a container made from the image (docker's `Config`). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  [other: string]: unknown;
}

/** The image configuration (OCI `application/vnd.oci.image.config.v1+json`); its digest is docker's image ID. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: History[];
  [other: string]: unknown;
}

/** One layer of an image. Every identity is known without reading the layer again. */
export interface Layer {
  /** sha256 of the stored (possibly compressed) bytes. */
  readonly digest: Digest;
  /** sha256 of the uncompressed tar; equals the config's `rootfs.diff_ids` entry. */
  readonly diffID: Digest;
  /** Byte size of the stored blob. */
  readonly size: number;
  readonly mediaType: string;
  /** The stored bytes, verified against `digest` and `size` as they stream (DIGEST_MISMATCH at the end). */
  compressed: Opener;
  /** The tar bytes, decompressed by magic, verified against `diffID` as they stream. */
  uncompressed: Opener;
  /**
   * The tar bytes as a seekable file, when the blob is stored uncompressed in one (its digest is
   * its diffID); undefined otherwise. Unverified: for a first look at the headers (indexTarFile),
   * which a read of `uncompressed()` must then confirm. The caller closes it.
   */
  uncompressedFile?(): Promise<RandomAccessFile | undefined>;
}

/** An image: one manifest, its config and its layers, each blob verified when read. */
export interface Image {
  /** The parsed manifest. */
  manifest(): Promise<Manifest>;
  /** The manifest's bytes exactly as stored (what `manifestDigest` hashes). */
  rawManifest(): Promise<Uint8Array>;
  /** The manifest's digest and media type. */
  manifestDescriptor(): Promise<Descriptor>;
  /** The parsed config. */
  config(): Promise<ImageConfig>;
  /** The config's bytes exactly as stored; their digest is the image ID. */
  rawConfig(): Promise<Uint8Array>;
  /** The layers bottom to top, in manifest order. */
  layers(): Promise<Layer[]>;
  /** The index the manifest was picked from, when there was one (for `inspect --raw index`). */
  rawIndex?(): Promise<Uint8Array | undefined>;
}

/** A named image as a source lists it: `docker-archive` and store names, `oci` ref annotations. */
export interface NamedImage {
  /** `repo:tag` (docker normalised) or a bare OCI tag; undefined for untagged entries. */
  name?: string;
  image: Image;
}
