/**
 * Manifest documents as a registry serves them: the media types layerkit accepts, and the checks
 * a document must pass before it is trusted (Content-Type matches the document, a manifest is not
 * also an index, schema 1 refused, the digest is of the bytes that arrived).
 *
 *   const doc = checkManifest(bytes, response.headers.get('content-type'), 'docker://host/app:1');
 *   doc.kind // 'manifest' | 'index'
 */
import { type Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import type { Index, Manifest } from '../image/types.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

export const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST];
export const INDEX_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST];
/** What layerkit asks for, in docker's order of preference. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export type ManifestDocument =
  | { kind: 'manifest'; mediaType: string; manifest: Manifest }
  | { kind: 'index'; mediaType: string; index: Index };

export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: Digest;
}

const bare = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** Parses and checks a manifest or index; MANIFEST_INVALID / MANIFEST_UNSUPPORTED on anything off. */
export function checkManifest(bytes: Uint8Array, contentType: string | null, where: string): ManifestDocument {
  const type = bare(contentType);
  const bad = (why: string, code = 'MANIFEST_INVALID') => new LayerkitError(code, `${where}: ${why}`);
  if (SCHEMA1.includes(type)) throw bad('is a schema 1 manifest, which is deprecated and not supported', 'MANIFEST_UNSUPPORTED');
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new LayerkitError('MANIFEST_INVALID', `${where}: the manifest is not JSON`, { cause });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('the manifest is not a JSON object');
  if (doc.schemaVersion === 1) throw bad('is a schema 1 manifest, which is deprecated and not supported', 'MANIFEST_UNSUPPORTED');
  if (doc.schemaVersion !== 2) throw bad(`schemaVersion ${JSON.stringify(doc.schemaVersion)} is not 2`);
  if ('manifests' in doc && ('layers' in doc || 'config' in doc)) throw bad('the document is both an index and a manifest (CVE-2021-41190)');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const mediaType = type && type !== 'application/json' ? type : declared ?? '';
  if (declared !== undefined && declared !== mediaType) throw bad(`Content-Type ${JSON.stringify(type)} does not match the document's mediaType ${JSON.stringify(declared)}`);
  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw bad('an index without a "manifests" list');
    return { kind: 'index', mediaType, index: doc as unknown as Index };
  }
  if (MANIFEST_TYPES.includes(mediaType)) {
    if (typeof doc.config !== 'object' || doc.config === null || !Array.isArray(doc.layers)) throw bad('a manifest without "config" and "layers"');
    return { kind: 'manifest', mediaType, manifest: doc as unknown as Manifest };
  }
  throw bad(`media type ${JSON.stringify(mediaType || '(none)')} is not an image manifest or index`, 'MANIFEST_UNSUPPORTED');
}
