/** `layerkit gc`: removes blobs no store name reaches, and leftovers of interrupted copies. */
import { humanSize } from '../../image/describe.ts';
import { collectGarbage } from '../../store/gc.ts';
import { openStore } from '../resolve.ts';
import { writeJson, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

export async function run(options: GlobalOptions & { json?: boolean }): Promise<void> {
  await prepare(options);
  const result = await collectGarbage(await openStore());
  if (options.json) return writeJson(result);
  for (const digest of result.removed) writeLine(`Deleted: ${digest}`);
  writeLine(`Total reclaimed space: ${humanSize(result.freed)}`);
}
