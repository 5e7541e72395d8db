// Runs every suite on every runtime and prints one summary line per runtime, then the total:
//   node | deno | bun: test/unit + test/host     workerd: test/unit inside workerd
//   interop (node): real tools — skopeo, umoci, registry — when test/interop has suites
// The last line is `total: N passed, N failed, N skipped`. Exit status 1 on any failure.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const root = new URL('../', import.meta.url).pathname;
const bin = (name) => `${root}node_modules/.bin/${name}`;
const hasSuites = (group) => existsSync(`${root}test/${group}`) && readdirSync(`${root}test/${group}`).some((f) => f.endsWith('.test.ts'));
const only = process.argv.slice(2);

const suites = [
  { name: 'node', command: process.execPath, args: ['--import', 'tsx', 'test/run.ts', 'unit', 'host'] },
  { name: 'deno', command: bin('deno'), args: ['run', '-A', 'test/run.ts', 'unit', 'host'] },
  { name: 'bun', command: bin('bun'), args: ['test/run.ts', 'unit', 'host'] },
  { name: 'workerd', command: process.execPath, args: ['scripts/build-workerd-tests.mjs', '--run'] },
  ...(hasSuites('interop') ? [{ name: 'interop', command: process.execPath, args: ['--import', 'tsx', 'test/run.ts', 'interop'] }] : []),
].filter((s) => only.length === 0 || only.includes(s.name));

const SUMMARY = /^(\w+): (\d+) passed, (\d+) failed, (\d+) skipped$/;
const PROGRESS = /^[\s•✘]*(\(\d+ \/ \d+\))?\s*$/;
const TIMEOUT_MS = 30 * 60 * 1000;

function runSuite({ name, command, args }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => { output += `\n${name}: timed out after ${TIMEOUT_MS / 60000} min\n`; child.kill('SIGKILL'); }, TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = output.split('\n').filter((l) => !PROGRESS.test(l) && !/run\.rs:\d+: debug/.test(l));
      const summary = lines.map((l) => l.match(SUMMARY)).filter(Boolean).pop();
      const counts = summary ? { passed: +summary[2], failed: +summary[3], skipped: +summary[4] } : { passed: 0, failed: 1, skipped: 0 };
      if (code !== 0 && counts.failed === 0) counts.failed = 1; // crashed after counting, or before
      const noisy = code !== 0 || counts.failed > 0 || lines.some((l) => l.startsWith('skipped:'));
      if (noisy) console.log(lines.filter((l) => !SUMMARY.test(l)).join('\n').trim());
      console.log(`${name} suite — ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (exit ${code})`);
      resolve(counts);
    });
  });
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const suite of suites) {
  const started = Date.now();
  const counts = await runSuite(suite);
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const k of Object.keys(total)) total[k] += counts[k];
}
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exitCode = total.failed > 0 || total.passed === 0 ? 1 : 0;
