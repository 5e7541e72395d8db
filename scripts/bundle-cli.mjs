// Bundles the Node CLI (src/bin.ts and what it loads) into dist/bundle/: start-up then reads a
// handful of files instead of resolving and compiling ~150 modules one by one (about 0.36 s →
// 0.24 s for `layerkit --version` on the reference machine). Commands stay lazy: each is a chunk
// loaded when it runs. The release core stays a file: src/runtime/node.ts finds it at
// ../../build/layerkit.wasm from dist/bundle/ as from dist/runtime/.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/bundle/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true }); // chunk names change with content: no stale ones
await build({
  entryPoints: [new URL('../src/bin.ts', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
