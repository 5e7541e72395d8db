/**
 * Cases that time an external program (bsdtar, GNU tar, skopeo, umoci…), hyperfine-like: each
 * timed run spawns the command once and waits for it, so the median is wall time including
 * process start. Host runtimes only (Node, Deno, Bun): not for workloads that run in workerd.
 *
 *   commandCase('bsdtar', 'bsdtar', ['-tf', archive])   // a Case for workload().cases()
 */
import { spawnSync } from 'node:child_process';
import { runtime, type Case } from './_harness.ts';

/** Whether `command` can be run here (looked up on PATH, as the spawn will). */
export function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/**
 * A case that runs `command args` once per timed run and fails loudly on a non-zero exit (a
 * benchmark of a command that errored out would be a fast lie). Output is discarded.
 */
export function commandCase(name: string, command: string, args: string[], options: { cwd?: string; note?: string; env?: NodeJS.ProcessEnv } = {}): Case {
  return {
    name,
    note: options.note ?? `${command} (external process)`,
    skip: hasCommand(command) ? undefined : `${command} is not installed (scripts/install-system-deps.sh)`,
    run: () => {
      const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
      if (result.error) throw result.error;
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${String(result.stderr).trim()}`);
    },
  };
}

const repo = new URL('../', import.meta.url).pathname;

/** The layerkit CLI as users start it on the runtime being measured: the built bin on Node, the sources on Deno and Bun. */
export function layerkitCommand(): [string, string[]] {
  if (runtime === 'deno') return [`${repo}node_modules/.bin/deno`, ['run', '-A', `${repo}src/bin.ts`]];
  if (runtime === 'bun') return [`${repo}node_modules/.bin/bun`, [`${repo}src/bin.ts`]];
  return [process.execPath, [`${repo}bin/layerkit.js`]];
}

/**
 * The environment the layerkit CLI is timed in: `base` less NODE_EXTRA_CA_CERTS when the runtime
 * is Node. Node 20 reads and parses the file that variable names as it starts, before any program
 * runs: ~90 ms a start on the machine the committed figures come from, where it names the system's
 * certificate bundle (`node -e 0`: ~145 ms with it, ~50 ms without). The commands timed make no
 * TLS connection, and the peer programs pay nothing of the kind. `unset` names what went, and
 * `noteSuffix` says so for a case's note ('' when nothing went).
 */
export function layerkitEnv(base: NodeJS.ProcessEnv = process.env): { env: NodeJS.ProcessEnv; unset?: string; noteSuffix: string } {
  if (runtime !== 'node' || base.NODE_EXTRA_CA_CERTS === undefined) return { env: base, noteSuffix: '' };
  const { NODE_EXTRA_CA_CERTS: _, ...env } = base;
  return { env, unset: 'NODE_EXTRA_CA_CERTS', noteSuffix: '; NODE_EXTRA_CA_CERTS unset' };
}

/** A layerkit CLI run, timed as one process (start-up included), like the peer programs. */
export function layerkitCase(name: string, args: string[], options: { note?: string; env?: NodeJS.ProcessEnv } = {}): Case {
  const [command, prefix] = layerkitCommand();
  const { env, noteSuffix } = layerkitEnv(options.env);
  const note = `${options.note ?? `layerkit CLI on ${runtime}, process`}${noteSuffix}`;
  return { ...commandCase(name, command, [...prefix, ...args], { env }), note };
}
