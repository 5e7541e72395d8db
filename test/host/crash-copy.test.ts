// Crash safety of the store: `layerkit copy` into it is killed with SIGKILL at random moments
// (≥ 50 times); after each kill every blob hashes to its name, index.json parses and names only
// images whose blobs are all present; and the copy completes when run again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeTar } from '../../src/tar/writer.ts';
import { cliCommand, layerkit } from '../_cli.ts';
import { randomBytes, randomInts, ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const KILLS = 50;
const work = mkdtempSync(`${tmpdir()}/layerkit-crash-`);
const source = `${work}/source`;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
test.after(() => rmSync(work, { recursive: true, force: true }));

/** An OCI layout of six uncompressed layers of 256 KiB random content each. */
async function makeSource(): Promise<void> {
  mkdirSync(`${source}/blobs/sha256`, { recursive: true });
  const layers: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) layers.push(await writeTar([{ name: `data/${i}.bin`, body: randomBytes(256 << 10, i + 1) }]));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha(l)}`) } });
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${sha(l)}`, size: l.length })),
  });
  for (const blob of [...layers, config, manifest]) writeFileSync(`${source}/blobs/sha256/${sha(blob)}`, blob);
  writeFileSync(`${source}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(`${source}/index.json`, JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length }] }));
}

/** Runs a copy and SIGKILLs it after `delay` ms; resolves with the exit code (null when killed). */
function copyKilledAfter(home: string, delay: number): Promise<{ killed: boolean; ms: number }> {
  const [command, ...args] = cliCommand();
  const started = Date.now();
  const child = spawn(command!, [...args, 'copy', '--quiet', `oci:${source}`, 'crash:1'], { env: { ...process.env, LAYERKIT_HOME: home }, stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), delay);
  return new Promise((resolve) => child.on('exit', (_code, signal) => {
    clearTimeout(timer);
    resolve({ killed: signal === 'SIGKILL', ms: Date.now() - started });
  }));
}

/** The invariants a crash may never break. */
function checkStore(home: string): { blobs: number; named: number } {
  if (!existsSync(`${home}/index.json`)) {
    assert.ok(!existsSync(`${home}/blobs/sha256`) || readdirSync(`${home}/blobs/sha256`).length === 0, 'blobs without an index.json');
    return { blobs: 0, named: 0 };
  }
  const names = readdirSync(`${home}/blobs/sha256`);
  for (const hex of names) assert.is(sha(readFileSync(`${home}/blobs/sha256/${hex}`)), hex, `blob ${hex} does not hash to its name`);
  const index = JSON.parse(readFileSync(`${home}/index.json`, 'utf8'));
  for (const entry of index.manifests) {
    const hex = entry.digest.slice(7);
    assert.ok(names.includes(hex), `index.json names a missing manifest ${hex}`);
    const manifest = JSON.parse(readFileSync(`${home}/blobs/sha256/${hex}`, 'utf8'));
    for (const d of [manifest.config, ...manifest.layers]) assert.ok(names.includes(d.digest.slice(7)), `manifest refers to a missing blob ${d.digest}`);
  }
  return { blobs: names.length, named: index.manifests.length };
}

test(`SIGKILL at ${KILLS} random points never leaves a bad blob or a dangling name; copy then completes`, async () => {
  await makeSource();
  // Kill anywhere from half-way through start-up (timed with --version) to a little after a
  // whole copy took; the machine's load varies, so runs go on until there were KILLS kills.
  const startedAt = Date.now();
  layerkit(['--version']);
  const startup = Date.now() - startedAt;
  const full = await copyKilledAfter(`${work}/timing`, 120_000);
  assert.is(full.killed, false);
  const from = Math.floor(startup * 0.5);
  const window = Math.max(100, full.ms * 1.2 - from);
  const next = randomInts(Number(process.env.CRASH_SEED ?? Date.now() % 100000) || 1);
  let killedCount = 0;
  let runs = 0;
  let withPartialState = 0;
  let stores = 0;
  // A store takes kills until a run finishes before its kill; then a fresh store starts.
  while (killedCount < KILLS && runs < KILLS * 3) {
    const home = `${work}/store-${stores}`;
    const { killed } = await copyKilledAfter(home, from + next(Math.ceil(window)));
    runs++;
    if (killed) killedCount++;
    const state = checkStore(home);
    if (state.blobs > 0 && state.named === 0) withPartialState++;
    if (!killed) stores++;
  }
  assert.ok(killedCount >= KILLS, `only ${killedCount} kills in ${runs} runs`);
  for (let s = 0; s <= stores; s++) {
    const home = `${work}/store-${s}`;
    if (!existsSync(home)) continue;
    const r = layerkit(['copy', '--quiet', `oci:${source}`, 'crash:1'], { env: { ...process.env, LAYERKIT_HOME: home } });
    assert.is(r.status, 0, r.stderr);
    const state = checkStore(home);
    assert.is(state.named, 1);
    assert.is(state.blobs, 8);
    const inspect = layerkit(['inspect', 'crash:1'], { env: { ...process.env, LAYERKIT_HOME: home } });
    assert.is(JSON.parse(inspect.stdout).Layers.length, 6);
    const gc = layerkit(['gc', '--json'], { env: { ...process.env, LAYERKIT_HOME: home } });
    assert.is(JSON.parse(gc.stdout).removed.length, 0);
    assert.equal(readdirSync(`${home}/ingest`), [], 'gc clears leftovers of killed copies');
  }
  console.log(`crash: ${runs} runs, ${killedCount} SIGKILLed (delays ${from}–${Math.round(from + window)} ms), ${withPartialState} kills left verified blobs but no name yet, ${stores + 1} stores resumed to completion`);
});

test.run();
