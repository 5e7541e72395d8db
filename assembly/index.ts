// The layerkit WebAssembly core: every kernel the TypeScript shell calls, over linear memory.
// No I/O and no host calls; the host copies bytes into the staging area and calls coarse
// functions that advance a state machine over them.
export { SHA256_CONTEXT_SIZE, sha256Init, sha256Update, sha256Final } from './sha256';
export { INPUT_SIZE, inputPtr, alloc, free } from './memory';
export { TAR_BUFFER_SIZE, tarCreate, tarReset, tarFeed, tarFinish, tarFree, tarSkipData } from './tar';
export { ENTRY_SIZE, entriesCreate, entriesFree } from './entries';
export { TREE_ENTRY_SIZE, DIFF_RECORD_SIZE, diffTrees } from './diff';
export {
  UNION_RECORD_SIZE, UNION_PATH_RECORD_SIZE, unionReset, unionBeginLayer, unionAddEntries, unionAddTable, unionMerge, unionLookup, unionFind, unionFindMany, UNION_BATCH_STRIDE,
  unionCleanPath, unionRecords, unionPathTable, unionArena, unionRootLayer, unionRootEntry, unionFailedEntry, unionFailedLayer,
} from './union';
