/**
 * Wires Node, Deno and Bun into the portable code (files, the release core, node:crypto) without
 * loading the rest of the library: the CLI imports this, so its start-up evaluates only what the
 * command it runs needs. `node.ts` imports it too and re-exports the whole API.
 */
import { configure } from './configure.ts';
import { nodeHost, readWasm } from './runtime/node.ts';
import { nodeCryptoHash } from './runtime/node-crypto.ts';

configure({ host: nodeHost, wasm: () => readWasm(), nativeHash: nodeCryptoHash });
