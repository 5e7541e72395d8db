// Builds each shape of the SHA-256 compression function that scripts/gen-sha256-rounds.mjs can
// generate, with each set of asc options tried, and measures the kernel alone on Node, Deno and
// Bun (median MB/s). This is how the default shape was chosen; the figures are in
// bench/results/sha256-variants.json and bench/README.md.
//
//   node bench/sha256-variants.mjs [--mib 64] [--runs 5] [--repeat 3] [variant names…]
//   node bench/sha256-variants.mjs --probe build.wasm --mib 64 --runs 5   (one runtime, prints JSON)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = (typeof Deno === 'object' ? Deno.args : process.argv.slice(2));
const flag = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const MIB = 1 << 20;

/** The timing child: hash `mib` MiB in 1 MiB calls through the staging area, `runs` times after one warm-up. */
async function probe(wasmPath, mib, runs) {
  const abort = () => { throw new Error('wasm abort'); };
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), { env: { abort } });
  const x = instance.exports;
  const chunk = new Uint8Array(MIB);
  for (let i = 0, s = 1; i < MIB; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; chunk[i] = s; }
  const input = x.inputPtr();
  const ctx = x.alloc(Number(x.SHA256_CONTEXT_SIZE.value) + 32);
  const pass = () => {
    x.sha256Init(ctx);
    for (let i = 0; i < mib; i++) {
      new Uint8Array(x.memory.buffer, input, MIB).set(chunk);
      x.sha256Update(ctx, input, MIB);
    }
    x.sha256Final(ctx, ctx + Number(x.SHA256_CONTEXT_SIZE.value));
    return Buffer.from(new Uint8Array(x.memory.buffer, ctx + Number(x.SHA256_CONTEXT_SIZE.value), 32)).toString('hex');
  };
  const reference = createHash('sha256');
  for (let i = 0; i < mib; i++) reference.update(chunk);
  if (pass() !== reference.digest('hex')) throw new Error(`${wasmPath}: wrong digest`);
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    pass();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[times.length >> 1];
  return { mbps: (mib * MIB) / 1e6 / (ms / 1000), best: (mib * MIB) / 1e6 / (times[0] / 1000), times };
}

// Every option spelled out from the original shape (so a variant keeps its meaning when the
// generator's default changes): swizzle loads, W in locals, all 64 rounds unrolled.
const shape = (gen) => ({ loads: 'swizzle', schedule: 'locals', unroll: 64, boolean: 'short', ...gen });
const VARIANTS = [
  { name: 'locals-swizzle-classic', gen: shape({ schedule: 'locals', loads: 'swizzle', boolean: 'classic' }) },
  { name: 'locals-swizzle', gen: shape({ schedule: 'locals', loads: 'swizzle' }) },
  { name: 'locals-bswap', gen: shape({ schedule: 'locals', loads: 'bswap' }) },
  { name: 'memory-bswap', gen: shape({ schedule: 'memory', loads: 'bswap' }) },
  { name: 'memory-swizzle', gen: shape({ schedule: 'memory', loads: 'swizzle' }) },
  { name: 'simd', gen: shape({ schedule: 'simd' }) },
  { name: 'memory-bswap-unroll8', gen: shape({ schedule: 'memory', loads: 'bswap', unroll: 8 }) },
  { name: 'memory-bswap-unroll16', gen: shape({ schedule: 'memory', loads: 'bswap', unroll: 16 }) },
  { name: 'simd-unroll8', gen: shape({ schedule: 'simd', unroll: 8 }) },
  { name: 'simd-unroll16', gen: shape({ schedule: 'simd', unroll: 16 }) },
  { name: 'simd-unroll32', gen: shape({ schedule: 'simd', unroll: 32 }) },
  { name: 'simd-unroll16-classic', gen: shape({ schedule: 'simd', unroll: 16, boolean: 'classic' }) },
  { name: 'locals-swizzle-O3s1', gen: shape({ schedule: 'locals' }), asc: ['-O3', '--shrinkLevel', '1', '--converge'] },
  { name: 'locals-swizzle-O3-noconverge', gen: shape({ schedule: 'locals' }), asc: ['-O3'] },
  { name: 'simd-O3s2', gen: shape({ schedule: 'simd' }), asc: ['-O3', '--shrinkLevel', '2', '--converge'] },
];

async function main() {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const { generate } = await import('../scripts/gen-sha256-rounds.mjs');
  const mib = Number(flag('mib', 64)), runs = Number(flag('runs', 5)), repeat = Number(flag('repeat', 3));
  const filter = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const work = join(tmpdir(), `layerkit-sha256-variants-${process.pid}`);
  const runtimes = {
    node: [process.execPath],
    deno: [join(root, 'node_modules/.bin/deno'), 'run', '-A'],
    bun: [join(root, 'node_modules/.bin/bun')],
  };
  const chosen = VARIANTS.filter((v) => filter.length === 0 || filter.includes(v.name));
  const results = chosen.map((variant) => {
    const dir = join(work, variant.name);
    // Only the hash and the allocator: other kernels in assembly/ do not affect it.
    mkdirSync(join(dir, 'assembly/generated'), { recursive: true });
    for (const f of ['sha256.ts', 'memory.ts']) cpSync(join(root, 'assembly', f), join(dir, 'assembly', f));
    writeFileSync(join(dir, 'assembly/index.ts'), "export * from './sha256';\nexport * from './memory';\n");
    writeFileSync(join(dir, 'assembly/generated/sha256-compress.ts'), generate(variant.gen));
    const asc = variant.asc ?? ['-O3', '--converge'];
    const built = spawnSync(join(root, 'node_modules/.bin/asc'), ['assembly/index.ts', '--runtime', 'stub', '--enable', 'simd',
      '--noAssert', ...asc, '-o', 'out.wasm'], { cwd: dir, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`${variant.name}: asc failed\n${built.stderr}`);
    return { name: variant.name, gen: variant.gen, asc, bytes: readFileSync(join(dir, 'out.wasm')).length, samples: {}, best: {} };
  });
  // Rounds interleave variants and runtimes, so load from elsewhere on the machine hits all alike.
  for (let round = 0; round < repeat; round++) {
    for (const row of results) {
      for (const [runtime, command] of Object.entries(runtimes)) {
        const child = spawnSync(command[0], [...command.slice(1), fileURLToPath(import.meta.url), '--probe', join(work, row.name, 'out.wasm'),
          '--mib', String(mib), '--runs', String(runs)], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`${row.name} on ${runtime}: ${child.stderr}`);
        const { mbps, best } = JSON.parse(child.stdout);
        (row.samples[runtime] ??= []).push(Math.round(mbps));
        row.best[runtime] = Math.max(row.best[runtime] ?? 0, Math.round(best));
        process.stderr.write(`round ${round + 1} ${row.name} ${runtime}: median ${Math.round(mbps)} best ${Math.round(best)} MB/s\n`);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const row of results) {
    for (const runtime of Object.keys(runtimes)) row[runtime] = median(row.samples[runtime]);
    console.log(`${row.name.padEnd(24)} ${Object.keys(runtimes).map((r) => `${r} ${String(row[r]).padStart(4)} best ${String(row.best[r]).padStart(4)} [${row.samples[r].join(' ')}]`).join('  ')}  (${row.bytes} B)`);
  }
  rmSync(work, { recursive: true, force: true });
  {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/sha256-variants.json'), JSON.stringify({
      workload: 'sha256-variants', date: new Date().toISOString(), mib, runs, repeat, loadAverage: loadavg(), unit: 'MB/s (10^6 bytes/s): <runtime> = median over repeats of the median of runs; best = fastest single run (least disturbed by other load)', results,
    }, null, 2) + '\n');
  }
}

if (flag('probe')) console.log(JSON.stringify(await probe(flag('probe'), Number(flag('mib', 64)), Number(flag('runs', 5)))));
else await main();
