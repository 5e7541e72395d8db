/**
 * Runs the layerkit CLI as a user would, on the runtime running the tests: the compiled
 * bin on Node, the TypeScript sources on Deno and Bun.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { runtime } from './_setup.ts';

const root = new URL('../', import.meta.url).pathname;

export function cliCommand(): string[] {
  if (runtime === 'deno') return [`${root}node_modules/.bin/deno`, 'run', '-A', `${root}src/bin.ts`];
  if (runtime === 'bun') return [`${root}node_modules/.bin/bun`, `${root}src/bin.ts`];
  return [process.execPath, `${root}bin/layerkit.js`];
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function layerkit(args: string[], options: SpawnSyncOptions & { prefix?: string[] } = {}): CliResult {
  const [command, ...rest] = [...(options.prefix ?? []), ...cliCommand()];
  const result = spawnSync(command!, [...rest, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  return { status: result.status ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
