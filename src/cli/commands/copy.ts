/** `layerkit copy SRC DEST`: any reference to any other, verifying every blob on the way. */
import { openImage, writeImage } from '../resolve.ts';
import { prepare, type GlobalOptions } from '../setup.ts';
import { writeLine } from '../output.ts';

interface CopyOptions extends GlobalOptions {
  platform?: string;
  additionalTag?: string | string[];
  quiet?: boolean;
}

export async function run(source: string, destination: string, options: CopyOptions): Promise<void> {
  await prepare(options);
  const image = await openImage(source, options);
  const tags = options.additionalTag === undefined ? [] : [options.additionalTag].flat().map(String);
  await writeImage(image, destination, {
    additionalTags: tags,
    ...(options.quiet ? {} : { onLayer: (digest, status) => writeLine(`${digest.slice(7, 19)}: ${status === 'exists' ? 'Already exists' : 'Copied'}`) }),
  });
  if (!options.quiet) writeLine(`Digest: ${(await image.manifestDescriptor()).digest}`);
}
