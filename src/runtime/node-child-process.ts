/**
 * node:child_process, loaded on first use: most commands never start a program, and loading it
 * (it brings node:net along) took ~6 ms of every Node start-up.
 */
import { createRequire } from 'node:module';

let loaded: typeof import('node:child_process') | undefined;

export function childProcess(): typeof import('node:child_process') {
  return (loaded ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process'));
}
