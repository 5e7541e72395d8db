/**
 * Runs test suites on the runtime executing this file (Node via tsx, Deno, Bun):
 *   node --import tsx test/run.ts [unit|host|interop ...]      deno run -A test/run.ts    bun test/run.ts
 * Prints failures, then `<runtime>: N passed, N failed, N skipped`; exits 1 on any failure.
 */
import './_defer.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { register, runQueued } from './_queue.ts';
import { runtime } from './_setup.ts';
import '../src/node.ts';

const here = new URL('.', import.meta.url);
const groups = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const only = process.env.TEST_ONLY;
(globalThis as Record<string, unknown>).__LAYERKIT_TEST_WASM__ = new Uint8Array(readFileSync(new URL('../build/layerkit.debug.wasm', here)));

for (const group of groups.length ? groups : ['unit', 'host']) {
  const files = readdirSync(new URL(`${group}/`, here)).filter((f) => f.endsWith('.test.ts')).sort();
  for (const file of files) {
    if (only && !file.includes(only)) continue;
    await register(`${group}/${file}`, () => import(new URL(`${group}/${file}`, here).href));
  }
}

const counts = await runQueued((line) => console.log(line));
console.log(`\n${runtime}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exitCode = counts.failed > 0 || counts.passed === 0 ? 1 : 0;
