/**
 * What a runtime must supply to the portable code: files as web streams, the environment.
 * `src/runtime/` fills it in per runtime; everything else talks only to this interface.
 */
export type RuntimeName = 'node' | 'deno' | 'bun' | 'workerd' | 'other';

export interface FileInfo {
  size: number;
  isFile: boolean;
  isDirectory: boolean;
}

export interface Host {
  runtime: RuntimeName;
  env(name: string): string | undefined;
  stat(path: string): Promise<FileInfo>;
  /** The file's bytes from `start` as a stream; opened lazily so a caller can re-open it. */
  openRead(path: string, start?: number): ReadableStream<Uint8Array>;
}

let current: Host | undefined;

export function setHost(host: Host): void {
  current = host;
}

export function host(): Host {
  if (!current) throw new Error('layerkit: no runtime host configured; import layerkit through its runtime entry');
  return current;
}
