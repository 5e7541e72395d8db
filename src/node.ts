/** The entry for Node, Deno and Bun: the portable API, with files, the core and node:crypto wired in. */
import './node-setup.ts';

export * from './mod.ts';
export { nodeHost } from './runtime/node.ts';
