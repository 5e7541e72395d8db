/**
 * Platforms: parsing `os/arch[/variant]`, and picking one manifest from an index the way docker
 * does — the requested platform, else the host's, else the only one, else an error listing all.
 *
 *   pickPlatform(index.manifests, parsePlatform('linux/arm64/v8'))
 */
import { LayerkitError, UsageError } from '../errors.ts';
import type { Descriptor, Platform } from './types.ts';

export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '' || !/^[a-z0-9._-]+$/i.test(p))) {
    throw new UsageError('BAD_PLATFORM', `"${text}" is not a platform`, { hint: 'write os/arch[/variant], e.g. linux/amd64 or linux/arm/v7' });
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return normalisePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}

/** Go's names (what images record) for the aliases people type. */
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', x64: 'amd64', aarch64: 'arm64', ia32: '386', i386: '386' };

export function normalisePlatform(p: Platform): Platform {
  const architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  let variant = p.variant;
  if (architecture === 'arm64' && variant === 'v8') variant = undefined; // arm64 means v8 unless stated otherwise
  return { ...p, architecture, ...(variant ? { variant } : { variant: undefined }) };
}

export const formatPlatform = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** The host's platform as Go names it (node's `process.arch` is passed in by the CLI). */
export function hostPlatform(os: string, arch: string): Platform {
  const osName = os === 'win32' ? 'windows' : os;
  const archName = ({ x64: 'amd64', ia32: '386', arm: 'arm' } as Record<string, string>)[arch] ?? arch;
  return normalisePlatform({ os: osName, architecture: archName, ...(archName === 'arm' ? { variant: 'v7' } : {}) });
}

function matches(candidate: Platform | undefined, wanted: Platform): boolean {
  if (!candidate) return false;
  const c = normalisePlatform(candidate);
  return c.os === wanted.os && c.architecture === wanted.architecture && (wanted.variant === undefined || c.variant === wanted.variant);
}

/** Attestation manifests (buildx `unknown/unknown`) are never images to run. */
const isAttestation = (d: Descriptor) => d.platform?.os === 'unknown' || d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';

/**
 * Picks the manifest for `requested` (exact), else for `host`, else the only candidate; otherwise
 * PLATFORM_NOT_FOUND listing the choices.
 */
export function pickPlatform(manifests: readonly Descriptor[], requested: Platform | undefined, host: Platform | undefined): Descriptor {
  const candidates = manifests.filter((d) => !isAttestation(d));
  const choices = () => candidates.map((d) => (d.platform ? formatPlatform(d.platform) : '(no platform)')).join(', ') || 'none';
  if (requested) {
    const wanted = normalisePlatform(requested);
    const found = candidates.find((d) => matches(d.platform, wanted));
    if (found) return found;
    throw new LayerkitError('PLATFORM_NOT_FOUND', `no image for ${formatPlatform(wanted)} in the index`, { hint: `available: ${choices()}` });
  }
  if (host) {
    const found = candidates.find((d) => matches(d.platform, normalisePlatform(host)));
    if (found) return found;
  }
  if (candidates.length === 1) return candidates[0]!;
  throw new LayerkitError('PLATFORM_AMBIGUOUS', `the index holds ${candidates.length} images and none is for this host`, {
    hint: `pick one with --platform: ${choices()}`,
  });
}
