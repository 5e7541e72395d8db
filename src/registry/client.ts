/**
 * The OCI distribution API for one registry host: ping, manifests (GET/HEAD/PUT), blobs (HEAD,
 * verified GET with Range resume, monolithic and chunked upload, cross-repository mount), tags
 * and catalog with `Link` pagination. Authentication lives in RegistrySession.
 *
 *   const client = new RegistryClient({ registry: '127.0.0.1:5000', insecure: true });
 *   const { bytes, digest } = await client.getManifest('app', 'latest');
 */
import { createHasher } from '../digest/backends.ts';
import { type Digest, formatDigest, parseDigest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import type { Descriptor, Opener } from '../image/types.ts';
import { type BlobStreamOptions, verifiedBlobStream } from './blob-stream.ts';
import { describeFailure, MANIFEST_CAP, readCapped } from './http.ts';
import { checkManifest, type FetchedManifest, MANIFEST_ACCEPT } from './manifest.ts';
import { RegistrySession, type SessionOptions } from './session.ts';
import { uploadBlob, type UploadOptions, type UploadOutcome } from './upload.ts';

const pull = (repository: string) => [`repository:${repository}:pull`];
const push = (repository: string) => [`repository:${repository}:pull,push`];
const MAX_PAGES = 10_000;

export class RegistryClient {
  readonly session: RegistrySession;

  constructor(options: SessionOptions | RegistrySession) {
    this.session = options instanceof RegistrySession ? options : new RegistrySession(options);
  }

  get registry(): string {
    return this.session.registry;
  }

  ping(): Promise<void> {
    return this.session.ping();
  }

  /** The manifest or index `reference` (tag or digest) names; its digest is of the bytes that arrived. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const where = `${this.registry}/${repository}:${reference}`;
    const response = await this.session.request({ method: 'GET', path: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT } }, pull(repository));
    await this.expectOk(response, where, 'MANIFEST_UNKNOWN');
    const bytes = await readCapped(response, MANIFEST_CAP, `the manifest of ${where}`);
    const doc = checkManifest(bytes, response.headers.get('content-type'), where);
    const digest = await digestOf(bytes, reference.includes(':') ? parseDigest(reference).algorithm : 'sha256');
    if (reference.includes(':') && digest !== reference) {
      throw new LayerkitError('DIGEST_MISMATCH', `${where}: the registry served a manifest whose digest is ${digest}`, { hint: 'nothing was stored' });
    }
    return { bytes, mediaType: doc.mediaType, digest };
  }

  /** The manifest's descriptor without its body, or undefined when absent. */
  async headManifest(repository: string, reference: string): Promise<Descriptor | undefined> {
    const response = await this.session.request({ method: 'HEAD', path: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT } }, pull(repository));
    if (response.status === 404) return undefined;
    await this.expectOk(response, `${this.registry}/${repository}:${reference}`, 'MANIFEST_UNKNOWN');
    const digest = response.headers.get('docker-content-digest');
    return {
      mediaType: (response.headers.get('content-type') ?? '').split(';')[0]!,
      digest: (digest ? parseDigest(digest).digest : reference) as Digest,
      size: Number(response.headers.get('content-length') ?? 0),
    };
  }

  /** Uploads a manifest or index under `reference` (a tag or its digest); answers its digest. */
  async putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<Digest> {
    checkManifest(bytes, mediaType, 'the manifest to push');
    const where = `${this.registry}/${repository}:${reference}`;
    const response = await this.session.request({ method: 'PUT', path: `/v2/${repository}/manifests/${reference}`, headers: { 'content-type': mediaType }, body: bytes }, push(repository));
    await this.expectOk(response, where, 'MANIFEST_INVALID');
    await response.body?.cancel().catch(() => {});
    const digest = await digestOf(bytes);
    const echoed = response.headers.get('docker-content-digest');
    if (echoed && echoed !== digest) throw new LayerkitError('DIGEST_MISMATCH', `${where}: the registry stored the manifest as ${echoed}, not ${digest}`);
    return digest;
  }

  /** The blob's size when the repository has it, else undefined. */
  async headBlob(repository: string, digest: Digest): Promise<number | undefined> {
    parseDigest(digest);
    const response = await this.session.request({ method: 'HEAD', path: `/v2/${repository}/blobs/${digest}` }, pull(repository));
    if (response.status === 404) return undefined;
    await this.expectOk(response, `${this.registry}/${repository}@${digest}`, 'BLOB_UNKNOWN');
    return Number(response.headers.get('content-length') ?? NaN);
  }

  /** The blob's bytes, verified against `descriptor` as they stream (resumed by Range when cut). */
  openBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, options: BlobStreamOptions = {}): ReadableStream<Uint8Array> {
    parseDigest(descriptor.digest);
    const where = `${this.registry}/${repository}@${descriptor.digest}`;
    return verifiedBlobStream(descriptor, async (offset) => {
      const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
      const response = await this.session.request({ method: 'GET', path: `/v2/${repository}/blobs/${descriptor.digest}`, headers, followRedirects: true }, pull(repository));
      if (response.status === 206) {
        const start = Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1] ?? NaN);
        if (!Number.isFinite(start)) throw new LayerkitError('REGISTRY_PROTOCOL', `${where}: a 206 answer without a Content-Range`);
        return { body: response.body!, start };
      }
      await this.expectOk(response, where, 'BLOB_UNKNOWN');
      if (!response.body) throw new LayerkitError('REGISTRY_PROTOCOL', `${where}: an empty answer`);
      return { body: response.body, start: 0 };
    }, options);
  }

  /** The whole blob in memory (configs), verified and capped. */
  async readBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, cap = MANIFEST_CAP): Promise<Uint8Array> {
    if (descriptor.size > cap) throw new LayerkitError('DOCUMENT_TOO_LARGE', `blob ${descriptor.digest} is ${descriptor.size} bytes, over the ${cap}-byte limit`);
    return new Uint8Array(await new Response(this.openBlob(repository, descriptor)).arrayBuffer());
  }

  /** Uploads a blob unless present: mounted from `options.mountFrom` when the registry allows it. */
  pushBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, open: Opener, options: UploadOptions = {}): Promise<UploadOutcome> {
    parseDigest(descriptor.digest);
    return uploadBlob(this, repository, descriptor, open, options);
  }

  /** Every tag of the repository, following `Link` pages. */
  async tags(repository: string, pageSize?: number): Promise<string[]> {
    const first = `/v2/${repository}/tags/list${pageSize ? `?n=${pageSize}` : ''}`;
    return this.paginate(first, pull(repository), `${this.registry}/${repository}`, (doc) => (doc as { tags?: string[] | null }).tags ?? []);
  }

  /** Every repository the registry lists (`/v2/_catalog`), following `Link` pages. */
  async catalog(pageSize?: number): Promise<string[]> {
    const first = `/v2/_catalog${pageSize ? `?n=${pageSize}` : ''}`;
    return this.paginate(first, ['registry:catalog:*'], this.registry, (doc) => (doc as { repositories?: string[] | null }).repositories ?? []);
  }

  private async paginate(path: string, scope: string[], where: string, items: (doc: unknown) => string[]): Promise<string[]> {
    const out: string[] = [];
    for (let page = 0; page < MAX_PAGES && path; page++) {
      const response = await this.session.request({ method: 'GET', path, headers: { accept: 'application/json' } }, scope);
      await this.expectOk(response, where, 'NAME_UNKNOWN');
      const doc = JSON.parse(new TextDecoder().decode(await readCapped(response, MANIFEST_CAP, `the list of ${where}`)));
      const list = items(doc);
      if (!Array.isArray(list)) throw new LayerkitError('REGISTRY_PROTOCOL', `${where}: the list is not an array`);
      out.push(...list.map(String));
      path = nextLink(response.headers.get('link'), this.session.origin) ?? '';
    }
    return out;
  }

  /** Throws the typed error a failed answer means. */
  async expectOk(response: Response, where: string, notFound: string): Promise<void> {
    if (response.ok) return;
    const { code, text } = await describeFailure(response);
    if (response.status === 401) throw new LayerkitError('AUTH_REQUIRED', `${where}: authentication required (${text})`, { hint: `run layerkit login ${this.registry}` });
    if (response.status === 403) throw new LayerkitError('AUTH_DENIED', `${where}: access denied (${text})`, { hint: 'the credentials lack permission for this repository' });
    if (response.status === 404) throw new LayerkitError(code === 'NAME_UNKNOWN' ? 'NAME_UNKNOWN' : notFound, `${where}: not found (${text})`);
    throw new LayerkitError('REGISTRY_ERROR', `${where}: ${text}`, { hint: response.status >= 500 ? 'the registry failed; try again later' : undefined });
  }
}

/** `<…>; rel="next"` → a path on the registry origin (another origin is refused as the end). */
function nextLink(link: string | null, origin: string): string | undefined {
  if (!link) return undefined;
  const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(link);
  if (!match) return undefined;
  const url = new URL(match[1]!, origin);
  if (url.origin !== origin) throw new LayerkitError('REGISTRY_PROTOCOL', `a pagination link points at another origin (${url.origin})`);
  return url.pathname + url.search;
}

async function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Promise<Digest> {
  const hasher = await createHasher(algorithm);
  hasher.update(bytes);
  return formatDigest(algorithm, hasher.digest());
}
