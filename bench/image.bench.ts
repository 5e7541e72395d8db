/**
 * Images: `inspect` of a gzip image with one ~200 MiB layer — a cold first look (every layer's
 * digest and diffID verified, which reads the layer) and a cached look (the store verified it at
 * copy, so nothing but the manifest and config is read) — and `copy oci: → docker-archive:` with
 * layerkit against `skopeo copy` of the same image in the same run. Process cases include start-up.
 *
 *   node --import tsx bench/image.bench.ts --runs 3      or     npm run bench -- image
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { MiB, workload, type Case } from './_harness.ts';
import { commandCase, layerkitCase } from './_process.ts';
import { init } from '../src/mod.ts';
import { openImage } from '../src/cli/resolve.ts';
import { inspectImage } from '../src/image/describe.ts';
import { LayoutStore } from '../src/store/layout-store.ts';
import { copyImageToStore, storeImage } from '../src/store/store-image.ts';
import { writeTar } from '../src/tar/writer.ts';
import { randomBytes } from '../test/_setup.ts';

const root = new URL('../build/bench/image/', import.meta.url).pathname;
const layout = join(root, 'layout');
const LAYER_BYTES = 200 * MiB;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** One layer of ~200 MiB (half random, half text-like, so gzip has work both ways), gzip level 6. */
async function ensureLayout(): Promise<void> {
  if (existsSync(join(layout, 'index.json'))) return;
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(Math.ceil(LAYER_BYTES / 2 / 55)));
  const tar = await writeTar([
    { name: 'data/', type: 'dir' },
    { name: 'data/random.bin', body: randomBytes(LAYER_BYTES / 2, 42) },
    { name: 'data/text.txt', body: text.subarray(0, LAYER_BYTES / 2) },
  ]);
  const layer = gzipSync(tar);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [`sha256:${sha(tar)}`] }, history: [{ created_by: 'bench' }] });
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(layer)}`, size: layer.length }],
  });
  for (const blob of [layer, config, manifest]) writeFileSync(join(layout, 'blobs', 'sha256', sha(blob)), blob);
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done);
}

export default workload(import.meta, {
  name: 'image',
  title: 'inspect of a gzip image with a 200 MiB layer (cold / cached), copy oci: → docker-archive: vs skopeo',
  runtimes: ['node', 'deno', 'bun'],
  ratio: ['layerkit copy → docker-archive', 'skopeo copy → docker-archive'],
  async cases() {
    await init();
    await ensureLayout();
    const store = await LayoutStore.open(join(root, 'store'));
    if (!(await store.listNames()).length) await copyImageToStore(await openImage(`oci:${layout}:v1`), store, ['docker.io/library/bench:1']);
    const out = join(root, 'out');
    mkdirSync(out, { recursive: true });
    const lkArchive = join(out, 'layerkit.tar');
    const skArchive = join(out, 'skopeo.tar');
    const cases: Case[] = [
      {
        name: 'inspect, cold (verify digest + diffID)',
        note: 'in-process: manifest, config, and every layer read once',
        run: async () => {
          const image = await openImage(`oci:${layout}:v1`);
          await inspectImage(image);
          for (const layer of await image.layers()) await drain(await layer.uncompressed());
        },
      },
      {
        name: 'inspect, cached (store)',
        note: 'in-process: verified at copy; no layer read',
        run: async () => void (await inspectImage(await storeImage(store, 'docker.io/library/bench:1'))),
      },
      layerkitCase('layerkit inspect (CLI)', ['inspect', `oci:${layout}:v1`]),
      commandCase('skopeo inspect', 'skopeo', ['inspect', `oci:${layout}:v1`]),
      layerkitCase('layerkit copy → docker-archive', ['copy', '--quiet', `oci:${layout}:v1`, `docker-archive:${lkArchive}:bench:1`]),
      { ...commandCase('skopeo copy → docker-archive', 'sh', ['-c', `rm -f ${skArchive} && skopeo copy -q oci:${layout}:v1 docker-archive:${skArchive}:bench:1`]), note: 'skopeo (external process)' },
    ];
    // Both copies must produce archives with the same diffIDs before anything is timed.
    for (const c of cases.slice(-2)) await c.run();
    const ids = (file: string) => spawnSync('skopeo', ['inspect', '--config', '--raw', `docker-archive:${file}`], { encoding: 'utf8' }).stdout;
    if (JSON.parse(ids(lkArchive)).rootfs.diff_ids.join() !== JSON.parse(ids(skArchive)).rootfs.diff_ids.join()) throw new Error('layerkit and skopeo archives differ in diffIDs');
    process.once('exit', () => rmSync(out, { recursive: true, force: true }));
    return cases;
  },
});
