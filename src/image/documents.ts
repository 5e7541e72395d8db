/**
 * Parsing manifests, indexes and configs strictly: size caps before reading whole, one kind per
 * document (CVE-2021-41190), schema 1 refused, every digest checked before anyone builds a path.
 *
 *   const doc = parseManifestOrIndex(bytes); if (doc.kind === 'index') pickPlatform(doc.index.manifests, …)
 */
import { parseDigest, type Digest } from '../digest/digest.ts';
import { LayerkitError } from '../errors.ts';
import { isIndexType, isManifestType, isSchema1Type } from './media-types.ts';
import type { Descriptor, ImageConfig, Index, Manifest } from './types.ts';

/** containerd's caps: larger documents are refused before they are read whole. */
export const MAX_MANIFEST_BYTES = 4 << 20;
export const MAX_CONFIG_BYTES = 8 << 20;

export type ParsedDocument = { kind: 'manifest'; manifest: Manifest } | { kind: 'index'; index: Index };

function json(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new LayerkitError('DOCUMENT_INVALID', `the ${what} is not valid JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LayerkitError('DOCUMENT_INVALID', `the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Checks a descriptor's shape and digest; returns it typed. */
export function checkDescriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null || typeof d.mediaType !== 'string' || typeof d.digest !== 'string') {
    throw new LayerkitError('DOCUMENT_INVALID', `${where} is not a descriptor (mediaType, digest, size)`);
  }
  parseDigest(d.digest);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new LayerkitError('DOCUMENT_INVALID', `${where} has no valid size`);
  }
  if (d.urls !== undefined && !(Array.isArray(d.urls) && d.urls.every((u) => typeof u === 'string'))) {
    throw new LayerkitError('DOCUMENT_INVALID', `${where} has invalid urls`);
  }
  return d as Descriptor;
}

/** Parses a manifest or an index; refuses ambiguity, schema 1 and unknown kinds. */
export function parseManifestOrIndex(bytes: Uint8Array, declaredType?: string): ParsedDocument {
  if (bytes.length > MAX_MANIFEST_BYTES) throw tooLarge('manifest', bytes.length, MAX_MANIFEST_BYTES);
  const doc = json(bytes, 'manifest');
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.schemaVersion === 1 || isSchema1Type(mediaType) || isSchema1Type(declaredType)) {
    throw new LayerkitError('SCHEMA1_UNSUPPORTED', 'Docker schema 1 manifests are not supported', {
      hint: 'schema 1 was removed from Docker and registries; re-push the image with a current client',
    });
  }
  const hasManifests = 'manifests' in doc;
  const hasLayers = 'layers' in doc || 'config' in doc;
  if (hasManifests && hasLayers) {
    throw new LayerkitError('DOCUMENT_AMBIGUOUS', 'the document is both an index (manifests) and a manifest (config, layers)', {
      hint: 'refused as a confusion attack (CVE-2021-41190)',
    });
  }
  if (doc.schemaVersion !== 2) throw new LayerkitError('DOCUMENT_INVALID', `schemaVersion ${JSON.stringify(doc.schemaVersion)} is not 2`);
  if (mediaType !== undefined && declaredType !== undefined && mediaType !== declaredType && (isIndexType(declaredType) || isManifestType(declaredType))) {
    throw new LayerkitError('DOCUMENT_AMBIGUOUS', `the document says ${mediaType} but was announced as ${declaredType}`);
  }
  const type = mediaType ?? declaredType;
  if (hasManifests || (type !== undefined && isIndexType(type))) {
    if ((mediaType !== undefined && isManifestType(mediaType)) || hasLayers) throw new LayerkitError('DOCUMENT_AMBIGUOUS', 'an index that carries a manifest media type or manifest fields');
    if (!Array.isArray(doc.manifests)) throw new LayerkitError('DOCUMENT_INVALID', 'the index has no manifests array');
    doc.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`));
    return { kind: 'index', index: doc as unknown as Index };
  }
  if (mediaType !== undefined && isIndexType(mediaType)) throw new LayerkitError('DOCUMENT_AMBIGUOUS', 'an index media type on a manifest');
  if (!Array.isArray(doc.layers)) throw new LayerkitError('DOCUMENT_INVALID', 'the manifest has no layers array');
  checkDescriptor(doc.config, 'config');
  doc.layers.forEach((l, i) => checkDescriptor(l, `layers[${i}]`));
  return { kind: 'manifest', manifest: doc as unknown as Manifest };
}

/** Parses an image config and checks its diff_ids. */
export function parseConfig(bytes: Uint8Array): ImageConfig {
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge('config', bytes.length, MAX_CONFIG_BYTES);
  const config = json(bytes, 'image config') as unknown as ImageConfig;
  const diffIDs = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIDs)) throw new LayerkitError('DOCUMENT_INVALID', 'the image config has no rootfs.diff_ids');
  diffIDs.forEach((d) => parseDigest(String(d)));
  if (config.history !== undefined && !Array.isArray(config.history)) throw new LayerkitError('DOCUMENT_INVALID', 'history is not an array');
  return config;
}

export function tooLarge(what: string, size: number, limit: number): LayerkitError {
  return new LayerkitError('DOCUMENT_TOO_LARGE', `the ${what} is ${size} bytes, over the ${limit}-byte limit`, {
    hint: 'refused before reading it whole; a real image never needs this much',
  });
}

export const digestOf = (d: Descriptor): Digest => parseDigest(d.digest).digest;
