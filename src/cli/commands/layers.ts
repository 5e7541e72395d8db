/**
 * `layerkit layers IMAGE`: per layer its created-by, size, files added/changed/removed and the
 * bytes a later layer overwrites or deletes; then dive's efficiency, wasted bytes, user-wasted
 * percent and largest inefficiencies. `--ci` checks dive's thresholds and exits 1 when one breaks.
 *
 *   layerkit layers oci:./img:latest --ci --lowest-efficiency 0.95 --highest-wasted-bytes 20MB
 */
import { analyzeImage, DIVE_DEFAULT_RULES, evaluateRules, parseByteSize, type CiRules } from '../../diff/analysis.ts';
import { formatTable, humanSize } from '../../image/describe.ts';
import { LayerkitError, UsageError } from '../../errors.ts';
import { cachedIndexes, openImage } from '../resolve.ts';
import { writeJson, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface LayersOptions extends GlobalOptions {
  json?: boolean;
  ci?: boolean;
  lowestEfficiency?: string | number;
  highestWastedBytes?: string | number;
  highestUserWastedPercent?: string | number;
  top?: string | number;
  platform?: string;
}

function ratio(name: string, value: string | number | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (String(value).toLowerCase() === 'disabled') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError('BAD_OPTION', `--${name} "${value}" is not a number`, { hint: 'give a ratio between 0 and 1, or "disabled"' });
  return n;
}

function rulesOf(options: LayersOptions): CiRules {
  const bytes = options.highestWastedBytes === undefined ? undefined : parseByteSize(String(options.highestWastedBytes));
  if (Number.isNaN(bytes)) throw new UsageError('BAD_OPTION', `--highest-wasted-bytes "${options.highestWastedBytes}" is not a size`, { hint: 'e.g. 20MB, 512KiB or disabled' });
  return {
    lowestEfficiency: ratio('lowest-efficiency', options.lowestEfficiency, DIVE_DEFAULT_RULES.lowestEfficiency),
    highestWastedBytes: bytes,
    highestUserWastedPercent: ratio('highest-user-wasted-percent', options.highestUserWastedPercent, DIVE_DEFAULT_RULES.highestUserWastedPercent),
  };
}

const percent = (x: number | null) => (x === null ? '+Inf' : `${(x * 100).toFixed(4)} %`);

export async function run(reference: string, options: LayersOptions): Promise<void> {
  const rules = options.ci ? rulesOf(options) : undefined;
  await prepare(options);
  const indexOf = cachedIndexes();
  const report = await analyzeImage(await openImage(reference, options), indexOf && ((layer) => indexOf(layer, { sha256: true })));
  const results = rules ? evaluateRules(report, rules) : [];
  if (options.json) writeJson({ ...report, ...(rules ? { ci: results } : {}) });
  else {
    writeLine(formatTable(['LAYER', 'SIZE', 'ADDED', 'CHANGED', 'REMOVED', 'WASTED', 'CREATED BY'], report.layers.map((l) => [
      String(l.index), humanSize(l.size), String(l.added), String(l.changed), String(l.removed), humanSize(l.wastedBytes), l.createdBy.replaceAll('\t', ' '),
    ])));
    writeLine('');
    writeLine(`efficiency: ${percent(report.efficiency)}`);
    writeLine(`wastedBytes: ${report.wastedBytes} bytes (${humanSize(report.wastedBytes)})`);
    writeLine(`userWastedPercent: ${percent(report.userWastedPercent)}`);
    const top = Number(options.top ?? 10);
    writeLine('Inefficient Files:');
    if (report.inefficiencies.length === 0) writeLine('None');
    else writeLine(formatTable(['Count', 'Wasted Space', 'File Path'], report.inefficiencies.slice(0, top).map((i) => [String(i.count), humanSize(i.wastedBytes), i.path])));
    if (rules) {
      writeLine('Results:');
      for (const r of results) writeLine(`  ${r.status}: ${r.rule}${r.message ? `: ${r.message}` : ''}`);
    }
  }
  const failed = results.filter((r) => r.status === 'FAIL');
  if (failed.length) {
    throw new LayerkitError('CI_THRESHOLD', `${failed.map((r) => r.rule).join(', ')} broken: ${failed.map((r) => r.message).join('; ')}`);
  }
}
