// Puts the release core beside dist/workers.js, where bundlers for workers look for `./layerkit.wasm`.
import { copyFileSync } from 'node:fs';
copyFileSync(new URL('../build/layerkit.wasm', import.meta.url), new URL('../dist/layerkit.wasm', import.meta.url));
