/**
 * Blob upload as the distribution spec has it: HEAD first (skip what is there), a cross-repository
 * mount when a source repository is known, then one PUT with the bytes (monolithic, small blobs),
 * one streamed PATCH + PUT (docker's way, large blobs), or PATCHes of `chunkSize` bytes with
 * Content-Range (chunked). Upload locations must stay on the registry origin.
 *
 *   await uploadBlob(client, 'app', descriptor, () => layer.compressed(), { mountFrom: ['base'] });
 */
import { LayerkitError } from '../errors.ts';
import type { Descriptor, Opener } from '../image/types.ts';
import type { RegistrySession } from './session.ts';

/** What an upload needs of the client (declared here so client.ts and upload.ts do not import each other). */
export interface UploadClient {
  readonly registry: string;
  readonly session: RegistrySession;
  headBlob(repository: string, digest: Descriptor['digest']): Promise<number | undefined>;
  expectOk(response: Response, where: string, notFound: string): Promise<void>;
}

const MONOLITHIC_MAX = 1 << 20;

export type UploadOutcome = { kind: 'exists' } | { kind: 'mounted'; from: string } | { kind: 'pushed' };

export interface UploadOptions {
  /** Repositories on the same registry that may hold the blob already. */
  mountFrom?: string[];
  /** Upload in PATCHes of this many bytes (default: one streamed PATCH). */
  chunkSize?: number;
  /** One PUT carrying the whole blob (default: for blobs up to 1 MiB, read into memory). */
  monolithic?: boolean;
  /** Called with the running byte count while uploading. */
  onBytes?: (sent: number) => void;
  /** Skip the HEAD (the caller knows it is absent). */
  skipExistsCheck?: boolean;
}

export async function uploadBlob(client: UploadClient, repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, open: Opener, options: UploadOptions): Promise<UploadOutcome> {
  if (!options.skipExistsCheck && (await client.headBlob(repository, descriptor.digest)) !== undefined) return { kind: 'exists' };
  // An upload cannot be resumed portably, so a failed one (network, 5xx) starts over, a bounded number of times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await uploadOnce(client, repository, descriptor, open, options);
    } catch (error) {
      const code = (error as { code?: string })?.code;
      if ((code !== 'REGISTRY_UNREACHABLE' && code !== 'REGISTRY_ERROR') || attempt >= client.session.transport.attempts) throw error;
      client.session.transport.onRetry?.({ url: `${client.registry}/${repository}@${descriptor.digest}`, attempt, reason: (error as Error).message });
    }
  }
}

async function uploadOnce(client: UploadClient, repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, open: Opener, options: UploadOptions): Promise<UploadOutcome> {
  const where = `${client.registry}/${repository}@${descriptor.digest}`;
  let location: string | undefined;
  for (const from of options.mountFrom ?? []) {
    if (from === repository) continue;
    const response = await client.session.request({
      method: 'POST', path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(from)}`,
      headers: { 'content-length': '0' }, followRedirects: false,
    }, [`repository:${repository}:pull,push`, `repository:${from}:pull`]);
    if (response.status === 201) {
      await response.body?.cancel().catch(() => {});
      return { kind: 'mounted', from };
    }
    if (response.status === 202) {
      // The registry opened an ordinary upload instead; use it rather than leave it dangling.
      location = uploadLocation(response, where);
      await response.body?.cancel().catch(() => {});
      break;
    }
    await client.expectOk(response, where, 'BLOB_UPLOAD_INVALID');
  }
  if (!location) {
    const response = await client.session.request({ method: 'POST', path: `/v2/${repository}/blobs/uploads/`, headers: { 'content-length': '0' }, followRedirects: false }, [`repository:${repository}:pull,push`]);
    if (response.status !== 202) await client.expectOk(response, where, 'BLOB_UPLOAD_INVALID');
    location = uploadLocation(response, where);
    await response.body?.cancel().catch(() => {});
  }
  const monolithic = options.monolithic ?? (!options.chunkSize && descriptor.size <= MONOLITHIC_MAX);
  if (monolithic) {
    // POST then a single PUT with the bytes and the digest: the spec's monolithic upload.
    const bytes = new Uint8Array(await new Response(await open()).arrayBuffer());
    const target = new URL(location, client.session.origin);
    target.searchParams.set('digest', descriptor.digest);
    const response = await client.session.request({
      method: 'PUT', path: target.href, followRedirects: false, retry: false, body: bytes,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    }, [`repository:${repository}:pull,push`]);
    if (response.status !== 201) await client.expectOk(response, where, 'BLOB_UPLOAD_INVALID');
    await response.body?.cancel().catch(() => {});
    options.onBytes?.(bytes.length);
    return { kind: 'pushed' };
  }
  location = options.chunkSize
    ? await patchChunks(client, repository, location, open, options.chunkSize, where, options.onBytes)
    : await patchWhole(client, repository, location, open, descriptor.size, where, options.onBytes);
  const final = new URL(location, client.session.origin);
  final.searchParams.set('digest', descriptor.digest);
  const response = await client.session.request({ method: 'PUT', path: final.href, headers: { 'content-length': '0' }, followRedirects: false, retry: false }, [`repository:${repository}:pull,push`]);
  if (response.status !== 201) await client.expectOk(response, where, 'BLOB_UPLOAD_INVALID');
  await response.body?.cancel().catch(() => {});
  return { kind: 'pushed' };
}

function uploadLocation(response: Response, where: string): string {
  const location = response.headers.get('location');
  if (!location) throw new LayerkitError('REGISTRY_PROTOCOL', `${where}: the registry opened an upload without a Location`);
  return location;
}

/** One PATCH with the whole stream (Content-Length known, so no chunked encoding is needed). */
async function patchWhole(client: UploadClient, repository: string, location: string, open: Opener, size: number, where: string, onBytes?: (n: number) => void): Promise<string> {
  let stream = await open();
  if (onBytes) stream = stream.pipeThrough(counter(onBytes));
  const response = await client.session.request({
    method: 'PATCH', path: location, retry: false, followRedirects: false,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: () => stream,
  }, [`repository:${repository}:pull,push`]);
  if (response.status !== 202) await client.expectOk(response, where, 'BLOB_UPLOAD_INVALID');
  await response.body?.cancel().catch(() => {});
  return uploadLocation(response, where);
}

/** PATCHes of `chunkSize` bytes, each with its Content-Range, following the Location each answer gives. */
async function patchChunks(client: UploadClient, repository: string, location: string, open: Opener, chunkSize: number, where: string, onBytes?: (n: number) => void): Promise<string> {
  const reader = (await open()).getReader();
  let sent = 0;
  let pending: Uint8Array[] = [];
  let pendingSize = 0;
  const flush = async () => {
    const chunk = new Uint8Array(pendingSize);
    let offset = 0;
    for (const part of pending) { chunk.set(part, offset); offset += part.length; }
    pending = [];
    pendingSize = 0;
    const response = await client.session.request({
      method: 'PATCH', path: location, followRedirects: false, body: chunk,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${sent}-${sent + chunk.length - 1}`, 'content-length': String(chunk.length) },
    }, [`repository:${repository}:pull,push`]);
    if (response.status !== 202) await client.expectOk(response, where, 'BLOB_UPLOAD_INVALID');
    await response.body?.cancel().catch(() => {});
    location = uploadLocation(response, where);
    sent += chunk.length;
    onBytes?.(sent);
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let offset = 0; offset < value.length; ) {
      const take = Math.min(chunkSize - pendingSize, value.length - offset);
      pending.push(value.subarray(offset, offset + take));
      pendingSize += take;
      offset += take;
      if (pendingSize === chunkSize) await flush();
    }
  }
  if (pendingSize > 0) await flush();
  return location;
}

function counter(onBytes: (n: number) => void): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({ transform(chunk, controller) { total += chunk.length; onBytes(total); controller.enqueue(chunk); } });
}
