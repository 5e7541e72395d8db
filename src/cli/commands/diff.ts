/**
 * `layerkit diff A B`: what changed from A to B, as `docker diff` prints it (`A /path`, `C /path`,
 * `D /path`), for images (their union views), one layer of each (`--layer N[:M]`), `rootfs:`
 * directories and `tar:` files. `--output FILE` also writes the layer that turns A into B.
 *
 *   layerkit diff oci:./img:v1 oci:./img:v2 --summary
 *   layerkit diff rootfs:./before rootfs:./after --output change.tar
 */
import { diffTrees, walkDiff, withParents, type Change, type DiffOptions } from '../../diff/changes.ts';
import { UnionFS } from '../../fs/union-fs.ts';
import { layerEntries } from '../../diff/layer.ts';
import { layerTar } from '../../diff/layer-tar.ts';
import type { DiffTree, TreeEntry } from '../../diff/tree.ts';
import { unionTree } from '../../diff/union-tree.ts';
import { directoryTree } from '../../diff/walk.ts';
import { UsageError } from '../../errors.ts';
import { need } from '../../host.ts';
import { cachedIndexes, openImage } from '../resolve.ts';
import { warn, writeJson, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface DiffCommandOptions extends GlobalOptions {
  json?: boolean;
  output?: string;
  layer?: string | number;
  content?: boolean;
  ignore?: string | string[];
  parents?: boolean;
  opaque?: boolean;
  summary?: boolean;
  platform?: string;
}

interface Side {
  tree: DiffTree;
  /** The union view the tree reads contents from, closed when done. */
  fs?: UnionFS;
}

function parseLayers(option: string | number | undefined): [number, number] | undefined {
  if (option === undefined) return undefined;
  const match = /^(\d+)(?::(\d+))?$/.exec(String(option));
  if (!match) throw new UsageError('BAD_OPTION', `--layer "${option}" is not N or N:M`, { hint: 'layers count from 0 at the bottom, e.g. --layer 1 or --layer 0:1' });
  return [Number(match[1]), Number(match[2] ?? match[1])];
}

async function sideOf(reference: string, layer: number | undefined, options: DiffCommandOptions): Promise<Side> {
  if (reference.startsWith('rootfs:') && layer === undefined) {
    const { tree, warnings } = await directoryTree(reference.slice('rootfs:'.length));
    for (const w of warnings) warn(w);
    return { tree };
  }
  const fs = await UnionFS.open(await openImage(reference, options), { sha256: true, indexOf: cachedIndexes(), ...(layer !== undefined ? { layer } : {}) });
  return { tree: unionTree(fs), fs };
}

function diffOptions(options: DiffCommandOptions): DiffOptions {
  const ignore = [options.ignore ?? []].flat().flatMap((s) => String(s).split(',')).filter(Boolean);
  for (const what of ignore) if (what !== 'mtime') throw new UsageError('BAD_OPTION', `--ignore ${what} is not supported`, { hint: 'use --ignore mtime' });
  return { content: options.content === true, ignore: ignore as 'mtime'[], parents: options.parents === true };
}

const bytesOf = (e?: TreeEntry) => (e?.type === 'file' ? e.size : 0);

/** Bytes under (and of) a path in a tree: what a deleted directory took. */
function subtreeBytes(tree: DiffTree, path: string): number {
  const at = tree.index.get(path);
  if (at === undefined) return 0;
  let sum = bytesOf(tree.entries[at]);
  for (let k = at + 1; k < tree.entries.length && tree.entries[k]!.path.startsWith(path + '/'); k++) sum += bytesOf(tree.entries[k]);
  return sum;
}

/** diffoci-style totals: files added, removed and changed, with their bytes. */
function summary(changes: Change[], a: DiffTree) {
  const of = (kind: string) => changes.filter((c) => c.kind === kind);
  return {
    added: { count: of('A').length, bytes: of('A').reduce((s, c) => s + bytesOf(c.after), 0) },
    removed: { count: of('D').length, bytes: of('D').reduce((s, c) => s + subtreeBytes(a, c.path), 0) },
    changed: { count: of('C').length, bytesBefore: of('C').reduce((s, c) => s + bytesOf(c.before), 0), bytesAfter: of('C').reduce((s, c) => s + bytesOf(c.after), 0) },
  };
}

async function writeLayer(file: string, a: Side, b: Side, options: DiffCommandOptions): Promise<void> {
  const entries = layerEntries(b.tree, await walkDiff(a.tree, b.tree, diffOptions(options), true), { opaque: options.opaque === true });
  await layerTar(entries).pipeTo(need('openWrite')(file));
}

export async function run(referenceA: string, referenceB: string, options: DiffCommandOptions): Promise<void> {
  await prepare(options);
  const layers = parseLayers(options.layer);
  const opts = diffOptions(options);
  const a = await sideOf(referenceA, layers?.[0], options);
  const b = await sideOf(referenceB, layers?.[1], options);
  try {
    await report(a, b, opts, options);
  } finally {
    await a.fs?.close();
    await b.fs?.close();
  }
}

async function report(a: Side, b: Side, opts: DiffOptions, options: DiffCommandOptions): Promise<void> {
  let changes = await diffTrees(a.tree, b.tree, { ...opts, parents: false });
  if (options.output) await writeLayer(options.output, a, b, options);
  if (options.summary) {
    const totals = summary(changes, a.tree);
    if (options.json) return writeJson(totals);
    writeLine(`added:   ${totals.added.count} (${totals.added.bytes} bytes)`);
    writeLine(`removed: ${totals.removed.count} (${totals.removed.bytes} bytes)`);
    writeLine(`changed: ${totals.changed.count} (${totals.changed.bytesBefore} → ${totals.changed.bytesAfter} bytes)`);
    return;
  }
  if (opts.parents) changes = withParents(changes, a.tree, b.tree);
  if (options.json) {
    return writeJson(changes.map((c) => ({
      kind: c.kind, path: `/${c.path}`, type: (c.after ?? c.before)!.type,
      ...(c.before ? { sizeBefore: c.before.size } : {}), ...(c.after ? { sizeAfter: c.after.size } : {}),
    })));
  }
  for (const c of changes) writeLine(`${c.kind} /${c.path}`);
}
