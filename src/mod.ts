/**
 * layerkit's portable API: no runtime globals here. Import it through a runtime entry
 * (`layerkit` resolves to node.ts on Node/Deno/Bun and to workers.ts on workerd), or call
 * `init(wasmBytesOrModule)` yourself.
 *
 *   import { init, digestBytes } from 'layerkit';
 *   await init(); await digestBytes(new TextEncoder().encode('hi')) // 'sha256:8f43…'
 */
export { init, instantiate, type WasmSource } from './core/wasm.ts';
export { LayerkitError, UsageError, isLayerkitError } from './errors.ts';
export { type Algorithm, type Digest, type ParsedDigest, parseDigest, formatDigest, toHex } from './digest/digest.ts';
export {
  type Hasher, type Sha256Backend, createHasher, setSha256Backend, currentSha256Backend, registerNativeHash,
} from './digest/backends.ts';
export { type DigestResult, type HashingStream, hashingStream, digestStream, digestBytes } from './digest/stream.ts';
export {
  decompressedStream, detectCompression, compressedStream, compressionOfMediaType,
  type Compression, type DecompressOptions, type Decompressed, type DecompressLimits,
} from './compress/detect.ts';
export { TarWriter, tarStream, writeTar, type TarWriteEntry, type TarEntrySource, type TarWriteType } from './tar/writer.ts';
export { type Host, setHost } from './host.ts';
export type { Descriptor, Manifest, Index, ImageConfig, History, Platform, Image, Layer, Opener, NamedImage } from './image/types.ts';
export { MediaType, layerCompression, isForeignLayer } from './image/media-types.ts';
export { chainIDs } from './image/chain-id.ts';
export { parsePlatform, pickPlatform, formatPlatform } from './image/platform.ts';
export { parseManifestOrIndex, parseConfig, MAX_MANIFEST_BYTES, MAX_CONFIG_BYTES } from './image/documents.ts';
export { resolveImage, imageFromManifest, type BlobSource } from './image/blob-image.ts';
export { verified } from './image/verify.ts';
export { asOciImage } from './image/convert.ts';
export { inspectImage, imageHistory } from './image/describe.ts';
export { parseReference, parseDockerName, formatDockerName, familiarName, type Reference, type DockerName } from './formats/transports.ts';
export { archiveFiles, directoryFiles } from './formats/layout-files.ts';
export { openOciLayout, writeOciArchive } from './formats/oci-layout.ts';
export { listDockerArchive, openDockerArchive, writeDockerArchive } from './formats/docker-archive.ts';
export { tarFileImage, rootfsImage } from './formats/single-layer.ts';
export type { BlobStore, StoreEntry } from './store/types.ts';
export { LayoutStore } from './store/layout-store.ts';
export { MemoryStore } from './store/memory-store.ts';
export { copyImageToStore, storeImage } from './store/store-image.ts';
export { collectGarbage } from './store/gc.ts';
export { cachedLayerIndex } from './store/layer-cache.ts';
export {
  TarReader, readTar, type TarEntry, type TarReaderOptions, indexLayer, partialIndex, type IndexLayerOptions, type IndexLayerResult,
  LayerIndex, type LayerIndexLayout, TarError, type TarErrorCode, type TarErrorPhase, type SparseRegion, type TarEntryType, type TarHeader, type TarTime,
} from './tar/index.ts';
export { RegistryClient } from './registry/client.ts';
export { RegistrySession, type SessionOptions } from './registry/session.ts';
export { type Credentials, dockerCredentials } from './registry/credentials.ts';
export { type DockerReference, parseDockerReference, familiarName as familiarDockerName, canonicalName as canonicalDockerName } from './registry/reference.ts';
export { pullImage, type PullOptions, type PullResult } from './registry/pull.ts';
export { pushImage, pushIndex, type PushOptions, type PushResult } from './registry/push.ts';
export { openRemoteImage } from './registry/remote-image.ts';
export { type ProgressEvent, type ProgressListener } from './registry/progress.ts';
export { buildTree, treeOf, sortWalkOrder, compareWalkOrder, cleanPath, type DiffTree, type TreeEntry, type SourceEntry, type EntryType } from './diff/tree.ts';
export { diffTrees, walkDiff, withParents, type Change, type ChangeKind, type DiffOptions, type WalkRecord } from './diff/changes.ts';
export { layerEntries, type LayerEntry, type LayerOptions, WHITEOUT_PREFIX, OPAQUE_MARKER } from './diff/layer.ts';
export { layerTar } from './diff/layer-tar.ts';
export { directoryTree, type DirectoryTree } from './diff/walk.ts';
export { unionTree } from './diff/union-tree.ts';
export { mergedTree, layerTree, readImageLayers, readLayerEntries, type LayerEntries } from './diff/image-tree.ts';
export { efficiency, type EfficiencyResult, type Inefficiency } from './diff/efficiency.ts';
export { analyzeImage, analyzeLayers, evaluateRules, parseByteSize, DIVE_DEFAULT_RULES, type ImageReport, type LayerReport, type CiRules, type RuleResult } from './diff/analysis.ts';
export { buildUnion, UnionIndex, type UnionInput, type UnionEntryType, type UnionLayerInput } from './core/union.ts';
export { UnionFS, type FsEntry, type FsEntryType, type UnionFSOptions } from './fs/union-fs.ts';
export { indexStack, mergeStack, type StackLayer } from './fs/layer-stack.ts';
export { exportTar, exportEntries } from './fs/export.ts';
export { unpackImage, type UnpackOptions, type UnpackResult } from './fs/unpack.ts';
export { resolveInRoot, cleanName, type RootProbe, MAX_SYMLINK_HOPS } from './fs/resolve-in-root.ts';
export { type TreeWriter } from './host.ts';
