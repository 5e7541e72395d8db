// Root.place answers names under directories the unpack made without probing (a fast path);
// every answer must still be resolveInRoot's against what the root holds: random names, clean
// and not, under made directories, under directories it did not make, and through symlinks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TreeWriter } from '../../src/host.ts';
import { resolveInRoot } from '../../src/fs/resolve-in-root.ts';
import { Root } from '../../src/fs/unpack-root.ts';
import { randomInts } from '../_setup.ts';

/** A root in memory: host path → what is there (symlinks with their targets). */
function memoryWriter(held: Map<string, 'dir' | 'file' | { symlink: string }>): TreeWriter {
  return {
    kind: (path: string) => {
      const what = held.get(path);
      return what === undefined ? undefined : typeof what === 'object' ? 'symlink' : what;
    },
    readlink: (path: string) => (held.get(path) as { symlink: string }).symlink,
    mkdir: (path: string) => void held.set(path, 'dir'),
  } as unknown as TreeWriter;
}

test('place gives resolveInRoot\'s answer for every name, made directories or not', () => {
  const held = new Map<string, 'dir' | 'file' | { symlink: string }>();
  const root = new Root(memoryWriter(held), '/stage');
  // made by the unpack: a, a/b, a/b/c, d; there but not made by it: e (a dir), f (a file)
  for (const dir of ['a', 'a/b', 'a/b/c', 'd']) root.mkdir(`/stage/${dir}`);
  held.set('/stage/e', 'dir');
  held.set('/stage/f', 'file');
  // symlinks: inside the root, absolute, and one that climbs
  held.set('/stage/a/l', { symlink: '/d' });
  held.set('/stage/d/up', { symlink: '../a/b' });
  const parts = ['a', 'b', 'c', 'd', 'e', 'f', 'l', 'up', 'x', '.', '..', '', '.wh.a', '.b'];
  const next = randomInts(11);
  let fast = 0;
  for (let n = 0; n < 5000; n++) {
    // half under a made directory (what nearly every entry of an unpack is), half anything
    const made = ['a', 'a/b', 'a/b/c', 'd'][next(4)]!;
    const tail = Array.from({ length: 1 + next(3) }, () => parts[next(parts.length)]).join('/');
    const name = next(2) === 0 ? `${made}/${tail}` : Array.from({ length: 1 + next(5) }, () => parts[next(parts.length)]).join('/');
    const lead = next(4) === 0 ? '/' : next(4) === 0 ? './' : '';
    const full = lead + name;
    let want: string | Error;
    try {
      const resolved = resolveInRoot(root.probe, full);
      want = resolved.length === 0 ? '/stage' : `/stage/${resolved.join('/')}`;
    } catch (error) {
      want = error as Error;
    }
    let got: string | Error;
    try {
      got = root.place(full);
    } catch (error) {
      got = error as Error;
    }
    if (want instanceof Error) assert.equal((got as { code?: string }).code, (want as { code?: string }).code, full);
    else assert.is(got, want, full);
    if (!(want instanceof Error) && /^(a|a\/b|a\/b\/c|d)\/[^/.]+$/.test(full)) fast++;
  }
  assert.ok(fast > 250, `names under made directories were tried (${fast})`);
});

test.run();
