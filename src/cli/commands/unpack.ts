/** `layerkit unpack IMAGE DIR`: the union view written to a new directory, safely (umoci unpack). */
import { UsageError } from '../../errors.ts';
import { unpackImage } from '../../fs/unpack.ts';
import { need } from '../../host.ts';
import { openImage } from '../resolve.ts';
import { warn, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface UnpackOptions extends GlobalOptions {
  rootless?: boolean;
  whiteoutFormat?: string;
  platform?: string;
}

export async function run(reference: string, dir: string, options: UnpackOptions): Promise<void> {
  const format = options.whiteoutFormat ?? 'none';
  if (format !== 'none' && format !== 'overlayfs') throw new UsageError('BAD_OPTION', `--whiteout-format ${format}: unknown`, { hint: 'use overlayfs (or leave it out for one merged tree)' });
  await prepare(options);
  const image = await openImage(reference, options);
  const writer = need('treeWriter')();
  const result = await unpackImage(await image.layers(), dir, writer, { rootless: options.rootless === true, whiteoutFormat: format, warn });
  if (result.lowerdirs) writeLine(`lowerdir=${result.lowerdirs.join(':')}`);
}
