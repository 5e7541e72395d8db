/** Opening the files named on the command line, with errors a user can act on. */
import { host } from '../host.ts';
import { LayerkitError } from '../errors.ts';
import { peekStream } from '../streams.ts';

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
  // the first chunk is read now, so that a permission error surfaces here and not mid-pipeline
  return (await peekStream(host().openRead(path), 1, (e) => fileError(path, e))).stream;
}
