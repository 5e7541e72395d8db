/** Opening the files named on the command line, with errors a user can act on. */
import { host } from '../host.ts';
import { LayerkitError } from '../errors.ts';

const REASONS: Record<string, [code: string, why: string]> = {
  ENOENT: ['FILE_NOT_FOUND', 'no such file'],
  EACCES: ['FILE_UNREADABLE', 'permission denied'],
  EPERM: ['FILE_UNREADABLE', 'operation not permitted'],
  EISDIR: ['NOT_A_FILE', 'is a directory'],
  ENOTDIR: ['FILE_NOT_FOUND', 'a parent is not a directory'],
  ELOOP: ['FILE_NOT_FOUND', 'too many symbolic links'],
};

/** Turns a host file error into a LayerkitError naming the file. */
export function fileError(path: string, error: unknown): LayerkitError {
  const code = (error as { code?: string })?.code ?? '';
  const [ourCode, why] = REASONS[code] ?? ['FILE_UNREADABLE', (error as Error)?.message ?? String(error)];
  return new LayerkitError(ourCode, `${path}: ${why}`, { cause: error });
}

/** A readable stream of a regular file; fails up front if it is missing, a directory or unreadable. */
export async function openFile(path: string): Promise<ReadableStream<Uint8Array>> {
  const info = await host().stat(path).catch((e) => Promise.reject(fileError(path, e)));
  if (info.isDirectory) throw new LayerkitError('NOT_A_FILE', `${path}: is a directory`, { hint: 'give a file' });
  const source = host().openRead(path);
  const reader = source.getReader();
  // Read the first chunk now, so that a permission error surfaces here and not mid-pipeline.
  const first = await reader.read().catch((e) => Promise.reject(fileError(path, e)));
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        controller.error(fileError(path, e));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
