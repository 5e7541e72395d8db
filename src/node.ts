/** The entry for Node, Deno and Bun: the portable API, with files, the core and node:crypto wired in. */
import { configure } from './configure.ts';
import { nodeHost, readWasm } from './runtime/node.ts';
import { nodeCryptoHash } from './runtime/node-crypto.ts';

configure({ host: nodeHost, wasm: () => readWasm(), nativeHash: nodeCryptoHash });

export * from './mod.ts';
export { nodeHost } from './runtime/node.ts';
