/**
 * `layers`: what each layer of an image adds, changes and removes (the diff kernel run between
 * consecutive unions), the bytes of each layer that a later layer overwrites or deletes, and
 * dive's efficiency figures with its CI rules.
 *
 *   const report = await analyzeImage(image);
 *   evaluateRules(report, { lowestEfficiency: 0.9 }) // [{ rule: 'lowestEfficiency', status: 'PASS' }, ...]
 */
import type { LayerIndex } from '../core/layer-index.ts';
import type { Image, Layer } from '../image/types.ts';
import { diffTrees } from './changes.ts';
import { efficiency, type EfficiencyResult } from './efficiency.ts';
import { mergedTree, readImageLayers, type LayerEntries } from './image-tree.ts';

export interface LayerReport {
  index: number;
  digest?: string;
  diffID?: string;
  createdBy: string;
  /** dive's layer size: the sum of the layer's tar entry sizes. */
  size: number;
  added: number;
  changed: number;
  removed: number;
  /** Bytes of this layer's files that a later layer overwrites or deletes. */
  wastedBytes: number;
}

export interface ImageReport extends EfficiencyResult {
  layers: LayerReport[];
}

/** History entries that made layers, in order (empty_layer steps skipped), as dive pairs them. */
function createdByPerLayer(history: { created_by?: string; empty_layer?: boolean }[] | undefined, count: number): string[] {
  const made = (history ?? []).filter((h) => !h.empty_layer);
  return Array.from({ length: count }, (_, k) => made[k]?.created_by ?? '(missing)');
}

/** The report for layers already read (bottom first). */
export async function analyzeLayers(layers: readonly LayerEntries[], createdBy: readonly string[] = []): Promise<ImageReport> {
  const unions = layers.map((_, k) => mergedTree(layers.slice(0, k + 1)));
  const final = unions[unions.length - 1];
  const reports: LayerReport[] = [];
  for (const [k, layer] of layers.entries()) {
    const below = k > 0 ? unions[k - 1]! : mergedTree([]);
    const changes = await diffTrees(below, unions[k]!);
    const count = (kind: string) => changes.filter((c) => c.kind === kind).length;
    let wastedBytes = 0;
    for (const e of layer.entries) {
      if (e.type !== 'file') continue;
      const survivor = final?.entries[final.index.get(e.path) ?? -1] as { layerNumber?: number } | undefined;
      if (survivor?.layerNumber !== k) wastedBytes += e.size;
    }
    reports.push({
      index: k,
      ...(layer.layer ? { digest: layer.layer.digest, diffID: layer.layer.diffID } : {}),
      createdBy: createdBy[k] ?? '(missing)',
      size: layer.entries.reduce((sum, e) => sum + e.size, 0),
      added: count('A'), changed: count('C'), removed: count('D'), wastedBytes,
    });
  }
  return { layers: reports, ...efficiency(layers.map((l) => l.entries)) };
}

/** Reads every layer of `image` (or gets its index from `indexOf`, with file digests) and reports on it. */
export async function analyzeImage(image: Image, indexOf?: (layer: Layer) => Promise<LayerIndex>): Promise<ImageReport> {
  const layers = await readImageLayers(image, indexOf);
  const config = await image.config();
  return analyzeLayers(layers, createdByPerLayer(config.history, layers.length));
}

/** dive's CI thresholds; `highestWastedBytes` undefined means disabled (dive's default). */
export interface CiRules {
  lowestEfficiency?: number;
  highestWastedBytes?: number;
  highestUserWastedPercent?: number;
}

/** dive's defaults: lowestEfficiency 0.9, highestWastedBytes disabled, highestUserWastedPercent 0.1. */
export const DIVE_DEFAULT_RULES: Required<Pick<CiRules, 'lowestEfficiency' | 'highestUserWastedPercent'>> = { lowestEfficiency: 0.9, highestUserWastedPercent: 0.1 };

export interface RuleResult {
  rule: 'lowestEfficiency' | 'highestWastedBytes' | 'highestUserWastedPercent';
  status: 'PASS' | 'FAIL' | 'SKIP';
  message?: string;
}

/** Evaluates the rules with dive's comparisons (a threshold equal to the value passes). */
export function evaluateRules(report: EfficiencyResult, rules: CiRules): RuleResult[] {
  const out: RuleResult[] = [];
  const { lowestEfficiency, highestWastedBytes, highestUserWastedPercent } = rules;
  if (lowestEfficiency === undefined) out.push({ rule: 'lowestEfficiency', status: 'SKIP', message: 'rule disabled' });
  else if (lowestEfficiency > report.efficiency) out.push({ rule: 'lowestEfficiency', status: 'FAIL', message: `image efficiency is too low (efficiency=${report.efficiency} < threshold=${lowestEfficiency})` });
  else out.push({ rule: 'lowestEfficiency', status: 'PASS' });
  if (highestWastedBytes === undefined) out.push({ rule: 'highestWastedBytes', status: 'SKIP', message: 'rule disabled' });
  else if (report.wastedBytes > highestWastedBytes) out.push({ rule: 'highestWastedBytes', status: 'FAIL', message: `too many bytes wasted (wasted-bytes=${report.wastedBytes} > threshold=${highestWastedBytes})` });
  else out.push({ rule: 'highestWastedBytes', status: 'PASS' });
  const userWasted = report.userWastedPercent ?? Infinity;
  if (highestUserWastedPercent === undefined) out.push({ rule: 'highestUserWastedPercent', status: 'SKIP', message: 'rule disabled' });
  else if (highestUserWastedPercent < userWasted) out.push({ rule: 'highestUserWastedPercent', status: 'FAIL', message: `too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=${userWasted} > threshold=${highestUserWastedPercent})` });
  else out.push({ rule: 'highestUserWastedPercent', status: 'PASS' });
  return out;
}

const UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** Bytes as go-humanize's ParseBytes reads them ("20MB" = 20,000,000; "20MiB" = 20,971,520); "disabled" → undefined. */
export function parseByteSize(text: string): number | undefined {
  if (text.trim().toLowerCase() === 'disabled') return undefined;
  const match = /^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(text.replaceAll(',', ''));
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) return NaN;
  return Math.floor(Number(match[1]) * unit);
}
