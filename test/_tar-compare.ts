/**
 * Field-by-field comparison of our tar entry JSON (docs/cli.md) with Go archive/tar's listing in
 * the corpus reference format. Pure (no host APIs), so the workerd suite can use it too.
 *
 *   goDifferences(go, entries, error) // [] when they agree
 */
import type { TarEntryJson } from '../src/tar/entry-json.ts';

export interface GoError {
  entry_index: number;
  phase: 'header' | 'data';
  message?: string;
}

export interface GoListing {
  entries: any[];
  error: GoError | null;
}

const sorted = (o: Record<string, unknown> | undefined) => (o && Object.keys(o).length ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined);

/**
 * Differences between Go's listing and ours: same entries (names, types, sizes, permission bits,
 * ids, owner names, times, links, devices, xattrs, pax records, content digests) and the same
 * error entry index and phase.
 */
export function goDifferences(go: GoListing, ours: TarEntryJson[], error: { entryIndex: number; phase: string } | null): string[] {
  const out: string[] = [];
  const goErr = go.error ? `${go.error.phase}@${go.error.entry_index}` : 'none';
  const ourErr = error ? `${error.phase}@${error.entryIndex}` : 'none';
  if (goErr !== ourErr) out.push(`error: go ${goErr} (${go.error?.message ?? ''}), ours ${ourErr}`);
  if (go.entries.length !== ours.length) out.push(`entries: go ${go.entries.length}, ours ${ours.length}`);
  for (let i = 0; i < Math.min(go.entries.length, ours.length); i++) {
    const g = go.entries[i], o = ours[i]!;
    const check = (field: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`entry ${i} ${field}: go ${JSON.stringify(a)?.slice(0, 160)}, ours ${JSON.stringify(b)?.slice(0, 160)}`);
    };
    if (g.name_hex) check('nameHex', g.name_hex, o.nameHex);
    else check('name', g.name, o.name);
    if (g.linkname_hex) check('linknameHex', g.linkname_hex, o.linknameHex);
    else check('linkname', g.linkname, o.linkname);
    check('type', g.kind === 'pax-global' ? 'pax-global' : g.kind, o.type);
    check('size', g.size, o.size);
    check('mode', g.mode & 0o7777, o.mode);
    for (const f of ['uid', 'gid', 'uname', 'gname', 'mtime', 'atime', 'ctime', 'devmajor', 'devminor', 'sha256'] as const) check(f, g[f], o[f]);
    check('xattrs', sorted(g.xattrs), sorted(o.xattrs));
    // Go's PAXRecords hold every record; ours split them into xattrs (non-empty SCHILY.xattr.*) and pax.
    const goPax: Record<string, string> = { ...(g.pax ?? {}) };
    for (const [k, v] of Object.entries(g.pax_hex ?? {})) goPax[k] = `hex:${v}`;
    const ourPax: Record<string, string> = { ...(o.pax ?? {}) };
    for (const [k, v] of Object.entries(o.xattrs ?? {})) ourPax[`SCHILY.xattr.${k}`] = v;
    check('pax', sorted(goPax), sorted(ourPax));
  }
  return out;
}
