/**
 * The benchmark harness: a workload is a named set of cases timed the same way (warm-up, then
 * the median of N runs, the cases taking turns) on whichever runtime runs the file. Portable (no node:*), so the same
 * workload file also runs inside workerd; `scripts/bench-all.mjs` runs it everywhere, collects
 * the JSON each run prints and writes bench/results/. See bench/README.md.
 *
 *   export default workload(import.meta, {
 *     name: 'sha256', bytes: 256 * MiB, ratio: ['kernel', 'hash-wasm'],
 *     async cases() { return [{ name: 'kernel', run: async () => { ... } }]; },
 *   });
 */
import { detectRuntime } from '../src/runtime/probe.ts';
import type { RuntimeName } from '../src/host.ts';

export const MiB = 1 << 20;
export const runtime: RuntimeName = detectRuntime();
/** Printed before the JSON line a run emits, so the collector can find it among other output. */
export const RESULT_MARK = '@@bench-result ';

export interface Case {
  name: string;
  /** One timed run; it must do the whole job (all `bytes` of the workload). */
  run: () => unknown | Promise<unknown>;
  /** Untimed set-up before every run (e.g. removing the previous run's output). */
  before?: () => unknown | Promise<unknown>;
  /** Why this case cannot run here (printed as a skip instead of a figure). */
  skip?: string;
  /** Shown beside the figure, e.g. "one-shot" or "SHA-NI". */
  note?: string;
}

export interface Workload {
  name: string;
  title: string;
  /** Bytes one run processes, for MB/s; omit for workloads measured in time only. */
  bytes?: number;
  /** Runtimes this workload runs on; the default is node, deno and bun. */
  runtimes?: RuntimeName[];
  /** [subject, baseline]: the table shows subject/baseline per runtime. */
  ratio?: [string, string];
  /** Builds the cases (load the core, make input) — not timed. */
  cases(options: RunOptions): Promise<Case[]>;
}

export interface RunOptions {
  /** Timed runs per case; the median is reported. */
  runs: number;
  /** Untimed runs first, so every JIT tier has settled. */
  warmup: number;
}

export interface CaseResult {
  name: string;
  note?: string;
  skipped?: string;
  medianMs?: number;
  /** 10^6 bytes per second at the median time. */
  mbps?: number;
  /** At the fastest run: on a shared machine, the figure least disturbed by other load. */
  bestMbps?: number;
  timesMs?: number[];
}

export interface RunResult {
  workload: string;
  title: string;
  runtime: RuntimeName;
  version: string;
  bytes?: number;
  runs: number;
  /** Whether garbage was collected before every timed run (see collectGarbage). */
  gcBetweenRuns: boolean;
  ratio?: [string, string];
  runtimes: RuntimeName[];
  cases: CaseResult[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/**
 * A full collection now, where the runtime lets a program ask (Bun; Node and Deno started with
 * --expose-gc, as bench-all starts them); undefined where it cannot.
 */
function garbageCollector(): (() => void) | undefined {
  const g = globalThis as { Bun?: { gc?: (sync: boolean) => void }; gc?: () => void };
  const bunGc = g.Bun?.gc;
  if (typeof bunGc === 'function') return () => bunGc(true);
  return typeof g.gc === 'function' ? g.gc : undefined;
}

/** Collects garbage now where it can, so that one case's garbage is not collected in the next case's time. */
const collectGarbage = (): void => garbageCollector()?.();

/**
 * Warm-up runs of every case, then `runs` rounds that time each case once, in turn: on a shared
 * machine a burst of other load then slows one run of every case instead of all runs of one.
 * Garbage is collected before every timed run (see collectGarbage).
 */
export async function timeInterleaved(runs: Array<() => unknown>, { runs: rounds, warmup }: RunOptions, befores: Array<(() => unknown) | undefined> = []): Promise<number[][]> {
  for (const [i, run] of runs.entries()) for (let k = 0; k < warmup; k++) { await befores[i]?.(); await run(); }
  const times: number[][] = runs.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, run] of runs.entries()) {
      await befores[i]?.();
      collectGarbage();
      const t0 = performance.now();
      await run();
      times[i]!.push(performance.now() - t0);
    }
  }
  return times;
}

export function runtimeVersion(): string {
  const g = globalThis as any;
  if (runtime === 'deno') return `deno ${g.Deno.version.deno} (V8 ${g.Deno.version.v8})`;
  if (runtime === 'bun') return `bun ${g.Bun.version} (JavaScriptCore)`;
  if (runtime === 'node') return `node ${g.process.version} (V8 ${g.process.versions.v8})`;
  return typeof navigator === 'object' ? navigator.userAgent : runtime;
}

/** Runs every case of `w` here and returns the figures (what a workerd worker calls). */
export async function runWorkload(w: Workload, options: RunOptions): Promise<RunResult> {
  const cases = await w.cases(options);
  const timed = cases.filter((c) => !c.skip);
  const times = await timeInterleaved(timed.map((c) => c.run), options, timed.map((c) => c.before));
  const rate = (ms: number) => (w.bytes ? mbps(w.bytes, ms) : undefined);
  const results: CaseResult[] = cases.map((c) => {
    if (c.skip) return { name: c.name, note: c.note, skipped: c.skip };
    const timesMs = times[timed.indexOf(c)]!;
    const medianMs = median(timesMs);
    return { name: c.name, note: c.note, medianMs, mbps: rate(medianMs), bestMbps: rate(Math.min(...timesMs)), timesMs };
  });
  return {
    workload: w.name, title: w.title, runtime, version: runtimeVersion(), bytes: w.bytes, runs: options.runs,
    gcBetweenRuns: garbageCollector() !== undefined, ratio: w.ratio, runtimes: w.runtimes ?? ['node', 'deno', 'bun'], cases: results,
  };
}

const fmt = (x: number | undefined, digits = 0) => (x === undefined ? '' : x.toFixed(digits));

/** One table per workload: a row per case, a column per runtime, then subject/baseline. */
export function formatTable(results: RunResult[]): string {
  const first = results[0];
  if (!first) return '';
  const unit = first.bytes ? 'MB/s' : 'ms';
  const names = [...new Set(results.flatMap((r) => r.cases.map((c) => c.name)))];
  const cell = (r: RunResult, name: string) => {
    const c = r.cases.find((x) => x.name === name);
    if (!c) return '';
    if (c.skipped) return '—';
    return first.bytes ? fmt(c.mbps) : fmt(c.medianMs, 1);
  };
  const rows: string[][] = [[`${first.workload} (${unit}, median of ${first.runs})`, ...results.map((r) => r.runtime)]];
  for (const name of names) rows.push([name, ...results.map((r) => cell(r, name))]);
  if (first.ratio) {
    const [subject, baseline] = first.ratio;
    rows.push([`${subject} / ${baseline}`, ...results.map((r) => {
      const s = r.cases.find((c) => c.name === subject)?.medianMs;
      const b = r.cases.find((c) => c.name === baseline)?.medianMs;
      return s && b ? `${(b / s).toFixed(2)}×` : '—';
    })]);
  }
  const header = rows[0]!;
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`];
  for (const r of rows.slice(1)) out.push(line(r));
  const notes = results.flatMap((r) => r.cases.filter((c) => c.skipped).map((c) => `  — ${c.name} on ${r.runtime}: ${c.skipped}`));
  return [first.title, ...out, ...[...new Set(notes)]].join('\n');
}

function commandLine(): string[] {
  const g = globalThis as any;
  return runtime === 'deno' ? g.Deno.args : (g.process?.argv?.slice(2) ?? []);
}

function isMain(meta: ImportMeta): boolean {
  const m = meta as ImportMeta & { main?: boolean };
  if (typeof m.main === 'boolean') return m.main; // Deno, Bun
  const script = (globalThis as any).process?.argv?.[1];
  return runtime === 'node' && typeof script === 'string' && decodeURIComponent(new URL(meta.url).pathname) === script;
}

/**
 * Declares a workload; when its file is the program (`node --import tsx bench/x.bench.ts`,
 * `deno run -A`, `bun`), runs it, prints the table, and prints the JSON line for bench-all.
 * `--runs N` sets the timed runs (default 5), `--warmup N` the untimed ones (default 1);
 * `--describe` prints only the name and runtimes.
 */
export function workload(meta: ImportMeta, w: Workload): Workload {
  if (runtime !== 'workerd' && isMain(meta)) {
    // After the module (and any top-level await in it) has finished evaluating.
    setTimeout(async () => {
      const args = commandLine();
      const arg = (name: string, fallback: number) => {
        const i = args.indexOf(`--${name}`);
        return i >= 0 ? Number(args[i + 1]) : fallback;
      };
      if (args.includes('--describe')) {
        console.log(RESULT_MARK + JSON.stringify({ workload: w.name, title: w.title, runtimes: w.runtimes ?? ['node', 'deno', 'bun'] }));
        return;
      }
      // The runtime entry wires in files, the release core and node:crypto; a variable keeps
      // bundlers (the workerd build) from following it.
      const entry = '../src/node.ts';
      await import(entry);
      const result = await runWorkload(w, { runs: arg('runs', 5), warmup: arg('warmup', 1) });
      console.log(formatTable([result]));
      console.log(RESULT_MARK + JSON.stringify(result));
    }, 0);
  }
  return w;
}
