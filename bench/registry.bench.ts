/**
 * Registry transfer over loopback: pull a ~300 MiB, 5-layer image from docker-registry into the
 * local store (an OCI layout), and push it to an empty repository, layerkit (in-process, 3 layers
 * at a time) against `skopeo copy` doing the same in the same run. Every run pulls into a fresh
 * store and pushes to a repository that did not exist; skopeo's blob-info cache is removed before
 * each of its pushes so that it uploads, as layerkit does, rather than mounting from a previous run.
 *
 *   node --import tsx bench/registry.bench.ts --runs 3      or     npm run bench -- registry
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB, workload, type Case } from './_harness.ts';
import { hasCommand } from './_process.ts';
import { init } from '../src/mod.ts';
import { openImage } from '../src/cli/resolve.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { pullImage } from '../src/registry/pull.ts';
import { pushImage } from '../src/registry/push.ts';
import { parseDockerReference } from '../src/registry/reference.ts';
import { LayoutStore } from '../src/store/layout-store.ts';
import { registryUnavailable, startRegistry, tarOf, testImage, type TestRegistry, writeLayout } from '../test/_registry.ts';
import { randomBytes } from '../test/_setup.ts';

const LAYERS = [90, 80, 60, 45, 25].map((m) => m * MiB); // 300 MiB of incompressible files
const root = new URL('../build/bench/registry/', import.meta.url).pathname;
const layout = join(root, 'layout');
const BLOB_INFO_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';

/** The image as an OCI layout under build/ (made once; gzip level 1 of random bytes ≈ their size). */
function ensureLayout(): number {
  if (!existsSync(join(layout, 'index.json'))) {
    const image = testImage(LAYERS.map((size, i) => tarOf({ [`data/layer-${i}.bin`]: randomBytes(size, 100 + i) })));
    writeLayout(layout, 'v1', [image]);
  }
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  return manifest.layers.reduce((n: number, l: { size: number }) => n + l.size, 0);
}

let registry: TestRegistry | undefined;
const scratch: string[] = [];
const cleanup = () => {
  registry?.kill();
  registry = undefined;
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
};
process.once('exit', cleanup);

function skopeo(args: string[]): void {
  const result = spawnSync('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${result.status}: ${String(result.stderr).trim()}`);
}

/** Removes the previous run's output (each case's `before`: not timed, but it costs ~1 s per 300 MiB). */
const clearScratch = () => { for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true }); };

/** A fresh directory for this run. */
function freshDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

export default workload(import.meta, {
  name: 'registry',
  title: 'Registry on loopback: pull ~300 MiB / 5 layers into the store, push to an empty repository — layerkit vs skopeo copy',
  bytes: 300 * MiB,
  ratio: ['layerkit pull', 'skopeo pull'],
  async cases() {
    const missing = registryUnavailable() ?? (hasCommand('skopeo') ? undefined : 'skopeo is not installed');
    if (missing) return ['layerkit pull', 'skopeo pull', 'layerkit push', 'skopeo push'].map((name) => ({ name, run: () => {}, skip: missing }));
    await init();
    const bytes = ensureLayout();
    registry = await startRegistry({ unref: true });
    const host = registry.host;
    skopeo(['copy', '--dest-tls-verify=false', '--preserve-digests', `oci:${layout}:v1`, `docker://${host}/bench/source:v1`]);
    const client = () => new RegistryClient({ registry: host, insecure: true, credentials: null });
    const source = await openImage(`oci:${layout}:v1`);
    let pushes = 0;
    const note = `${(bytes / MiB).toFixed(0)} MiB in 5 layers`;
    const cases: Case[] = [
      {
        name: 'layerkit pull', note, before: clearScratch,
        run: async () => {
          const store = await LayoutStore.open(freshDir('lk-pull-'));
          await pullImage(client(), parseDockerReference(`${host}/bench/source:v1`), store);
        },
      },
      { name: 'skopeo pull', note: 'skopeo copy docker:// → oci:', before: clearScratch, run: () => skopeo(['copy', '--src-tls-verify=false', `docker://${host}/bench/source:v1`, `oci:${freshDir('sk-pull-')}:v1`]) },
      {
        name: 'layerkit push', note: 'to a new repository',
        run: async () => void (await pushImage(client(), parseDockerReference(`${host}/bench/lk-push-${pushes++}:v1`), source)),
      },
      {
        name: 'skopeo push', note: 'skopeo copy oci: → docker://',
        run: () => {
          rmSync(BLOB_INFO_CACHE, { force: true }); // or it mounts from the last run's repository
          skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${host}/bench/sk-push-${pushes++}:v1`]);
        },
      },
    ];
    return cases;
  },
});
