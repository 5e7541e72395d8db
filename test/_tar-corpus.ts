/**
 * The tar corpus (/work/shared/corpus/tar, or $LAYERKIT_TAR_CORPUS) for host tests: its cases,
 * their bytes (corpus-only gzip/bzip2 removed first) and Go's reference listing, and the field by
 * field comparison of our tar entry JSON (docs/cli.md) with Go's.
 *
 *   for (const c of tarCases()) goDifferences(await goReference(c), entries, error) // [] when equal
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { nodeHost } from '../src/runtime/node.ts';

export const corpusRoot = process.env.LAYERKIT_TAR_CORPUS ?? new URL('../../shared/corpus/tar/', import.meta.url).pathname;
export const corpusPresent = existsSync(corpusRoot + 'index.json');

export interface TarCase {
  id: string;
  path: string;
  reference: string;
  slow: boolean;
  category: string;
}

import type { GoError, GoListing } from './_tar-compare.ts';

export function tarCases(): TarCase[] {
  return JSON.parse(readFileSync(corpusRoot + 'index.json', 'utf8')).cases;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The archive as a tar: corpus compression (gzip, gzip twice, bzip2) removed; undefined if bzip2 is missing. */
export async function caseBytes(c: TarCase): Promise<Uint8Array | undefined> {
  const file = corpusRoot + c.path;
  let bytes: Uint8Array = new Uint8Array(readFileSync(file));
  if (c.path.endsWith('.bz2')) {
    const result = spawnSync('bzip2', ['-dc', file], { maxBuffer: 1 << 30 });
    if (result.status !== 0) return undefined;
    return new Uint8Array(result.stdout);
  }
  if (c.path.endsWith('.gz.gz')) bytes = await gunzip(bytes);
  if (c.path.endsWith('.gz')) bytes = await gunzip(bytes);
  return bytes;
}

/** The archive as a stream of tar bytes (for archives too large to hold in memory). */
export async function caseStream(c: TarCase): Promise<ReadableStream<Uint8Array> | undefined> {
  if (c.path.endsWith('.bz2')) {
    const bytes = await caseBytes(c);
    return bytes && new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  }
  let stream = nodeHost.openRead(corpusRoot + c.path);
  const gunzipStream = () => new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
  if (c.path.endsWith('.gz.gz')) stream = stream.pipeThrough(gunzipStream());
  if (c.path.endsWith('.gz')) stream = stream.pipeThrough(gunzipStream());
  return stream;
}

export async function goReference(c: TarCase): Promise<{ entries: any[]; error: GoError | null }> {
  const file = corpusRoot + c.reference;
  const raw = file.endsWith('.gz') ? new TextDecoder().decode(await gunzip(new Uint8Array(readFileSync(file)))) : readFileSync(file, 'utf8');
  return JSON.parse(raw).go;
}

export { goDifferences, type GoListing } from './_tar-compare.ts';


/** Cases small enough to embed in the portable suite (workerd has no host files). */
export const SUBSET_MAX_BYTES = 4096;

/** The embedded subset: small archives (base64) with Go's listing trimmed to the compared fields. */
export async function buildTarSubset(): Promise<{ id: string; tar: string; go: GoListing }[]> {
  const keep = ['name', 'name_hex', 'linkname', 'linkname_hex', 'kind', 'size', 'mode', 'uid', 'gid', 'uname', 'gname', 'mtime', 'atime', 'ctime', 'devmajor', 'devminor', 'sha256', 'xattrs', 'pax', 'pax_hex'];
  const out: { id: string; tar: string; go: GoListing }[] = [];
  for (const c of tarCases()) {
    if (c.slow || !c.path.endsWith('.tar') || statSync(corpusRoot + c.path).size > SUBSET_MAX_BYTES) continue;
    const go = await goReference(c);
    const entries = go.entries.map((e) => Object.fromEntries(keep.filter((k) => k in e).map((k) => [k, e[k]])));
    const error = go.error ? { entry_index: go.error.entry_index, phase: go.error.phase } : null;
    out.push({ id: c.id, tar: Buffer.from(readFileSync(corpusRoot + c.path)).toString('base64'), go: { entries, error } });
  }
  return out;
}
