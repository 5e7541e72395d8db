/**
 * ChainIDs as the OCI image spec defines them: chainID(1) = diffID(1),
 * chainID(n) = sha256(chainID(n-1) + " " + diffID(n)). They name a stack of layers.
 *
 *   await chainIDs([a, b]) // [a, sha256("a b")]
 */
import type { Digest } from '../digest/digest.ts';
import { digestBytes } from '../digest/stream.ts';

export async function chainIDs(diffIDs: readonly Digest[]): Promise<Digest[]> {
  const out: Digest[] = [];
  const encoder = new TextEncoder();
  for (const diffID of diffIDs) {
    const previous = out.at(-1);
    out.push(previous === undefined ? diffID : await digestBytes(encoder.encode(`${previous} ${diffID}`)));
  }
  return out;
}
