/**
 * The entry for workerd and other edge workers: the core comes in as a precompiled module
 * (workerd refuses to compile WebAssembly from bytes), bundled beside this file as layerkit.wasm.
 */
import wasmModule from './layerkit.wasm';
import { configure } from './configure.ts';
import { workersHost } from './runtime/workers.ts';
import { nodeCryptoHash } from './runtime/node-crypto.ts';

configure({ host: workersHost, wasm: async () => wasmModule, nativeHash: nodeCryptoHash });

export * from './mod.ts';
export { setWorkerEnv } from './runtime/workers.ts';
