/**
 * Cases that time an external program (bsdtar, GNU tar, skopeo, umoci…), hyperfine-like: each
 * timed run spawns the command once and waits for it, so the median is wall time including
 * process start. Host runtimes only (Node, Deno, Bun): not for workloads that run in workerd.
 *
 *   commandCase('bsdtar', 'bsdtar', ['-tf', archive])   // a Case for workload().cases()
 */
import { spawnSync } from 'node:child_process';
import type { Case } from './_harness.ts';

/** Whether `command` can be run here (looked up on PATH, as the spawn will). */
export function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/**
 * A case that runs `command args` once per timed run and fails loudly on a non-zero exit (a
 * benchmark of a command that errored out would be a fast lie). Output is discarded.
 */
export function commandCase(name: string, command: string, args: string[], options: { cwd?: string; note?: string } = {}): Case {
  return {
    name,
    note: options.note ?? `${command} (external process)`,
    skip: hasCommand(command) ? undefined : `${command} is not installed (scripts/install-system-deps.sh)`,
    run: () => {
      const result = spawnSync(command, args, { cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
      if (result.error) throw result.error;
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${String(result.stderr).trim()}`);
    },
  };
}
