/**
 * Loads the WebAssembly core once per process and hands out typed access to it. This folder is
 * the only code that knows pointers and offsets.
 *
 *   await init();                      // the runtime entry supplied the default source
 *   await init(await readFile(wasm));  // or bytes / a precompiled WebAssembly.Module (workerd)
 */
import { LayerkitError } from '../errors.ts';

/** Bytes of a .wasm file, or a module compiled ahead of time (workerd forbids compiling bytes). */
export type WasmSource = WebAssembly.Module | ArrayBuffer | Uint8Array<ArrayBuffer>;

export interface CoreExports {
  memory: WebAssembly.Memory;
  INPUT_SIZE: WebAssembly.Global;
  SHA256_CONTEXT_SIZE: WebAssembly.Global;
  inputPtr(): number;
  alloc(size: number): number;
  free(ptr: number): void;
  sha256Init(ctx: number): void;
  sha256Update(ctx: number, ptr: number, len: number): void;
  sha256Final(ctx: number, out: number): void;
  TAR_BUFFER_SIZE: WebAssembly.Global;
  ENTRY_SIZE: WebAssembly.Global;
  tarCreate(flags: number): number;
  tarReset(ctx: number, flags: number, freshTable: number): void;
  tarFeed(ctx: number, loaded: number): number;
  tarFinish(ctx: number): number;
  tarSkipData(ctx: number, max: number): number;
  tarFree(ctx: number): void;
  entriesCreate(capacity: number, arena: number, meta: number, digests: number): number;
  entriesFree(table: number): void;
  unionReset(entriesHint: number, bytesHint: number): void;
  unionBeginLayer(): number;
  unionAddEntries(ptr: number, len: number): number;
  unionAddTable(table: number): number;
  unionMerge(): number;
  unionLookup(ptr: number, len: number): number;
  unionFind(ptr: number, len: number): number;
  unionFindMany(ptr: number, len: number, results: number, capacity: number): number;
  UNION_BATCH_STRIDE: WebAssembly.Global;
  unionCleanPath(ptr: number, len: number): number;
  unionRecords(): number;
  unionPathTable(): number;
  unionArena(): number;
  unionRootLayer(): number;
  unionRootEntry(): number;
  unionFailedEntry(): number;
  unionFailedLayer(): number;
  TREE_ENTRY_SIZE: WebAssembly.Global;
  DIFF_RECORD_SIZE: WebAssembly.Global;
  diffTrees(aEntries: number, aCount: number, aArena: number, bEntries: number, bCount: number, bArena: number, flags: number, out: number): number;
}

export class Core {
  readonly inputSize: number;
  readonly inputPtr: number;
  constructor(readonly exports: CoreExports) {
    this.inputSize = Number(exports.INPUT_SIZE.value);
    this.inputPtr = exports.inputPtr();
  }

  /** A fresh view of linear memory; never keep one across a call that may grow memory. */
  bytes(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, ptr, length);
  }

  /** Copies `chunk` (at most `inputSize` bytes) into the staging area and returns its pointer. */
  stage(chunk: Uint8Array): number {
    this.bytes(this.inputPtr, chunk.length).set(chunk);
    return this.inputPtr;
  }
}

let defaultSource: (() => Promise<WasmSource>) | undefined;
let loading: Promise<Core> | undefined;
let loaded: Core | undefined;

/** Called by a runtime entry (node.ts, workers.ts) to say where the core comes from by default. */
export function setDefaultWasmSource(source: () => Promise<WasmSource>): void {
  defaultSource = source;
}

const imports = {
  env: {
    abort(_message: number, _file: number, line: number, column: number): never {
      throw new LayerkitError('WASM_ABORT', `the WebAssembly core aborted at ${line}:${column}`, {
        hint: 'this is a bug in layerkit; please report it with the input that caused it',
      });
    },
  },
};

/** Instantiates a core from `source` without making it the process-wide one (tests, benchmarks). */
export async function instantiate(source: WasmSource): Promise<Core> {
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  const instance = await WebAssembly.instantiate(module, imports);
  return new Core(instance.exports as unknown as CoreExports);
}

/** Loads the process-wide core (once); later calls return the same one. */
export function init(source?: WasmSource): Promise<Core> {
  if (loading) return loading;
  if (!source && !defaultSource) {
    return Promise.reject(new LayerkitError('WASM_NOT_CONFIGURED', 'no WebAssembly core to load', {
      hint: 'import layerkit through its runtime entry, or pass the .wasm bytes or Module to init()',
    }));
  }
  loading = (source ? Promise.resolve(source) : defaultSource!()).then(instantiate).then((core) => (loaded = core));
  loading.catch(() => (loading = undefined));
  return loading;
}

/** The loaded core; throws if `init()` has not finished. */
export function core(): Core {
  if (!loaded) throw new LayerkitError('WASM_NOT_LOADED', 'the WebAssembly core is not loaded', { hint: 'await init() first' });
  return loaded;
}
