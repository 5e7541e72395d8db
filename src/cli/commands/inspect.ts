/** `layerkit inspect IMAGE`: docker's image JSON plus each layer's identities; `--raw` the stored bytes. */
import { UsageError } from '../../errors.ts';
import { inspectImage } from '../../image/describe.ts';
import { openNamedImage } from '../resolve.ts';
import { writeJson } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface InspectOptions extends GlobalOptions {
  raw?: string;
  platform?: string;
  json?: boolean;
}

export async function run(reference: string, options: InspectOptions): Promise<void> {
  await prepare(options);
  const { image, names } = await openNamedImage(reference, options);
  if (options.raw !== undefined) {
    const raw = String(options.raw);
    let bytes: Uint8Array | undefined;
    if (raw === 'manifest') bytes = await image.rawManifest();
    else if (raw === 'config') bytes = await image.rawConfig();
    else if (raw === 'index') {
      bytes = await image.rawIndex?.();
      if (!bytes) throw new UsageError('NO_INDEX', `${reference} was not picked from an index`, { hint: 'use --raw manifest' });
    } else throw new UsageError('BAD_OPTION', `--raw ${raw} is not one of manifest, config, index`);
    process.stdout.write(bytes);
    return;
  }
  writeJson(await inspectImage(image, names));
}
