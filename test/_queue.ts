/**
 * Runs the uvu suites queued by the test files and counts them; shared by test/run.ts (Node,
 * Deno, Bun) and the workerd entry. A file is registered with `register(name, () => import(f))`.
 */
type SuiteRun = () => Promise<[errors: string | true, ran: number, skipped: number, total: number]>;
const g = globalThis as unknown as { UVU_QUEUE: [string | null, ...SuiteRun[]][]; UVU_INDEX: number };

export async function register(name: string, load: () => Promise<unknown>): Promise<void> {
  g.UVU_QUEUE.push([name]);
  g.UVU_INDEX = g.UVU_QUEUE.length - 1;
  await load();
}

/** Extra skips announced by tests (with their reasons), beyond uvu's own `.skip`. */
export const skipped: string[] = [];

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export async function runQueued(log: (line: string) => void): Promise<Counts> {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const group of g.UVU_QUEUE) {
    const file = group.shift() as string | null;
    for (const run of group as SuiteRun[]) {
      const [errors, ran, skip, total] = await run();
      counts.passed += ran;
      counts.failed += total - ran;
      counts.skipped += skip;
      if (errors !== true) log(`\nFAIL in ${file}:\n${errors}`);
    }
  }
  counts.skipped += skipped.length;
  for (const reason of skipped) log(`skipped: ${reason}`);
  return counts;
}
