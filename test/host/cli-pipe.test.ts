// `layerkit … | head`: the reader closing the pipe early ends the CLI quietly, on every runtime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTar } from '../../src/tar/writer.ts';
import { cliCommand } from '../_cli.ts';

test('tar ls of 20k entries piped into head -n 1: one line out, nothing on stderr', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerkit-pipe-'));
  try {
    const entries = Array.from({ length: 20_000 }, (_, i) => ({ name: `d/file-${i}`, type: 'file' as const, size: 0, mode: 0o644, mtime: { sec: 0, nsec: 0 } }));
    writeFileSync(join(dir, 'many.tar'), await writeTar(entries));
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = `${cliCommand().map(quote).join(' ')} tar ls ${quote(join(dir, 'many.tar'))} | head -n 1`;
    const run = spawnSync('bash', ['-o', 'pipefail', '-c', command], { encoding: 'utf8' });
    assert.is(run.stdout.trim().split('\n').length, 1, run.stdout);
    assert.match(run.stdout, /d\/file-0/);
    assert.is(run.stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
