// The worker thread that writes unpack's files (src/runtime/node-file-worker.ts): bytes land in
// the files they were queued for, at their positions, across commits; the buffer comes back with
// its bytes; metadata goes on through the handle; directories are made before what is queued after
// them; a failure is thrown by drain, files are closed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import type { BackgroundFiles } from '../../src/host.ts';
import { workerBackgroundFiles } from '../../src/runtime/node-file-worker.ts';
import { randomBytes } from '../_setup.ts';
import { withTempDir } from '../_overlay.ts';

/** Runs `work` with a new worker and a new temporary directory, both let go afterwards. */
function withFiles(name: string, work: (files: BackgroundFiles, dir: string) => Promise<void>): Promise<void> {
  return withTempDir(name, async (dir) => {
    const files = workerBackgroundFiles();
    try {
      await work(files, dir);
    } finally {
      files.close();
    }
  });
}

test('files queued across commits get their bytes, modes and times; the buffer comes back intact', async () => {
  await withFiles('file-worker', async (files, dir) => {
    const data = randomBytes(300_000, 4);
    const a = files.create(`${dir}/a`, 0o600);
    const b = files.create(`${dir}/b`, 0o600);
    let buffer = data.slice(0, 100_000).buffer;
    a.write(new Uint8Array(buffer, 0, 60_000));
    b.write(new Uint8Array(buffer, 60_000, 40_000));
    b.close({ mode: 0o4755, mtime: { sec: 1_600_000_000, nsec: 500_000_000 } });
    buffer = await files.commit(buffer);
    assert.equal(new Uint8Array(buffer), data.subarray(0, 100_000), 'the buffer came back with its bytes');
    // the second part of `a` comes in a later buffer
    const next = data.slice(100_000).buffer;
    a.write(new Uint8Array(next, 0, 200_000));
    a.close({ mode: 0o640, mtime: { sec: 1_500_000_000, nsec: 0 } });
    await files.commit(next);
    await files.drain();
    assert.equal(new Uint8Array(readFileSync(`${dir}/a`)), new Uint8Array([...data.subarray(0, 60_000), ...data.subarray(100_000)]));
    assert.equal(new Uint8Array(readFileSync(`${dir}/b`)), data.subarray(60_000, 100_000));
    assert.is(lstatSync(`${dir}/b`).mode & 0o7777, 0o4755);
    assert.is(lstatSync(`${dir}/a`).mode & 0o7777, 0o640);
    assert.is(Math.round(lstatSync(`${dir}/b`).mtimeMs), 1_600_000_000_500);
    assert.is(lstatSync(`${dir}/a`).mtimeMs, 1_500_000_000_000);
  });
});

test('directories queued and flushed are made before the files queued after them, in order', async () => {
  await withFiles('file-worker-dirs', async (files, dir) => {
    files.mkdir(`${dir}/a`, 0o700);
    files.mkdir(`${dir}/a/b`, 0o700);
    files.flush();
    const bytes = randomBytes(1000, 5);
    const expected = bytes.slice(); // bytes' buffer goes to the worker and back
    const f = files.create(`${dir}/a/b/f`, 0o600);
    f.write(bytes);
    f.close();
    await files.commit(bytes.buffer as ArrayBuffer);
    files.mkdir(`${dir}/a`, 0o700); // exists: refused, and reported by drain
    let code: string | undefined;
    await files.drain().catch((e) => (code = (e as { code?: string }).code));
    assert.is(code, 'EEXIST');
    assert.is(lstatSync(`${dir}/a/b`).mode & 0o777, 0o700);
    assert.equal(new Uint8Array(readFileSync(`${dir}/a/b/f`)), expected);
  });
});

test('a file made with its final mode keeps it, whatever the umask takes from the mode at create', async () => {
  await withFiles('file-worker-modes', async (files, dir) => {
    const bytes = randomBytes(100, 6);
    const modes = [0o644, 0o666, 0o777, 0o400, 0o000, 0o755];
    modes.forEach((mode, n) => {
      const file = files.create(`${dir}/f${n}`, mode);
      file.write(bytes);
      file.close({ mode, mtime: { sec: 1_600_000_000, nsec: 0 } });
    });
    await files.commit(bytes.buffer as ArrayBuffer);
    await files.drain();
    modes.forEach((mode, n) => assert.is(lstatSync(`${dir}/f${n}`).mode & 0o7777, mode, `f${n}`));
  });
});

test('a failure is thrown by drain; files after it are not made, open ones are closed', async () => {
  await withFiles('file-worker-fail', async (files, dir) => {
    writeFileSync(`${dir}/taken`, 'x');
    const bytes = new Uint8Array(10).fill(1);
    const first = files.create(`${dir}/first`, 0o600);
    first.write(bytes.subarray(0, 5));
    files.create(`${dir}/taken`, 0o600).close(); // exists: refused (O_EXCL)
    files.create(`${dir}/later`, 0o600).close();
    await files.commit(bytes.buffer);
    let code: string | undefined;
    await files.drain().catch((e) => (code = (e as { code?: string }).code));
    assert.is(code, 'EEXIST');
    assert.is(readFileSync(`${dir}/taken`, 'utf8'), 'x', 'the existing file is untouched');
    assert.not.ok(existsSync(`${dir}/later`), 'nothing is made after a failure');
    await files.drain(); // the failure was reported once; nothing is left running
  });
});

test.run();
