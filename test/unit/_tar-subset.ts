/**
 * The embedded corpus subset (see test/host/tar-subset-fresh.test.ts), decoded: portable, so the
 * workerd suite checks conformance with Go too.
 *
 *   for (const c of await loadTarSubset()) … c.id, c.tar (base64), c.go (Go's listing)
 */
import type { GoListing } from '../_tar-compare.ts';
import { TAR_SUBSET_GZIP_BASE64 } from './_tar-subset-data.ts';

export interface SubsetCase {
  id: string;
  tar: string;
  go: GoListing;
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export async function loadTarSubset(): Promise<SubsetCase[]> {
  if (TAR_SUBSET_GZIP_BASE64 === '') return [];
  const stream = new Blob([fromBase64(TAR_SUBSET_GZIP_BASE64)]).stream().pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  return JSON.parse(await new Response(stream).text());
}
