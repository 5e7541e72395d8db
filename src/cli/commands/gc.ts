/** `layerkit gc`: removes blobs no store name reaches, leftovers of interrupted copies, and cached layer indexes no stored image uses. */
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
  for (const { kind, diffID } of result.removedCache) writeLine(`Deleted cache: ${kind} ${diffID}`);
  writeLine(`Total reclaimed space: ${humanSize(result.freed)}`);
}
