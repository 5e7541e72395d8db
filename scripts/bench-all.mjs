// `npm run bench`: runs each bench/*.bench.ts on Node (tsx), Deno and Bun, and inside workerd
// when the workload lists it, one runtime after another (never two at once: they would share the
// cores). Prints one table per workload and writes bench/results/<workload>.json and the
// combined bench/results/latest.json.
//
//   npm run bench                      every workload, 5 timed runs after 1 warm-up
//   npm run bench -- sha256 --runs 7   workloads whose name contains "sha256"
//   npm run bench -- --runtimes node,bun
import { spawn } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const root = new URL('../', import.meta.url).pathname;
const bin = (name) => `${root}node_modules/.bin/${name}`;
const { RESULT_MARK, formatTable } = await tsImport('../bench/_harness.ts', import.meta.url);

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const runs = Number(option('runs', 5));
const warmup = Number(option('warmup', 1));
const onlyRuntimes = option('runtimes', 'node,deno,bun,workerd').split(',');
const filters = args.filter((a) => !a.startsWith('--'));
const TIMEOUT_MS = 20 * 60 * 1000;

const allWorkloads = readdirSync(`${root}bench`)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length));
// a filter that names a workload exactly means that one ("union", not also "union-unpack")
const workloads = allWorkloads
  .filter((name) => filters.length === 0 || filters.some((f) => (allWorkloads.includes(f) ? name === f : name.includes(f))))
  .sort();
if (workloads.length === 0) {
  console.error(`no workload in bench/ matches ${filters.join(', ')}`);
  process.exit(2);
}

/** Runs a command, echoing its stderr, and returns the result line it printed (or an error). */
function collect(label, command, commandArgs) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = (out + '\n' + err).split('\n').find((l) => l.includes(RESULT_MARK));
      if (line) return resolve(JSON.parse(line.slice(line.indexOf(RESULT_MARK) + RESULT_MARK.length)));
      const tail = (err || out).trim().split('\n').slice(-8).join('\n');
      resolve({ error: `${label} exited ${code} without a result:\n${tail}` });
    });
  });
}

/** Bundles the workload with the workerd entry of layerkit and runs it as a `workerd test` worker. */
async function runInWorkerd(name) {
  const dir = `${root}build/bench-workerd/${name}/`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}entry.ts`, `
import '../../../src/workers.ts';
import w from '../../../bench/${name}.bench.ts';
import { runWorkload, RESULT_MARK } from '../../../bench/_harness.ts';
export default {
  async test() {
    const result = await runWorkload(w, { runs: ${runs}, warmup: ${warmup} });
    console.log(RESULT_MARK + JSON.stringify(result));
  },
};
`);
  copyFileSync(`${root}build/layerkit.wasm`, `${dir}layerkit.wasm`);
  await build({
    entryPoints: [`${dir}entry.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
    mainFields: ['module', 'main'], external: ['*.wasm', 'node:*'], outfile: `${dir}worker.js`, logLevel: 'warning',
  });
  writeFileSync(`${dir}bench.capnp`, `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "bench", worker = .benchWorker) ] );
const benchWorker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js"), (name = "layerkit.wasm", wasm = embed "layerkit.wasm") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
);
`);
  return collect('workerd', bin('workerd'), ['test', `${dir}bench.capnp`]);
}

const hostRuns = {
  node: (file) => collect('node', process.execPath, ['--expose-gc', '--import', 'tsx', file, '--runs', String(runs), '--warmup', String(warmup)]),
  deno: (file) => collect('deno', bin('deno'), ['run', '-A', '--v8-flags=--expose-gc', file, '--runs', String(runs), '--warmup', String(warmup)]),
  bun: (file) => collect('bun', bin('bun'), [file, '--runs', String(runs), '--warmup', String(warmup)]),
};

const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
mkdirSync(`${root}bench/results`, { recursive: true });

const written = [];
for (const name of workloads) {
  const file = `bench/${name}.bench.ts`;
  const started = new Date().toISOString();
  const loadBefore = loadavg()[0];
  const results = [];
  const failures = [];
  const described = await collect('node', process.execPath, ['--import', 'tsx', file, '--describe']);
  if (described.error) {
    console.error(described.error);
    process.exitCode = 1;
    continue;
  }
  for (const runtime of described.runtimes) {
    if (!onlyRuntimes.includes(runtime)) continue;
    process.stderr.write(`${name}: ${runtime}…\n`);
    const result = runtime === 'workerd' ? await runInWorkerd(name) : await hostRuns[runtime](file);
    if (result.error) {
      failures.push({ runtime, error: result.error });
      console.error(result.error);
      continue;
    }
    results.push(result);
  }
  if (results.length === 0 && failures.length === 0) continue; // no runtime selected: keep the old record
  if (results.length > 0) console.log('\n' + formatTable(results) + '\n');
  const record = {
    workload: name, title: results[0]?.title, date: started, runs, warmup, machine,
    loadAverage: { before: loadBefore, after: loadavg()[0] }, results, failures,
  };
  writeFileSync(`${root}bench/results/${name}.json`, JSON.stringify(record, null, 2) + '\n');
  written.push(`${name}.json`);
  if (failures.length > 0) process.exitCode = 1;
}
// latest.json is rebuilt from every workload's file, so runs of different workloads at the same
// time (or with a filter) never drop each other's figures.
const latest = { date: new Date().toISOString(), workloads: {} };
for (const name of readdirSync(`${root}bench`).filter((f) => f.endsWith('.bench.ts')).map((f) => f.slice(0, -'.bench.ts'.length)).sort()) {
  const file = `${root}bench/results/${name}.json`;
  if (existsSync(file)) latest.workloads[name] = JSON.parse(readFileSync(file, 'utf8'));
}
writeFileSync(`${root}bench/results/latest.json`, JSON.stringify(latest, null, 2) + '\n');
console.log(`results written to bench/results/ (${[...written, 'latest.json'].join(', ')})`);
