/**
 * Content digests as OCI writes them: `algorithm:hex`, parsed strictly so that a digest can be
 * used to build a path or URL only after it was checked (`sha256:../x` never gets that far).
 *
 *   const d = parseDigest('sha256:e3b0…b855'); d.algorithm === 'sha256'
 */
import { LayerkitError } from '../errors.ts';

export type Algorithm = 'sha256' | 'sha512';

/** A digest string that passed `parseDigest` or was made by `formatDigest`. */
export type Digest = string & { readonly __digest: unique symbol };

const HEX_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };
export const ALGORITHMS = Object.keys(HEX_LENGTH) as Algorithm[];

export function isAlgorithm(name: string): name is Algorithm {
  return Object.hasOwn(HEX_LENGTH, name);
}

export interface ParsedDigest {
  algorithm: Algorithm;
  hex: string;
  digest: Digest;
}

/** Parses `algorithm:hex`; wrong length, upper case, other characters or an unknown algorithm throw DIGEST_INVALID. */
export function parseDigest(value: string): ParsedDigest {
  const colon = value.indexOf(':');
  const algorithm = colon < 0 ? '' : value.slice(0, colon);
  const hex = value.slice(colon + 1);
  const shown = JSON.stringify(value.length > 150 ? value.slice(0, 150) + '…' : value);
  if (!isAlgorithm(algorithm)) {
    throw new LayerkitError('DIGEST_INVALID', `${shown} is not a digest: unknown algorithm`, {
      hint: `expected ${ALGORITHMS.join(' or ')}:<lowercase hex>`,
    });
  }
  const length = HEX_LENGTH[algorithm];
  if (hex.length !== length || !/^[0-9a-f]*$/.test(hex)) {
    throw new LayerkitError('DIGEST_INVALID', `${shown} is not a digest`, {
      hint: `${algorithm} needs exactly ${length} lowercase hex digits`,
    });
  }
  return { algorithm, hex, digest: value as Digest };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

export function formatDigest(algorithm: Algorithm, bytes: Uint8Array): Digest {
  return `${algorithm}:${toHex(bytes)}` as Digest;
}
