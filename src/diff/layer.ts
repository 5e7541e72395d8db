/**
 * The layer that turns tree A into tree B, entry by entry, by containerd's ChangeWriter rules:
 * entries in change order, each preceded by its parent directories not yet written (taken from
 * B), `.wh.NAME` for a deletion (empty regular file, mode 0, ids 0, mtime 0), other entries as
 * B has them with mtime truncated to whole seconds, directories named with a trailing `/`,
 * hard links written once as a file and then as links to the first name written, sockets skipped.
 * With `opaque`, a directory whose old children are all gone and whose every descendant is
 * written anyway gets one `.wh..wh..opq` marker instead of a whiteout per old child.
 *
 *   const records = await walkDiff(a, b, {}, true);
 *   const entries = layerEntries(b, records); // [{ name: 'etc/', type: 'dir', ... }, ...]
 */
import type { WalkRecord } from './changes.ts';
import { CAPABILITY_XATTR, type DiffTree, type TreeEntry } from './tree.ts';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type LayerEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One entry of the generated layer (what the tar header will say) and where its bytes come from. */
export interface LayerEntry {
  name: string;
  type: LayerEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Whole seconds. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** `SCHILY.xattr.*` records: only security.capability, as containerd writes. */
  xattrs?: Record<string, Uint8Array>;
  /** The B entry whose content a `file` carries. */
  source?: TreeEntry;
}

export interface LayerOptions {
  /** Use an opaque marker where it replaces more whiteouts than it costs (containerd never does). */
  opaque?: boolean;
}

const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** An empty marker file `name` in `dir` (mode 0, ids 0, mtime 0, as containerd ≥ 2.0 writes whiteouts). */
function marker(dir: string, name: string): LayerEntry {
  return { name: dir ? `${dir}/${name}` : name, type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 };
}

const whiteout = (path: string) => marker(parentOf(path), WHITEOUT_PREFIX + baseOf(path));

/** tar.FileInfoHeader of a B entry, as ChangeWriter adjusts it. */
function headerOf(e: TreeEntry): LayerEntry | undefined {
  if (e.type === 'socket') return undefined;
  const header: LayerEntry = {
    name: e.type === 'dir' ? `${e.path}/` : e.path,
    type: e.type,
    mode: e.mode & 0o7777,
    uid: e.uid,
    gid: e.gid,
    size: e.type === 'file' ? e.size : 0,
    mtime: e.mtimeSec,
  };
  if (e.type === 'symlink') header.linkname = e.linkname ?? '';
  if (e.type === 'char' || e.type === 'block') Object.assign(header, { devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0 });
  const capability = e.xattrs?.[CAPABILITY_XATTR];
  if (capability) header.xattrs = { [CAPABILITY_XATTR]: capability };
  if (e.type === 'file') header.source = e;
  return header;
}

/** Directories (in both trees) whose deleted children an opaque marker may replace. */
function opaqueDirectories(after: DiffTree, records: readonly WalkRecord[]): Set<string> {
  const deletedChildren = new Map<string, number>();
  const written = new Set<string>();
  for (const r of records) {
    if (r.kind === 'D') deletedChildren.set(parentOf(r.path), (deletedChildren.get(parentOf(r.path)) ?? 0) + 1);
    else if (r.kind !== 'U') written.add(r.path);
  }
  const chosen = new Set<string>();
  for (const [dir, count] of deletedChildren) {
    if (count < 2 || dir === '') continue; // one whiteout costs what one marker costs; the root has no entry of its own
    const at = after.index.get(dir);
    if (at === undefined || after.entries[at]!.type !== 'dir') continue;
    let allWritten = true;
    for (let k = at + 1; k < after.entries.length && after.entries[k]!.path.startsWith(dir + '/'); k++) {
      if (!written.has(after.entries[k]!.path)) { allWritten = false; break; }
    }
    if (allWritten) chosen.add(dir);
  }
  return chosen;
}

/** The generated layer's entries, in order. `records` come from `walkDiff(a, b, options, true)`. */
export function layerEntries(after: DiffTree, records: readonly WalkRecord[], options: LayerOptions = {}): LayerEntry[] {
  const out: LayerEntry[] = [];
  const addedDirs = new Set<string>();
  const linkSource = new Map<string, string>();
  const heldLinks = new Map<string, string[]>();
  const opaque = options.opaque ? opaqueDirectories(after, records) : new Set<string>();
  const markedOpaque = new Set<string>();

  const includeParents = (name: string, isDir: boolean) => {
    const path = name.endsWith('/') ? name.slice(0, -1) : name;
    const parent = parentOf(path);
    if (path !== '' && parent !== '' && !addedDirs.has(parent)) {
      addedDirs.add(parent);
      const at = after.index.get(parent);
      if (at !== undefined) handle('C', after.entries[at]!);
    }
    if (isDir) addedDirs.add(path);
  };

  const handle = (kind: WalkRecord['kind'], e: TreeEntry) => {
    const header = headerOf(e);
    if (!header) return;
    let extraNames: string[] = [];
    if (e.linkGroup !== undefined && e.type !== 'dir') {
      const first = linkSource.get(e.linkGroup);
      if (first !== undefined) Object.assign(header, { type: 'hardlink', linkname: first, size: 0, source: undefined });
      else if (kind === 'U') return void heldLinks.set(e.linkGroup, [...(heldLinks.get(e.linkGroup) ?? []), header.name]);
      else {
        linkSource.set(e.linkGroup, header.name);
        extraNames = heldLinks.get(e.linkGroup) ?? [];
        heldLinks.delete(e.linkGroup);
      }
    } else if (kind === 'U') return;
    includeParents(header.name, header.type === 'dir');
    out.push(header);
    for (const name of extraNames) {
      const link: LayerEntry = { ...header, name, type: 'hardlink', linkname: header.name, size: 0, source: undefined };
      includeParents(name, false);
      out.push(link);
    }
  };

  for (const r of records) {
    if (r.kind !== 'D') {
      handle(r.kind, r.after!);
      continue;
    }
    const dir = parentOf(r.path);
    if (opaque.has(dir)) {
      if (markedOpaque.has(dir)) continue;
      markedOpaque.add(dir);
      const opaqueMarker = marker(dir, OPAQUE_MARKER);
      includeParents(opaqueMarker.name, false);
      out.push(opaqueMarker);
      continue;
    }
    const entry = whiteout(r.path);
    includeParents(entry.name, false);
    out.push(entry);
  }
  return out;
}
