/** node:crypto's streaming hashes as a layerkit Hasher (Node, Deno, Bun, workerd with nodejs_compat). */
import { createHash } from 'node:crypto';
import type { Hasher } from '../digest/backends.ts';
import type { Algorithm } from '../digest/digest.ts';

export function nodeCryptoHash(algorithm: Algorithm): Hasher {
  const hash = createHash(algorithm);
  return {
    update: (data) => hash.update(data),
    digest: () => new Uint8Array(hash.digest()),
  };
}
