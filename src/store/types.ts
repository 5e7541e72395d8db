/**
 * Where blobs live: a content-addressable store keyed by digest, plus a small name table.
 * `OciLayoutStore` keeps them on disk as an OCI image layout; `MemoryStore` keeps them in a Map
 * (workers, tests). Both verify before a blob becomes visible: a blob is readable under its digest
 * only after its bytes were hashed and matched.
 *
 *   await store.putBlob(descriptor, () => layer.compressed());
 *   const bytes = await store.readBlob(descriptor.digest, 4 << 20);
 */
import type { Digest } from '../digest/digest.ts';
import type { Descriptor, Opener } from '../image/types.ts';

/** A name in the store's index: `repo:tag` (docker-normalised) pointing at a manifest or index. */
export interface StoreEntry {
  name: string;
  descriptor: Descriptor;
}

export interface BlobStore {
  /** True when the blob is present (and, for the disk store, has the expected size). */
  hasBlob(digest: Digest): Promise<boolean>;
  /** The blob's size, or undefined when absent. */
  blobSize(digest: Digest): Promise<number | undefined>;
  /**
   * Stores the bytes of `open()` under `descriptor.digest` after verifying size and digest
   * (DIGEST_MISMATCH / SIZE_MISMATCH, nothing stored). A present blob is not read again.
   */
  putBlob(descriptor: Pick<Descriptor, 'digest' | 'size'>, open: Opener): Promise<void>;
  /** Stores bytes already in memory (manifests, configs), verified the same way. */
  putBytes(descriptor: Pick<Descriptor, 'digest' | 'size'>, bytes: Uint8Array): Promise<void>;
  /** A stream of the blob, verified against its digest as it is read; BLOB_UNKNOWN when absent. */
  openBlob(digest: Digest): Promise<ReadableStream<Uint8Array>>;
  /** The whole blob in memory, refused (DOCUMENT_TOO_LARGE) when larger than `limit` bytes. */
  readBlob(digest: Digest, limit: number): Promise<Uint8Array>;
  /** Every digest present. */
  listBlobs(): Promise<Digest[]>;
  /** Removes a blob; no error when absent. */
  deleteBlob(digest: Digest): Promise<void>;

  /** The names, in index order. */
  listNames(): Promise<StoreEntry[]>;
  /** Points `name` at `descriptor` (replacing a previous target), atomically. */
  setName(name: string, descriptor: Descriptor): Promise<void>;
  /** Removes `name`; returns false when it was not there. */
  deleteName(name: string): Promise<boolean>;

  /** Cached per-layer data (a LayerIndex) keyed by diffID; undefined when not cached. */
  getCache?(kind: string, diffID: Digest): Promise<Uint8Array | undefined>;
  putCache?(kind: string, diffID: Digest, bytes: Uint8Array): Promise<void>;
  /** Every cached entry with its size in bytes (what gc may prune). */
  listCache?(): Promise<CacheEntry[]>;
  deleteCache?(kind: string, diffID: Digest): Promise<void>;
}

export interface CacheEntry {
  kind: string;
  diffID: Digest;
  size: number;
}
