/** `layerkit digest FILE`: the digest of a file's bytes, or of its decompressed bytes. */
import { decompressedStream } from '../../compress/detect.ts';
import { isAlgorithm } from '../../digest/digest.ts';
import { digestStream } from '../../digest/stream.ts';
import { UsageError } from '../../errors.ts';
import { openFile } from '../files.ts';
import { writeJson, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface DigestOptions extends GlobalOptions {
  uncompressed?: boolean;
  algorithm?: string;
  json?: boolean;
}

export async function run(file: string, options: DigestOptions): Promise<void> {
  const algorithm = options.algorithm ?? 'sha256';
  if (!isAlgorithm(algorithm)) throw new UsageError('BAD_OPTION', `unknown algorithm "${algorithm}"`, { hint: 'use sha256 or sha512' });
  await prepare(options);
  let stream = await openFile(file);
  if (options.uncompressed) stream = (await decompressedStream(stream)).stream;
  const { digest, size } = await digestStream(stream, algorithm);
  if (options.json) writeJson({ digest, size });
  else writeLine(digest);
}
