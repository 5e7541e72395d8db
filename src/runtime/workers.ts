/**
 * The host for workerd (Cloudflare Workers): no host files; env comes from bindings the worker
 * passes to `setWorkerEnv`. node:crypto works there with the nodejs_compat flag.
 */
import type { Host } from '../host.ts';
import { LayerkitError } from '../errors.ts';

let bindings: Record<string, unknown> = {};

/** Hands the worker's `env` bindings to layerkit (string bindings become its environment). */
export function setWorkerEnv(env: Record<string, unknown>): void {
  bindings = env;
}

const noFiles = (): never => {
  throw new LayerkitError('NO_FILESYSTEM', 'workers have no host file system', { hint: 'pass streams or use an in-memory store' });
};

export const workersHost: Host = {
  runtime: 'workerd',
  env: (name) => (typeof bindings[name] === 'string' ? (bindings[name] as string) : undefined),
  stat: async () => noFiles(),
  openRead: () => noFiles(),
};
