// Over 512 MiB the message length in bits no longer fits 32 bits: one pass of 513 MiB + 3 bytes
// through the release kernel, equal to node:crypto.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { instantiate, toHex } from '../../src/mod.ts';
import { WasmSha256 } from '../../src/core/sha256.ts';
import { randomBytes } from '../_setup.ts';

test('513 MiB + 3 bytes in 1 MiB chunks equals node:crypto', async () => {
  const release = await instantiate(new Uint8Array(readFileSync(new URL('../../build/layerkit.wasm', import.meta.url))));
  const ours = new WasmSha256(release);
  const reference = createHash('sha256');
  const chunk = randomBytes(1 << 20, 77);
  for (let i = 0; i < 513; i++) {
    chunk[0] = i & 0xff; // every chunk differs
    ours.update(chunk);
    reference.update(chunk);
  }
  const tail = new Uint8Array([1, 2, 3]);
  ours.update(tail);
  reference.update(tail);
  assert.is(toHex(ours.digest()), reference.digest('hex'));
});

test.run();
