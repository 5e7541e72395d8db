/**
 * Where the shared conformance corpora are: `$LAYERKIT_CORPUS/<kind>`, else `shared/corpus/<kind>`
 * beside the repository (as CI lays it out), e.g. `corpusDir('diff')` → `…/shared/corpus/diff`.
 */
export function corpusDir(kind: 'tar' | 'union' | 'diff'): string {
  const base = process.env.LAYERKIT_CORPUS ?? new URL('../../shared/corpus/', import.meta.url).pathname;
  return `${base.replace(/\/$/, '')}/${kind}`;
}
