// Must be evaluated before uvu: it makes uvu queue suites instead of running them on a timer,
// so that test/run.ts (or the workerd entry) can run them and count the results.
const g = globalThis as Record<string, unknown>;
g.UVU_DEFER = 1;
g.UVU_QUEUE = [[null]];
export {};
