/**
 * The BlobStore in memory, for workers and tests: same verification, same name table.
 *
 *   const store = new MemoryStore(); await copyImageToStore(image, store, ['docker.io/library/x:1']);
 */
import { parseDigest, type Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import type { Descriptor, Opener } from '../image/types.ts';
import { readAllCapped, verified } from '../image/verify.ts';
import type { BlobStore, CacheEntry, StoreEntry } from './types.ts';

export class MemoryStore implements BlobStore {
  private readonly blobs = new Map<Digest, Uint8Array>();
  private names: StoreEntry[] = [];
  private readonly cache = new Map<string, Uint8Array>();

  async hasBlob(digest: Digest): Promise<boolean> {
    return this.blobs.has(parseDigest(digest).digest);
  }

  async blobSize(digest: Digest): Promise<number | undefined> {
    return this.blobs.get(parseDigest(digest).digest)?.length;
  }

  async putBlob(descriptor: Pick<Descriptor, 'digest' | 'size'>, open: Opener): Promise<void> {
    const { digest } = parseDigest(descriptor.digest);
    if (this.blobs.get(digest)?.length === descriptor.size) return;
    const bytes = await readAllCapped(verified(await open(), digest, descriptor.size), descriptor.size + 1, `blob ${digest}`);
    this.blobs.set(digest, bytes);
  }

  async putBytes(descriptor: Pick<Descriptor, 'digest' | 'size'>, bytes: Uint8Array): Promise<void> {
    await this.putBlob(descriptor, async () => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream());
  }

  async openRaw(digest: Digest): Promise<ReadableStream<Uint8Array>> {
    const bytes = this.blobs.get(parseDigest(digest).digest);
    if (!bytes) throw new LayerkitError('BLOB_UNKNOWN', `blob ${digest} is not in the memory store`);
    return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  }

  async openBlob(digest: Digest): Promise<ReadableStream<Uint8Array>> {
    return verified(await this.openRaw(digest), digest, this.blobs.get(digest)?.length);
  }

  async readBlob(digest: Digest, limit: number): Promise<Uint8Array> {
    const size = await this.blobSize(digest);
    if (size !== undefined && size > limit) throw new LayerkitError('DOCUMENT_TOO_LARGE', `blob ${digest} is ${size} bytes, over the ${limit}-byte limit`);
    return readAllCapped(await this.openBlob(digest), limit, `blob ${digest}`);
  }

  async listBlobs(): Promise<Digest[]> {
    return [...this.blobs.keys()];
  }

  async deleteBlob(digest: Digest): Promise<void> {
    this.blobs.delete(parseDigest(digest).digest);
  }

  async listNames(): Promise<StoreEntry[]> {
    return this.names.map((e) => ({ ...e }));
  }

  async listRoots(): Promise<Descriptor[]> {
    return this.names.map((e) => e.descriptor);
  }

  async setName(name: string, descriptor: Descriptor): Promise<void> {
    this.names = [...this.names.filter((e) => e.name !== name), { name, descriptor }];
  }

  async deleteName(name: string): Promise<boolean> {
    const before = this.names.length;
    this.names = this.names.filter((e) => e.name !== name);
    return this.names.length !== before;
  }

  async getCache(kind: string, diffID: Digest): Promise<Uint8Array | undefined> {
    return this.cache.get(`${kind}/${parseDigest(diffID).digest}`);
  }

  async putCache(kind: string, diffID: Digest, bytes: Uint8Array): Promise<void> {
    this.cache.set(`${kind}/${parseDigest(diffID).digest}`, bytes);
  }

  async listCache(): Promise<CacheEntry[]> {
    return [...this.cache].map(([key, bytes]) => {
      const slash = key.indexOf('/');
      return { kind: key.slice(0, slash), diffID: key.slice(slash + 1) as Digest, size: bytes.length };
    });
  }

  async deleteCache(kind: string, diffID: Digest): Promise<void> {
    this.cache.delete(`${kind}/${parseDigest(diffID).digest}`);
  }
}
