/**
 * Wires a runtime's host into the portable code; each runtime entry calls it once on import.
 */
import { setDefaultWasmSource, type WasmSource } from './core/wasm.ts';
import { registerNativeHash, setSha256Backend, type NativeHashFactory, type Sha256Backend } from './digest/backends.ts';
import { LayerkitError } from './errors.ts';
import { type Host, setHost } from './host.ts';

export interface RuntimeSetup {
  host: Host;
  wasm: () => Promise<WasmSource>;
  nativeHash?: NativeHashFactory;
}

export function configure({ host, wasm, nativeHash }: RuntimeSetup): void {
  setHost(host);
  setDefaultWasmSource(wasm);
  if (nativeHash) registerNativeHash(nativeHash);
  const requested = host.env('LAYERKIT_SHA256');
  if (requested !== undefined && requested !== '') {
    if (requested !== 'wasm' && requested !== 'native') {
      throw new LayerkitError('BAD_ENVIRONMENT', `LAYERKIT_SHA256=${requested} is not a backend`, { hint: 'use wasm or native' });
    }
    setSha256Backend(requested as Sha256Backend);
  }
}
