// Hostile input, mechanically: mutants of the small corpus archives (bit flips, interesting bytes,
// huge/negative/garbage numeric fields with fixed checksums, truncations, splices, dropped or
// duplicated blocks, typeflag and magic swaps) run through the kernel in index mode. Every one
// must end cleanly or in a TarError (never a trap or another exception), in bounded time and
// memory, and agree with the TypeScript reference reader (test/_tar-reference.ts) on the entries
// read and on where it failed. Node runs the big count; Deno and Bun a smaller one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { core } from '../../src/core/wasm.ts';
import { ready, runtime, skip } from '../_setup.ts';
import { fuzzTar } from '../_tar-fuzz.ts';
import { corpusPresent, corpusRoot } from '../_tar-corpus.ts';

test.before(async () => void (await ready()));

// 40k on Node + 5k each on Deno and Bun + the unit suite's share: over 50k per CI run.
const COUNT = Number(process.env.LAYERKIT_FUZZ_COUNT ?? (runtime === 'node' ? 40_000 : 5_000));
const SEED_MAX_BYTES = 4096;

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const dir of ['upstream', 'generated', 'hostile']) {
    for (const name of readdirSync(corpusRoot + dir).sort()) {
      const file = `${corpusRoot}${dir}/${name}`;
      if (name.endsWith('.tar') && statSync(file).size <= SEED_MAX_BYTES) out.push(new Uint8Array(readFileSync(file)));
    }
  }
  return out;
}

test(`${COUNT} mutated corpus archives: typed errors only, bounded, and the reference reader agrees`, () => {
  if (!corpusPresent) return skip('tar fuzz', `no corpus at ${corpusRoot}`);
  const seedArchives = seeds();
  assert.ok(seedArchives.length >= 50, `only ${seedArchives.length} seeds`);
  const memory = core().exports.memory;
  // Warm up (buffers grow to their working size), then memory must not grow with the count.
  fuzzTar(core(), seedArchives, { count: 200, seed: 99 });
  const before = memory.buffer.byteLength;
  const started = performance.now();
  const stats = fuzzTar(core(), seedArchives, { count: COUNT, seed: 1 });
  const seconds = (performance.now() - started) / 1000;
  console.log(`  tar fuzz [${runtime}]: ${stats.inputs} inputs in ${seconds.toFixed(1)} s, ${stats.errors} errors ${JSON.stringify(stats.byCode)}, slowest ${stats.slowestMs.toFixed(1)} ms, memory ${before} → ${memory.buffer.byteLength} bytes`);
  assert.is(stats.inputs, COUNT);
  assert.ok(stats.errors > COUNT / 10 && stats.entries > COUNT / 10, 'the mutants exercise both errors and entries');
  assert.ok(memory.buffer.byteLength <= before + (8 << 20), `memory grew from ${before} to ${memory.buffer.byteLength}`);
  assert.ok(stats.slowestMs < 2000, `one input took ${stats.slowestMs} ms`);
});

test.run();
