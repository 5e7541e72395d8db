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
export { decompressedStream, detectCompression, type Compression } from './compress/detect.ts';
export { TarWriter, tarStream, writeTar, type TarWriteEntry, type TarEntrySource, type TarWriteType } from './tar/writer.ts';
export { type Host, setHost } from './host.ts';
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
