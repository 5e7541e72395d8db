/**
 * `layerkit ls` of the gzip image with one ~200 MiB layer (bench/image.bench.ts makes it): with no
 * store (every layer read), with a cold LayerIndex cache (the layer read, its index stored), and
 * warm (the index read from $LAYERKIT_HOME/cache, no layer byte read), plain and `--sha256`.
 * Process cases, start-up included.
 *
 *   node --import tsx bench/ls-cache.bench.ts --runs 3      or     npm run bench -- ls-cache
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workload, type Case } from './_harness.ts';
import { layerkitCase } from './_process.ts';

const layout = new URL('../build/bench/image/layout', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'layerkit-bench-ls-'));
process.on('exit', () => rmSync(home, { recursive: true, force: true }));

function lsCase(name: string, note: string, args: string[], env: NodeJS.ProcessEnv, before?: () => void): Case {
  return {
    ...layerkitCase(name, ['ls', ...args, `oci:${layout}:v1`], { note, env }),
    ...(before ? { before } : {}),
    ...(existsSync(join(layout, 'index.json')) ? {} : { skip: 'no build/bench/image/layout yet: run `npm run bench -- image` once to make it' }),
  };
}

export default workload(import.meta, {
  name: 'ls-cache',
  title: 'ls of a gzip image with a 200 MiB layer: no store, cold LayerIndex cache, warm cache',
  runtimes: ['node', 'deno', 'bun'],
  ratio: ['ls, no store (layer read)', 'ls, warm cache'],
  async cases() {
    // A store that cannot exist (below a regular file) turns the cache off on every runtime;
    // removing HOME from a child's environment is not enough where the runtime merges it back (Deno).
    const bare = { ...process.env, LAYERKIT_HOME: '/dev/null/layerkit' };
    const cold = { ...process.env, LAYERKIT_HOME: join(home, 'cold') };
    const warm = { ...process.env, LAYERKIT_HOME: join(home, 'warm') };
    return [
      lsCase('ls, no store (layer read)', '$LAYERKIT_HOME cannot be created: indexes are not cached', [], bare),
      lsCase('ls, cold cache', 'layer read, digest and diffID verified, index stored', [], cold, () => rmSync(join(home, 'cold'), { recursive: true, force: true })),
      lsCase('ls, warm cache', 'index from the cache: no layer byte read', [], warm),
      lsCase('ls --sha256, cold cache', 'layer read with every file hashed, index stored', ['--sha256'], cold, () => rmSync(join(home, 'cold'), { recursive: true, force: true })),
      lsCase('ls --sha256, warm cache', 'index with file digests from the cache', ['--sha256'], warm),
    ];
  },
});
