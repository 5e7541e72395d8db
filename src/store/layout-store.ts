/**
 * A BlobStore on disk in the OCI image layout: `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
 * It serves both the local store ($LAYERKIT_HOME) and `oci:DIR` destinations. A blob is written
 * to `ingest/`, verified (size and digest) as it streams, fsynced, renamed into `blobs/`, and the
 * directory fsynced; `index.json` is replaced the same way. A crash at any point leaves only
 * complete, verified blobs and an index that refers to blobs already durable.
 *
 *   const store = await LayoutStore.open('/home/me/.local/share/layerkit');
 *   await store.putBlob(descriptor, opener); await store.setName('docker.io/library/x:1', descriptor);
 */
import { parseDigest, type Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import { host, need, type RandomAccessFile } from '../host.ts';
import { MediaType } from '../image/media-types.ts';
import type { Descriptor, Index, Opener } from '../image/types.ts';
import { readAllCapped, verified } from '../image/verify.ts';
import { checkDescriptor } from '../image/documents.ts';
import type { BlobStore, CacheEntry, StoreEntry } from './types.ts';

/** containerd's full-name annotation (store names) and the OCI tag annotation (oci: dirs). */
export const NAME_ANNOTATION = 'io.containerd.image.name';
export const REF_ANNOTATION = 'org.opencontainers.image.ref.name';
const MAX_INDEX_BYTES = 64 << 20;

export interface LayoutStoreOptions {
  /** 'store': names are full docker names (plus the tag as ref.name); 'oci': names are bare tags. */
  naming?: 'store' | 'oci';
  /** Create the layout when missing (default true). */
  create?: boolean;
}

let counter = 0;
const uniqueName = () => `${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

const isMissing = (e: unknown) => (e as { code?: string })?.code === 'ENOENT';
/** Cache kinds are directory names under cache/: lower-case words and dashes only. */
const CACHE_KIND = /^[a-z0-9-]+$/;

export class LayoutStore implements BlobStore {
  private constructor(readonly root: string, private readonly naming: 'store' | 'oci') {}

  static async open(root: string, options: LayoutStoreOptions = {}): Promise<LayoutStore> {
    const store = new LayoutStore(root.replace(/\/+$/, '') || '/', options.naming ?? 'store');
    await store.prepare(options.create ?? true);
    return store;
  }

  private path(...parts: string[]): string {
    return [this.root, ...parts].join('/');
  }

  private async prepare(create: boolean): Promise<void> {
    const lstat = need('lstat');
    const layout = await lstat(this.path('oci-layout')).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
    if (!layout && !create) throw new LayerkitError('LAYOUT_INVALID', `${this.root} is not an OCI image layout (no oci-layout file)`);
    // index.json first, oci-layout last: a process killed in between leaves a layout that the
    // next run completes (a crash test found the other order could strand a store).
    if (create && !(await this.exists('index.json'))) {
      await need('mkdir')(this.path('blobs', 'sha256'), { recursive: true });
      await this.writeIndex({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
    }
    if (!layout) await this.replaceFile('oci-layout', new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}'));
    // A symlinked blobs directory could make reads or writes land elsewhere (hostile case 41).
    for (const dir of ['blobs', 'blobs/sha256']) {
      const info = await lstat(this.path(dir)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
      if (info?.isSymlink) throw new LayerkitError('LAYOUT_INVALID', `${this.path(dir)} is a symbolic link`, { hint: 'refused: a layout must hold its blobs itself' });
    }
  }

  private async exists(relative: string): Promise<boolean> {
    return need('lstat')(this.path(relative)).then(() => true, (e) => (isMissing(e) ? false : Promise.reject(e)));
  }

  /** Writes a small file atomically: temp in ingest/, fsync, rename, fsync the directory. */
  private async replaceFile(relative: string, bytes: Uint8Array): Promise<void> {
    await need('mkdir')(this.path('ingest'), { recursive: true });
    const temp = this.path('ingest', `${uniqueName()}.tmp`);
    await need('writeFile')(temp, bytes, { sync: true });
    await need('rename')(temp, this.path(relative));
    await need('fsyncDir')(this.root);
  }

  /** Refuses a bad digest before any path is built from it. */
  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return this.path('blobs', algorithm, hex);
  }

  async blobSize(digest: Digest): Promise<number | undefined> {
    const info = await need('lstat')(this.blobPath(digest)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
    return info?.isFile ? info.size : undefined;
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    return (await this.blobSize(digest)) !== undefined;
  }

  async putBlob(descriptor: Pick<Descriptor, 'digest' | 'size'>, open: Opener): Promise<void> {
    const target = this.blobPath(descriptor.digest);
    if ((await this.blobSize(descriptor.digest)) === descriptor.size) return;
    const { algorithm } = parseDigest(descriptor.digest);
    await need('mkdir')(this.path('ingest'), { recursive: true });
    await need('mkdir')(this.path('blobs', algorithm), { recursive: true });
    const temp = this.path('ingest', `${uniqueName()}.partial`);
    try {
      const source = verified(await open(), descriptor.digest, descriptor.size);
      await source.pipeTo(need('openWrite')(temp, { sync: true, exclusive: true }));
      await need('rename')(temp, target);
    } catch (error) {
      await need('remove')(temp).catch(() => {});
      throw error;
    }
    await need('fsyncDir')(this.path('blobs', algorithm));
  }

  async putBytes(descriptor: Pick<Descriptor, 'digest' | 'size'>, bytes: Uint8Array): Promise<void> {
    await this.putBlob(descriptor, async () => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream());
  }

  /** The blob's bytes, unverified (for sources that verify themselves). */
  async openRaw(digest: Digest): Promise<ReadableStream<Uint8Array>> {
    const path = this.blobPath(digest);
    const info = await need('lstat')(path).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
    if (!info) throw new LayerkitError('BLOB_UNKNOWN', `blob ${digest} is not in ${this.root}`);
    if (!info.isFile) throw new LayerkitError('LAYOUT_INVALID', `${path} is not a regular file`, { hint: 'refused: blobs are never followed through links' });
    return host().openRead(path);
  }

  /** The blob as a seekable file, unverified, where the host has one (for a first look at a tar's headers). */
  async openRandomAccess(digest: Digest): Promise<RandomAccessFile | undefined> {
    const open = host().openRandomAccess;
    return open && (await this.blobSize(digest)) !== undefined ? open(this.blobPath(digest)) : undefined;
  }

  async openBlob(digest: Digest): Promise<ReadableStream<Uint8Array>> {
    const size = await this.blobSize(digest);
    return verified(await this.openRaw(digest), digest, size, `blob ${digest}`);
  }

  async readBlob(digest: Digest, limit: number): Promise<Uint8Array> {
    const size = await this.blobSize(digest);
    if (size !== undefined && size > limit) {
      throw new LayerkitError('DOCUMENT_TOO_LARGE', `blob ${digest} is ${size} bytes, over the ${limit}-byte limit`);
    }
    return readAllCapped(await this.openBlob(digest), limit, `blob ${digest}`);
  }

  async listBlobs(): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const algorithm of await need('readdir')(this.path('blobs'))) {
      for (const hex of await need('readdir')(this.path('blobs', algorithm))) {
        try {
          out.push(parseDigest(`${algorithm}:${hex}`).digest);
        } catch {
          // not a blob name (a stray file); gc leaves it alone
        }
      }
    }
    return out;
  }

  async deleteBlob(digest: Digest): Promise<void> {
    await need('remove')(this.blobPath(digest));
  }

  /** index.json, parsed and checked. */
  async readIndex(): Promise<Index> {
    const bytes = await readAllCapped(host().openRead(this.path('index.json')), MAX_INDEX_BYTES, 'index.json').catch((e) => {
      throw isMissing(e) ? new LayerkitError('LAYOUT_INVALID', `${this.root} has no index.json`, { cause: e }) : e;
    });
    let index: Index;
    try {
      index = JSON.parse(new TextDecoder().decode(bytes)) as Index;
    } catch (cause) {
      throw new LayerkitError('LAYOUT_INVALID', `${this.path('index.json')} is not valid JSON`, { cause });
    }
    if (!Array.isArray(index?.manifests)) throw new LayerkitError('LAYOUT_INVALID', `${this.path('index.json')} has no manifests array`);
    index.manifests.forEach((m, i) => checkDescriptor(m, `index.json manifests[${i}]`));
    return index;
  }

  async writeIndex(index: Index): Promise<void> {
    await this.replaceFile('index.json', new TextEncoder().encode(JSON.stringify(index)));
  }

  private nameOf(d: Descriptor): string | undefined {
    return this.naming === 'store' ? d.annotations?.[NAME_ANNOTATION] : d.annotations?.[REF_ANNOTATION];
  }

  async listNames(): Promise<StoreEntry[]> {
    const index = await this.readIndex();
    return index.manifests.flatMap((d) => {
      const name = this.nameOf(d);
      return name === undefined ? [] : [{ name, descriptor: d }];
    });
  }

  /** Every manifest in index.json, named or not. */
  async listRoots(): Promise<Descriptor[]> {
    return (await this.readIndex()).manifests;
  }

  async setName(name: string, descriptor: Descriptor): Promise<void> {
    const index = await this.readIndex();
    const annotations: Record<string, string> = { ...descriptor.annotations };
    delete annotations[NAME_ANNOTATION];
    delete annotations[REF_ANNOTATION];
    if (this.naming === 'store') {
      annotations[NAME_ANNOTATION] = name;
      const tag = name.match(/:([\w][\w.-]*)$/)?.[1];
      if (tag && !name.slice(name.lastIndexOf('/')).includes('@')) annotations[REF_ANNOTATION] = tag;
    } else if (name !== '') annotations[REF_ANNOTATION] = name;
    const entry: Descriptor = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, ...(descriptor.platform ? { platform: descriptor.platform } : {}) };
    if (Object.keys(annotations).length) entry.annotations = annotations;
    const others = index.manifests.filter((d) => (name === '' ? d.digest !== descriptor.digest || this.nameOf(d) !== undefined : this.nameOf(d) !== name));
    await this.writeIndex({ ...index, manifests: [...others, entry] });
  }

  async deleteName(name: string): Promise<boolean> {
    const index = await this.readIndex();
    const kept = index.manifests.filter((d) => this.nameOf(d) !== name);
    if (kept.length === index.manifests.length) return false;
    await this.writeIndex({ ...index, manifests: kept });
    return true;
  }

  /** The cache entry's path relative to the store, `cache/KIND/HEX`; the kind and digest are checked first. */
  #cacheEntry(kind: string, diffID: Digest): string {
    const { hex } = parseDigest(diffID);
    if (!CACHE_KIND.test(kind)) throw new LayerkitError('BAD_CACHE_KIND', `"${kind}" is not a cache kind`);
    return `cache/${kind}/${hex}`;
  }

  async getCache(kind: string, diffID: Digest): Promise<Uint8Array | undefined> {
    return need('readFile')(this.path(this.#cacheEntry(kind, diffID))).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
  }

  async putCache(kind: string, diffID: Digest, bytes: Uint8Array): Promise<void> {
    const entry = this.#cacheEntry(kind, diffID);
    await need('mkdir')(this.path('cache', kind), { recursive: true });
    await this.replaceFile(entry, bytes);
  }

  async listCache(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    const kinds = await need('readdir')(this.path('cache')).catch((e) => (isMissing(e) ? [] : Promise.reject(e)));
    for (const kind of kinds.filter((k) => CACHE_KIND.test(k))) {
      for (const hex of await need('readdir')(this.path('cache', kind))) {
        if (!/^[a-f0-9]{64}$/.test(hex)) continue; // not an entry (a stray file); gc leaves it alone
        const info = await host().stat(this.path('cache', kind, hex)).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));
        if (info) out.push({ kind, diffID: `sha256:${hex}` as Digest, size: info.size });
      }
    }
    return out;
  }

  async deleteCache(kind: string, diffID: Digest): Promise<void> {
    await need('remove')(this.path(this.#cacheEntry(kind, diffID)));
  }

  /** Removes leftovers of interrupted writes. */
  async clearIngest(): Promise<number> {
    const names = await need('readdir')(this.path('ingest')).catch((e) => (isMissing(e) ? [] : Promise.reject(e)));
    for (const name of names) await need('remove')(this.path('ingest', name));
    return names.length;
  }
}
