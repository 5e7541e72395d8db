/**
 * What changed from tree A to tree B, by containerd's rule (the one `docker diff` and `docker
 * commit` use): the double walk runs in the WASM kernel; regular files whose verdict rests on
 * their bytes are settled here by comparing content (digests when both sides know them).
 *
 *   const changes = await diffTrees(buildTree(before), buildTree(after));
 *   changes.map((c) => `${c.kind} /${c.path}`) // ['A /etc/new.conf', 'D /var/lib']
 */
import { DIFF_FLAGS, encodeTree, RECORD_KIND, runDiffKernel } from '../core/diff.ts';
import { core } from '../core/wasm.ts';
import type { DiffTree, TreeEntry } from './tree.ts';

export type ChangeKind = 'A' | 'C' | 'D';

/** One change; `before` is the entry in A, `after` the entry in B. */
export interface Change {
  kind: ChangeKind;
  /** Relative path, as in the tree (`docker diff` prints it with a leading `/`). */
  path: string;
  before?: TreeEntry;
  after?: TreeEntry;
}

/** A change, or an unchanged name of a hard-linked inode (kind `U`, for the layer writer). */
export interface WalkRecord {
  kind: ChangeKind | 'U';
  path: string;
  before?: TreeEntry;
  after?: TreeEntry;
}

export interface DiffOptions {
  /** Compare content whenever sizes match, even when the mtimes agree (certainty over speed). */
  content?: boolean;
  /** Attributes left out of the comparison; `mtime` makes content decide whenever sizes match. */
  ignore?: readonly 'mtime'[];
  /** List every directory with a change below it as `C`, as `docker diff` shows an overlay upper dir. */
  parents?: boolean;
}

const equalBytes = (x: Uint8Array, y: Uint8Array) => x.length === y.length && x.every((v, k) => v === y[k]);

/** Whether two regular files hold the same bytes; unknown content counts as different. */
export async function sameContent(x: TreeEntry, y: TreeEntry): Promise<boolean> {
  if (x.sha256 && y.sha256) return x.sha256 === y.sha256;
  if (!x.content || !y.content) return false;
  const [p, q] = await Promise.all([x.content(), y.content()]);
  return equalBytes(p, q);
}

function kernelFlags(options: DiffOptions, links: boolean): number {
  let flags = 0;
  if (options.content) flags |= DIFF_FLAGS.content;
  if (options.ignore?.includes('mtime')) flags |= DIFF_FLAGS.ignoreMtime;
  if (links) flags |= DIFF_FLAGS.reportLinks;
  return flags;
}

/** The walk with unchanged hard-link names kept (kind `U`) when `links` is set. */
export async function walkDiff(a: DiffTree, b: DiffTree, options: DiffOptions = {}, links = false): Promise<WalkRecord[]> {
  const c = core();
  const encodedA = encodeTree(c, a);
  const encodedB = encodeTree(c, b);
  let records;
  try {
    records = runDiffKernel(c, encodedA, encodedB, kernelFlags(options, links));
  } finally {
    encodedB.free();
    encodedA.free();
  }
  const out: WalkRecord[] = [];
  for (const r of records) {
    const before = r.a >= 0 ? a.entries[r.a] : undefined;
    const after = r.b >= 0 ? b.entries[r.b] : undefined;
    const path = (after ?? before)!.path;
    switch (r.kind) {
      case RECORD_KIND.added: out.push({ kind: 'A', path, after }); break;
      case RECORD_KIND.deleted: out.push({ kind: 'D', path, before }); break;
      case RECORD_KIND.changed: out.push({ kind: 'C', path, before, after }); break;
      case RECORD_KIND.unchangedLink: out.push({ kind: 'U', path, before, after }); break;
      case RECORD_KIND.maybe: {
        const same = await sameContent(before!, after!);
        if (!same) out.push({ kind: 'C', path, before, after });
        else if (links && after!.linkGroup !== undefined) out.push({ kind: 'U', path, before, after });
        break;
      }
    }
  }
  return out;
}

/** Adds `C` for every directory, present as a directory on both sides, that has a change below it. */
export function withParents(changes: Change[], a: DiffTree, b: DiffTree): Change[] {
  const listed = new Set(changes.map((c) => c.path));
  const out: Change[] = [];
  for (const change of changes) {
    const parts = change.path.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      if (listed.has(dir)) continue;
      const before = a.entries[a.index.get(dir) ?? -1];
      const after = b.entries[b.index.get(dir) ?? -1];
      if (before?.type !== 'dir' || after?.type !== 'dir') continue;
      listed.add(dir);
      out.push({ kind: 'C', path: dir, before, after });
    }
    out.push(change);
  }
  return out;
}

/** The changes from `a` to `b` in walk order. */
export async function diffTrees(a: DiffTree, b: DiffTree, options: DiffOptions = {}): Promise<Change[]> {
  const changes = (await walkDiff(a, b, options)) as Change[];
  return options.parents ? withParents(changes, a, b) : changes;
}
