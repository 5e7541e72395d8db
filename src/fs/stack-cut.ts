/**
 * The top-down cut: what `ls IMAGE PATH` needs of a layer chain. Layers are indexed from the top
 * down, and the walk stops at the first layer that makes every lower layer irrelevant to PATH
 * and what is under it — an entry there whites out PATH or an ancestor, makes PATH or an
 * ancestor opaque, or replaces PATH or an ancestor with a non-directory, and no layer read has a
 * whiteout inside that path (the merge lets lower entries imply the directories above a whiteout,
 * see place/ensureAncestors in assembly/union.ts). The union of the layers
 * read then shows PATH's subtree exactly as the union of all layers does (test/unit/stack-cut.test.ts
 * compares them on generated stacks). Lower layers are neither read nor verified: a defect in
 * them goes unnoticed, as it would for any reader that does not need them.
 *
 *   const { stack, from } = await indexStackFor(await image.layers(), 'etc/ssl');
 *   // stack = layers from..top; `from` is the number of the lowest one read
 */
import type { LayerIndex } from '../core/layer-index.ts';
import type { Layer } from '../image/types.ts';
import { indexStackLayer, type IndexOptions, type StackLayer } from './layer-stack.ts';
import { cleanName } from './resolve-in-root.ts';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** Entry types that replace a directory in the union (the merge's file, hardlink, symlink, char, block, fifo). */
const NON_DIRECTORY = new Set(['file', 'contiguous', 'gnu-sparse', 'hardlink', 'symlink', 'char', 'block', 'fifo']);
const MERGED = new Set([...NON_DIRECTORY, 'dir']);

/** PATH's components, or undefined when it cannot be cut for (climbs with `..`). */
function pathParts(path: string): string[] | undefined {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? undefined : parts;
}

/** Cleaned entry names of a layer, or undefined when one cannot be cleaned (left to the merge to refuse). */
function cleanNames(index: LayerIndex): (string | undefined)[] | undefined {
  const names: (string | undefined)[] = [];
  for (let i = 0; i < index.count; i++) {
    if (!MERGED.has(index.type(i))) {
      names.push(undefined);
      continue;
    }
    try {
      names.push(cleanName(index.path(i)).join('/'));
    } catch {
      return undefined;
    }
  }
  return names;
}

/**
 * True when the layer may sit at the bottom of a cut stack: its hardlinks all point at entries
 * earlier in the same layer (a link to a lower layer's file needs that layer), and none of its
 * names goes through one of its own symlinks (the merge rewrites those; the names seen here would
 * not be the ones merged).
 */
function selfContained(index: LayerIndex, names: (string | undefined)[]): boolean {
  const seen = new Set<string>();
  const symlinks = new Set<string>();
  for (let i = 0; i < index.count; i++) {
    const name = names[i];
    if (name === undefined) continue;
    const parts = name.split('/');
    for (let k = 1; k < parts.length; k++) if (symlinks.has(parts.slice(0, k).join('/'))) return false;
    const type = index.type(i);
    if (type === 'hardlink') {
      let target: string;
      try {
        target = cleanName(index.linkname(i)).join('/');
      } catch {
        return false;
      }
      if (!seen.has(target)) return false;
    }
    if (type === 'symlink' && !parts.at(-1)!.startsWith(WHITEOUT)) symlinks.add(name);
    seen.add(name);
  }
  return true;
}

/** The paths a layer's whiteouts (not opaque markers) name. */
function whiteoutTargets(names: (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    if (!name) continue;
    const slash = name.lastIndexOf('/');
    const base = name.slice(slash + 1);
    if (base.startsWith(WHITEOUT) && base !== OPAQUE) out.push(`${name.slice(0, slash + 1)}${base.slice(WHITEOUT.length)}`);
  }
  return out;
}

/**
 * The paths among PATH and its ancestors at which the layer hides everything lower: whited out,
 * made opaque, or replaced by a non-directory.
 */
function hiders(index: LayerIndex, names: (string | undefined)[], parts: string[]): string[] {
  const ancestorsOrSelf = new Set<string>(parts.map((_, k) => parts.slice(0, k + 1).join('/')));
  const out: string[] = [];
  for (let i = 0; i < index.count; i++) {
    const name = names[i];
    if (name === undefined || name === '') continue;
    const slash = name.lastIndexOf('/');
    const dir = slash < 0 ? '' : name.slice(0, slash);
    const base = name.slice(slash + 1);
    if (base === OPAQUE) {
      if (dir !== '' && ancestorsOrSelf.has(dir)) out.push(dir);
    } else if (base.startsWith(WHITEOUT)) {
      const target = dir ? `${dir}/${base.slice(WHITEOUT.length)}` : base.slice(WHITEOUT.length);
      if (ancestorsOrSelf.has(target)) out.push(target);
    } else if (NON_DIRECTORY.has(index.type(i)) && ancestorsOrSelf.has(name)) out.push(name);
  }
  return out;
}

/**
 * Indexes the layers PATH needs, top down (see the module comment); all of them when no layer
 * decides PATH, when PATH is the root, or when an upper layer links to a lower one.
 */
export async function indexStackFor(layers: Layer[], path: string, options: IndexOptions = {}): Promise<{ stack: StackLayer[]; from: number }> {
  const parts = pathParts(path);
  const stack: StackLayer[] = [];
  let cuttable = parts !== undefined && parts.length > 0;
  // Whited-out paths of the layers read so far. The merge lets a lower entry under such a path
  // imply the directories above the whiteout, so a hider with one of them inside does not decide.
  const whitedOut: string[] = [];
  for (let k = layers.length - 1; k >= 0; k--) {
    const layer = await indexStackLayer(layers[k]!, options);
    stack.unshift(layer);
    if (!cuttable || k === 0) continue;
    const names = cleanNames(layer.index);
    if (!names || !selfContained(layer.index, names)) {
      cuttable = false;
      continue;
    }
    whitedOut.push(...whiteoutTargets(names));
    if (hiders(layer.index, names, parts!).some((at) => !whitedOut.some((t) => t.startsWith(`${at}/`)))) return { stack, from: k };
  }
  return { stack, from: 0 };
}
