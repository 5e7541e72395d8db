/** The one runtime probe: which JavaScript runtime is this? Used only to choose defaults. */
import type { RuntimeName } from '../host.ts';

export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === 'object') return 'deno';
  if (typeof g.Bun === 'object') return 'bun';
  if (typeof navigator === 'object' && navigator.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (typeof g.process === 'object' && (g.process as { versions?: { node?: string } }).versions?.node) return 'node';
  return 'other';
}
