/** `layerkit cat IMAGE PATH`: a file's bytes from the union view, symlinks followed inside the image. */
import { UnionFS } from '../../fs/union-fs.ts';
import { cachedIndexes, openImage } from '../resolve.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface CatOptions extends GlobalOptions {
  platform?: string;
}

export async function run(reference: string, path: string, options: CatOptions): Promise<void> {
  await prepare(options);
    // With a cached index, file digests come with it so the body read now is checked against them.
  const indexOf = cachedIndexes();
  const fs = await UnionFS.open(await openImage(reference, options), { indexOf, sha256: indexOf !== undefined });
  const pos = fs.resolve(path);
  if (pos < 0 || fs.union.type(pos) !== 'file') await fs.readFile(path); // throws the typed error
  for await (const chunk of fs.contentChunks(pos)) await writeStdout(chunk);
  await fs.close();
}

/** Writes bytes to stdout, waiting for each write so a pipe's back-pressure holds memory down. */
export function writeStdout(chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())));
}
