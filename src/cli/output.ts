/** How the CLI talks: one error line to stderr (cause chain with --debug), JSON and lines to stdout. */
import { isLayerkitError, UsageError } from '../errors.ts';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function writeLine(line: string): void {
  process.stdout.write(line + '\n');
}

export function writeJson(value: unknown): void {
  writeLine(JSON.stringify(value));
}

export function warn(message: string): void {
  process.stderr.write(`layerkit: warning: ${message}\n`);
}

function describe(error: unknown): string {
  if (isLayerkitError(error)) return `${error.message} (${error.code})`;
  if (error instanceof Error && error.name === 'CACError') return `${error.message} (USAGE)`;
  if (error instanceof Error) return error.message;
  return String(error);
}

function causeChain(error: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 10; depth++) {
    lines.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) lines.push('caused by:');
  }
  return lines.join('\n');
}

/** Prints `error` the one way the CLI prints errors and returns the exit status. */
export function report(error: unknown, debug: boolean): number {
  const usage = error instanceof UsageError || (error instanceof Error && error.name === 'CACError');
  process.stderr.write(`layerkit: ${describe(error)}\n`);
  if (debug) process.stderr.write(causeChain(error) + '\n');
  return usage ? EXIT_USAGE : EXIT_FAILURE;
}
