/**
 * The tar reader side of layerkit: stream entries with bodies (TarReader), or index a whole layer
 * in WebAssembly without copying contents (indexLayer → LayerIndex).
 *
 *   const { index, diffID } = await indexLayer(stream, { sha256Files: true });
 */
export { TarReader, readTar, type TarEntry, type TarReaderOptions } from './reader.ts';
export { indexLayer, partialIndex, type IndexLayerOptions, type IndexLayerResult } from './index-layer.ts';
export { LayerIndex, type LayerIndexLayout } from '../core/layer-index.ts';
export { TarError, type TarErrorCode, type TarErrorPhase } from '../core/tar-errors.ts';
export { carriesData, typeName, type SparseRegion, type TarEntryType, type TarHeader, type TarTime } from '../core/tar-types.ts';
