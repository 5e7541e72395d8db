// Bundles the portable test suites (test/unit) into one worker and runs it with `workerd test`.
// The entry imports _defer.ts first (so uvu queues instead of scheduling its own run), then the
// real workers entry of layerkit, then every unit test file; the debug core is embedded as a
// precompiled module because workerd refuses to compile WebAssembly from bytes.
import { build } from 'esbuild';
import { readdirSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('../', import.meta.url);
const out = new URL('build/workerd-tests/', root);
mkdirSync(out, { recursive: true });
const files = readdirSync(new URL('test/unit/', root)).filter((f) => f.endsWith('.test.ts')).sort();
const only = process.env.TEST_ONLY;
const entry = `
import '../../test/_defer.ts';
import debugCore from './layerkit.debug.wasm';
import '../../src/workers.ts';
import { register, runQueued } from '../../test/_queue.ts';
globalThis.__LAYERKIT_TEST_WASM__ = debugCore;
const files = {
${files.filter((f) => !only || f.includes(only)).map((f) => `  ${JSON.stringify('unit/' + f)}: () => import('../../test/unit/${f}'),`).join('\n')}
};
export default {
  async test() {
    for (const [name, load] of Object.entries(files)) await register(name, load);
    const lines = [];
    const counts = await runQueued((line) => lines.push(line));
    for (const line of lines) console.log(line);
    console.log(\`\\nworkerd: \${counts.passed} passed, \${counts.failed} failed, \${counts.skipped} skipped\`);
    if (counts.failed > 0 || counts.passed === 0) throw new Error(\`\${counts.failed} test(s) failed in workerd\`);
  },
};
`;
writeFileSync(new URL('entry.ts', out), entry);
copyFileSync(new URL('build/layerkit.debug.wasm', root), new URL('layerkit.debug.wasm', out));
copyFileSync(new URL('build/layerkit.wasm', root), new URL('layerkit.wasm', out));
await build({
  entryPoints: [new URL('entry.ts', out).pathname],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  external: ['*.wasm', 'node:*'],
  outfile: new URL('tests.js', out).pathname,
  logLevel: 'warning',
});
writeFileSync(new URL('tests.capnp', out), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "tests", worker = .testWorker) ],
);
const testWorker :Workerd.Worker = (
  modules = [
    (name = "tests.js", esModule = embed "tests.js"),
    (name = "layerkit.debug.wasm", wasm = embed "layerkit.debug.wasm"),
    (name = "layerkit.wasm", wasm = embed "layerkit.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
);
`);
if (process.argv.includes('--run')) {
  const workerd = new URL('node_modules/.bin/workerd', root).pathname;
  const result = spawnSync(workerd, ['test', new URL('tests.capnp', out).pathname], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
