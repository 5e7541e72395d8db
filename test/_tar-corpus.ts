/**
 * The tar corpus (/work/shared/corpus/tar, or $LAYERKIT_TAR_CORPUS) for host tests: its cases,
 * their bytes (corpus-only gzip/bzip2 removed first) and Go's reference listing, and the field by
 * field comparison of our tar entry JSON (docs/cli.md) with Go's.
 *
 *   for (const c of tarCases()) goDifferences(await goReference(c), entries, error) // [] when equal
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { TarEntryJson } from '../src/tar/entry-json.ts';
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

export interface GoError {
  entry_index: number;
  phase: 'header' | 'data';
  message: string;
}

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

const sorted = (o: Record<string, unknown> | undefined) => (o && Object.keys(o).length ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined);

/**
 * Differences between Go's listing and ours: same entries (names, types, sizes, permission bits,
 * ids, owner names, times, links, devices, xattrs, pax records, content digests) and the same
 * error entry index and phase.
 */
export function goDifferences(go: { entries: any[]; error: GoError | null }, ours: TarEntryJson[], error: { entryIndex: number; phase: string } | null): string[] {
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
