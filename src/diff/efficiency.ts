/**
 * dive's image efficiency (wagoodman/dive, filetree/efficiency.go and image/analysis), restated:
 * every leaf of every layer's own tree (files, links, empty directories, whiteouts) is a visit of
 * its path. A path's cumulative size is the sum of its visits' sizes, where a whiteout counts 0
 * for a file and, for a directory, the sizes of everything under it in the layers below. Then
 *   efficiency        = Σ min(visit size) / Σ cumulative size   (1 when nothing has size)
 *   wastedBytes       = Σ cumulative size of paths visited twice or more
 *   userWastedPercent = wastedBytes / Σ size of every layer but the first
 * where a layer's size is the sum of its tar entries' sizes. Opaque markers are ignored, as dive does.
 *
 *   const result = efficiency(layers.map((l) => l.entries)); // { efficiency: 0.97, wastedBytes: 1234, ... }
 */

/** What dive reads of a layer entry. */
export interface DiveEntry {
  path: string;
  type: string;
  size: number;
}

export interface Inefficiency {
  path: string;
  count: number;
  wastedBytes: number;
}

export interface EfficiencyResult {
  efficiency: number;
  wastedBytes: number;
  /** null where dive divides by zero (a single-layer image with waste). */
  userWastedPercent: number | null;
  sizeBytes: number;
  userSizeBytes: number;
  /** Largest first. */
  inefficiencies: Inefficiency[];
}

const WHITEOUT = '.wh.';
const DOUBLE_WHITEOUT = '.wh..wh..';

/** dive's FileNode: payload only where the layer had an entry (implicit parents have none). */
interface Node {
  name: string;
  children: Map<string, Node>;
  parent?: Node;
  size: number;
  isDir: boolean;
}

const newNode = (name: string, parent?: Node): Node => ({ name, children: new Map(), parent, size: 0, isDir: false });

function addPath(root: Node, path: string, payload: { size: number; isDir: boolean }): void {
  const names = path.split('/').filter((n) => n !== '' && n !== '.');
  let node = root;
  for (const [k, name] of names.entries()) {
    let child = node.children.get(name);
    if (!child) {
      if (name.startsWith(DOUBLE_WHITEOUT)) return; // dive never adds opaque markers
      child = newNode(name, node);
      node.children.set(name, child);
    }
    node = child;
    if (k === names.length - 1) Object.assign(node, payload);
  }
}

function getNode(root: Node, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const name of path.split('/')) if (name) node = node?.children.get(name);
  return node;
}

/** The path dive gives a node: whiteout prefix dropped from the leaf's own name. */
function pathOf(node: Node): string {
  const names: string[] = [];
  for (let n: Node | undefined = node; n?.parent; n = n.parent) names.unshift(n === node && n.name.startsWith(WHITEOUT) ? n.name.slice(WHITEOUT.length) : n.name);
  return '/' + names.join('/');
}

/** Depth first, children in byte order, each node after its children (dive's VisitDepthChildFirst). */
function* childFirst(node: Node): Generator<Node> {
  for (const name of [...node.children.keys()].sort()) yield* childFirst(node.children.get(name)!);
  if (node.parent) yield node;
}

function treeOf(entries: readonly DiveEntry[]): Node {
  const root = newNode('');
  for (const e of entries) addPath(root, e.path, { size: e.size, isDir: e.type === 'dir' });
  return root;
}

function copyTree(node: Node, parent?: Node): Node {
  const copy: Node = { ...node, parent, children: new Map() };
  for (const [name, child] of node.children) copy.children.set(name, copyTree(child, copy));
  return copy;
}

/** dive's StackTreeRange(trees, 0, top): a copy of the first tree with trees 0..top stacked on it. */
function stacked(trees: readonly Node[], top: number): Node {
  const base = copyTree(trees[0]!);
  for (let k = 0; k <= top; k++) {
    for (const node of childFirst(trees[k]!)) {
      const path = pathOf(node);
      if (node.name.startsWith(WHITEOUT)) {
        const gone = getNode(base, path);
        if (gone?.parent) gone.parent.children.delete(gone.name);
      } else addPath(base, path, { size: node.size, isDir: node.isDir });
    }
  }
  return base;
}

/** dive's analysis of `layers` (bottom first), each given as its own tar entries. */
export function efficiency(layers: readonly (readonly DiveEntry[])[]): EfficiencyResult {
  const trees = layers.map(treeOf);
  const paths = new Map<string, { cumulative: number; min: number; count: number }>();
  const order: string[] = [];
  for (const [k, tree] of trees.entries()) {
    for (const node of childFirst(tree)) {
      if (node.children.size > 0) continue; // leaves only
      const path = pathOf(node);
      let size = node.size;
      if (node.name.startsWith(WHITEOUT)) {
        size = 0;
        const previous = k > 0 ? getNode(stacked(trees, k - 1), path) : undefined;
        if (!previous) break; // dive stops visiting this layer when a whiteout names nothing below
        if (previous.isDir) for (const n of childFirst(previous)) size += n.size; // the directory and all below it
      }
      const data = paths.get(path) ?? { cumulative: 0, min: -1, count: 0 };
      if (!paths.has(path)) paths.set(path, data);
      data.cumulative += size;
      if (data.min < 0 || size < data.min) data.min = size;
      data.count++;
      if (data.count === 2) order.push(path);
    }
  }
  let minimum = 0;
  let discovered = 0;
  for (const d of paths.values()) {
    minimum += d.min;
    discovered += d.cumulative;
  }
  const inefficiencies = order.map((path) => ({ path, count: paths.get(path)!.count, wastedBytes: paths.get(path)!.cumulative }));
  inefficiencies.sort((x, y) => y.wastedBytes - x.wastedBytes || (x.path < y.path ? -1 : 1));
  const wastedBytes = inefficiencies.reduce((sum, i) => sum + i.wastedBytes, 0);
  const sizes = layers.map((l) => l.reduce((sum, e) => sum + e.size, 0));
  const sizeBytes = sizes.reduce((a, b) => a + b, 0);
  const userSizeBytes = sizeBytes - (sizes[0] ?? 0);
  const ratio = wastedBytes / userSizeBytes;
  return {
    efficiency: discovered === 0 ? 1 : minimum / discovered,
    wastedBytes,
    userWastedPercent: Number.isFinite(ratio) ? ratio : wastedBytes === 0 ? 0 : null,
    sizeBytes,
    userSizeBytes,
    inefficiencies,
  };
}
