/**
 * Progress of a pull or push as one stream of events, in docker's words: per layer (id = the
 * first 12 hex digits of its digest, as docker shows it) a status, and bytes so far of a total.
 * The CLI renders them as bars on a TTY, as lines, or as JSON lines.
 *
 *   onProgress({ id: 'a3ed95caeb02', status: 'Downloading', current: 1048576, total: 2811478 })
 */
import type { Digest } from '../digest/digest.ts';

export type ProgressStatus =
  | 'Waiting' | 'Pulling fs layer' | 'Downloading' | 'Retrying' | 'Verifying Checksum' | 'Download complete' | 'Pull complete'
  | 'Already exists' | 'Preparing' | 'Pushing' | 'Pushed' | 'Layer already exists' | `Mounted from ${string}`;

export interface ProgressEvent {
  /** The layer's short id (12 hex digits), or '' for messages about the whole image. */
  id: string;
  status: ProgressStatus | string;
  current?: number;
  total?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** Docker's short layer id: the first 12 hex digits of the digest. */
export const shortId = (digest: Digest | string): string => digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);

/** At most one 'Downloading'/'Pushing' event per `step` bytes (and the last one), so lines stay few. */
export function byteReporter(listener: ProgressListener | undefined, id: string, status: string, total: number, step = 512 * 1024): (current: number) => void {
  let next = 0;
  return (current) => {
    if (!listener) return;
    if (current >= next || current === total) {
      next = current + step;
      listener({ id, status, current, total });
    }
  };
}

/** Runs `work` over `items` with at most `limit` at a time; the first failure rejects (others finish). */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let nextIndex = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && nextIndex < items.length) {
      const index = nextIndex++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}
